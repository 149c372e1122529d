"""Jinja2 set-up: autoescaping always on, filters for dates, labels and links to crawled URLs."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from config.settings import TZ
from models.vocabulary import (
    ALERT_KIND_LABELS,
    ALERT_STATUS_LABELS,
    CHANNEL_KIND_LABELS,
    DOMAIN_LABELS,
    EVENT_STATUS_LABELS,
    FEEDBACK_STATUS_LABELS,
    KIND_LABELS,
    SOURCE_LABELS,
    SPIDER_LABELS,
    USER_ROLE_LABELS,
)
from monitor.alerts.channels import error_parts
from monitor.web.security import allowed, csrf_token

__all__ = ["DOMAIN_LABELS", "KIND_LABELS", "ROLE_LABELS", "STATUS_LABELS", "render"]

# Labels come from the one vocabulary (models.vocabulary) so the console says what reports and alerts say.
STATUS_LABELS = {**EVENT_STATUS_LABELS, **FEEDBACK_STATUS_LABELS}
ROLE_LABELS = USER_ROLE_LABELS


def fmt_dt(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(TZ).strftime(fmt) if value.tzinfo else value.strftime(fmt)
    return value.strftime("%Y-%m-%d")


def safe_url(value: str | None) -> str:
    """Crawled URLs go into href only when they are http(s): a `javascript:` link would run on click."""
    if not value:
        return "#"
    try:
        scheme = urlsplit(value.strip()).scheme.lower()
    except ValueError:
        return "#"
    return value.strip() if scheme in ("http", "https") else "#"


def fmt_num(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _label(labels: dict[str, str], value: Any) -> str:
    """The Chinese label of a code or enum member; unknown codes show as themselves, None as a dash."""
    key = str(getattr(value, "value", value) or "")
    return labels.get(key, key or "—")


def make_templates(directory: Path) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(directory))
    env = templates.env
    env.autoescape = True  # every template, whatever its extension: crawled text is untrusted
    env.filters.update(
        dt=fmt_dt,
        safe_url=safe_url,
        num=fmt_num,
        kind=lambda v: _label(KIND_LABELS, v),
        domain=lambda v: _label(DOMAIN_LABELS, v),
        status=lambda v: _label(STATUS_LABELS, v),
        role=lambda v: _label(ROLE_LABELS, v),
        alert_status=lambda v: _label(ALERT_STATUS_LABELS, v),
        alert_kind=lambda v: _label(ALERT_KIND_LABELS, v),
        error_parts=error_parts,
        channel_kind=lambda v: _label(CHANNEL_KIND_LABELS, v),
        spider=lambda v: _label(SPIDER_LABELS, v),
        source=lambda v: _label(SOURCE_LABELS, v),
    )
    env.globals.update(KIND_LABELS=KIND_LABELS, DOMAIN_LABELS=DOMAIN_LABELS, ROLE_LABELS=ROLE_LABELS)
    return templates


def flash(request: Request, message: str, level: str = "ok") -> None:
    """A one-time message shown on the next page (kept in the signed session)."""
    items = list(request.session.get("flash", []))
    items.append([level, message])
    request.session["flash"] = items[-5:]


def refused(request: Request, db: Session, exc: Exception, back: str) -> RedirectResponse:
    """A form the rules refused: nothing of it is kept, and its reason is shown on the page it came from."""
    db.rollback()
    flash(request, str(exc), "error")
    return RedirectResponse(back, status_code=303)


def applied(request: Request, db: Session, message: str, to: str) -> RedirectResponse:
    """A form applied: committed, and what it did is shown on the next page."""
    db.commit()
    flash(request, message)
    return RedirectResponse(to, status_code=303)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    from models import Role

    user = getattr(request.state, "user", None)
    ctx: dict[str, Any] = {
        "user": user,
        "csrf": csrf_token(request),
        "flashes": request.session.pop("flash", []),
        "can_review": bool(user and allowed(user, Role.ANALYST)),
        "is_admin": bool(user and allowed(user, Role.ADMIN)),
        "path": request.url.path,
    }
    ctx.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, ctx, status_code=status)
