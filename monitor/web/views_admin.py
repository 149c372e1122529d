"""Administration: users and roles, and the configured alert channels (with a test alert per channel)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from models import Alert, AlertStatus, Role, User, now
from models.vocabulary import CHANNEL_KIND_LABELS, USER_ROLE_LABELS
from monitor.web.accounts import AccountError, create_user, set_password
from monitor.web.deps import Admin, Db, PostAdmin, row_or_404
from monitor.web.params import FormName, FormPassword, FormWord, PathName, RowId
from monitor.web.templating import flash, refused, render

router = APIRouter(prefix="/admin")


def _masked(url: str | None) -> str:
    """Webhook URLs carry access tokens in their query: show only scheme and host."""
    if not url:
        return "—"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


@router.get("", response_class=HTMLResponse)
def admin_page(request: Request, *, user: Admin, db: Db) -> HTMLResponse:
    users = list(db.scalars(select(User).order_by(User.username)))
    channels = [
        {
            "name": c.name,
            "kind": c.kind,
            "target": ", ".join(c.recipients) if c.kind == "email" else _masked(c.url),
            "signed": bool(c.secret),
            "enabled": c.enabled,
        }
        for c in request.app.state.settings.alert_channels
    ]
    recent = list(db.scalars(select(Alert).order_by(Alert.created_at.desc()).limit(20)))
    return render(
        request,
        "admin.html",
        {"users": users, "channels": channels, "alerts": recent, "roles": [r.value for r in Role]},
    )


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        raise HTTPException(400, "无效角色") from exc


@router.post("/users")
def add_user(
    request: Request,
    *,
    username: FormName,
    password: FormPassword,
    role: FormWord = "viewer",
    user: PostAdmin,
    db: Db,
) -> Response:
    try:
        created = create_user(db, username, password, _role(role))
        db.commit()
        flash(request, f"已添加用户 {created.username}")
    except AccountError as exc:
        return refused(request, db, exc, "/admin")
    return RedirectResponse("/admin", status_code=303)


@router.post("/users/{user_id}")
def change_user(
    request: Request,
    *,
    user_id: RowId,
    action: FormWord,
    role: FormWord = "",
    password: FormPassword = "",
    user: PostAdmin,
    db: Db,
) -> Response:
    target = row_or_404(db, User, user_id)
    if target.id == user.id and action in ("role", "deactivate"):
        # An admin who demotes or locks out themselves may leave the office without any admin.
        flash(request, "不能修改自己的角色或停用自己", "error")
        return RedirectResponse("/admin", status_code=303)
    try:
        if action == "role":
            target.role = _role(role)
            flash(request, f"{target.username} 的角色已改为「{USER_ROLE_LABELS[target.role.value]}」")
        elif action == "deactivate":
            target.active = False
            flash(request, f"已停用 {target.username}")
        elif action == "activate":
            target.active = True
            flash(request, f"已启用 {target.username}")
        elif action == "password":
            set_password(target, password)
            flash(request, f"已重设 {target.username} 的密码")
        else:
            raise HTTPException(400, "无效操作")
        db.commit()
    except AccountError as exc:
        return refused(request, db, exc, "/admin")
    return RedirectResponse("/admin", status_code=303)


@router.post("/channels/{name}/test")
def test_channel(request: Request, *, name: PathName, user: PostAdmin, db: Db) -> Response:
    """Queue a test alert in the outbox; the alert dispatch job sends it like any other."""
    channel = next((c for c in request.app.state.settings.alert_channels if c.name == name), None)
    if channel is None:
        raise HTTPException(404)
    at = now()
    db.add(
        Alert(
            dedup_key=f"test:{channel.name}:{at.strftime('%Y%m%d%H%M%S%f')}",
            channel=channel.name,
            kind="test",
            subject="creditwatch 测试告警",
            payload={
                "lines": [
                    f"这是一条测试告警，由 {user.username} 于 {at:%Y-%m-%d %H:%M} 发起。",
                    f"渠道 {channel.name}（{CHANNEL_KIND_LABELS.get(channel.kind, channel.kind)}）",
                ]
            },
            status=AlertStatus.PENDING,
            next_attempt_at=at,
        )
    )
    db.commit()
    flash(request, f"已将测试告警加入发送队列：{channel.name}")
    return RedirectResponse("/admin", status_code=303)
