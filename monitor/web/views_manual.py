"""Manual events (人工录入), evidence files (upload and download), cluster membership (detach, merge) and the owner
of an event's government response: the event-page entries beyond field corrections and feedback records."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from models import Event, EvidenceFile, Role, User, now
from monitor.corrections import CorrectionError, city_choices
from monitor.evidence_files import (
    MAX_BYTES,
    EvidenceError,
    Upload,
    read_blob,
    remove_evidence,
    store_upload,
)
from monitor.manual_events import record_manual_event, set_feedback_owner
from monitor.membership import detach_article, merge_events
from monitor.web.deps import Analyst, Db, PostAnalyst, Viewer, row_or_404
from monitor.web.params import MAX_ID, NoControls, NoLineControls, RowId
from monitor.web.templating import applied, flash, refused, render

router = APIRouter()

EvidenceUpload = Annotated[UploadFile | None, File()]


def read_upload(upload: UploadFile | None) -> Upload | None:
    """The uploaded file, or None when the form's file field was left empty. Reads one byte past the limit so an
    oversized file is refused by size without holding more of it."""
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_BYTES + 1)
    return Upload(filename=upload.filename, data=data)


def staff_names(db: Db) -> list[str]:
    """Who can own a response: active accounts allowed to enter data."""
    return list(
        db.scalars(
            select(User.username)
            .where(User.active.is_(True), User.role.in_([Role.ANALYST, Role.ADMIN]))
            .order_by(User.username)
        )
    )


@router.get("/entry/event", response_class=HTMLResponse)
def manual_event_form(request: Request, *, user: Analyst, db: Db) -> HTMLResponse:
    recent = list(
        db.scalars(select(Event).where(Event.entered_by.is_not(None)).order_by(Event.id.desc()).limit(20))
    )
    return render(
        request,
        "entry_event.html",
        {
            "city_options": city_choices(request.app.state.settings.scored_cities),
            "today": now().date().isoformat(),
            "recent": recent,
            "names": dict(city_choices(e.division_code for e in recent if e.division_code)),
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
    )


@router.post("/entry/event")
def manual_event_submit(
    request: Request,
    *,
    title: Annotated[str, Form(min_length=1, max_length=300), NoControls],
    day: Annotated[date, Form()],
    city: Annotated[str, Form(min_length=1, max_length=40), NoControls],
    kind: Annotated[str, Form(max_length=16), NoControls],
    domain: Annotated[str, Form(max_length=16), NoControls] = "",
    subdomain: Annotated[str, Form(max_length=32), NoControls] = "",
    url: Annotated[str, Form(max_length=1000), NoControls] = "",
    major: Annotated[str, Form(max_length=3), NoControls] = "",
    note: Annotated[str, Form(max_length=2000), NoLineControls] = "",
    evidence: EvidenceUpload = None,
    user: PostAnalyst,
    db: Db,
) -> Response:
    """Record an event the office learnt of elsewhere; it counts in the index at once."""
    try:
        upload = read_upload(evidence)
        ev = record_manual_event(
            db,
            title=title,
            url=url,
            day=day,
            city=city,
            kind=kind,
            domain=domain or None,
            subdomain=subdomain,
            major=major == "1",
            note=note,
            user=user.username,
            cities=request.app.state.settings.scored_cities,
            model_name=request.app.state.settings.index_model,
        )
        if upload is not None:
            store_upload(db, request.app.state.data_dir, upload, event_id=ev.id, user=user.username)
    except (CorrectionError, EvidenceError) as exc:
        return refused(request, db, exc, "/entry/event")
    return applied(request, db, f"已录入事件 #{ev.id}，指数已重新计算", f"/events/{ev.id}")


@router.post("/events/{event_id}/evidence")
def upload_evidence(
    request: Request, *, event_id: RowId, evidence: EvidenceUpload = None, user: PostAnalyst, db: Db
) -> Response:
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    try:
        upload = read_upload(evidence)
        if upload is None:
            raise EvidenceError("请选择要上传的文件")
        record = store_upload(db, request.app.state.data_dir, upload, event_id=event_id, user=user.username)
    except EvidenceError as exc:
        return refused(request, db, exc, back)
    return applied(request, db, f"已上传证据「{record.filename}」", back)


@router.post("/events/{event_id}/evidence/{file_id}/remove")
def remove_evidence_page(
    request: Request, *, event_id: RowId, file_id: RowId, user: PostAnalyst, db: Db
) -> Response:
    """Remove an evidence file from the event (uploaded to the wrong event, or the wrong document); audited. The
    stored file goes with its last row."""
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    try:
        record = remove_evidence(
            db, request.app.state.data_dir, file_id, event_id=event_id, user=user.username
        )
    except EvidenceError as exc:
        return refused(request, db, exc, back)
    return applied(request, db, f"已删除证据「{record.filename}」", back)


@router.get("/evidence/{file_id}")
def download_evidence(request: Request, *, file_id: RowId, user: Viewer, db: Db) -> Response:
    """The file as uploaded, checked against its hash, always as a download (never rendered in the console's
    origin), under its cleaned name."""
    record = row_or_404(db, EvidenceFile, file_id)
    try:
        data = read_blob(Path(request.app.state.data_dir), record)
    except EvidenceError as exc:
        raise HTTPException(410, str(exc)) from exc
    ascii_name = f"evidence-{record.id}{Path(record.filename).suffix}"
    return Response(
        data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''"
            + quote(record.filename, safe=""),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/events/{event_id}/detach")
def detach_page(
    request: Request,
    *,
    event_id: RowId,
    article_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    user: PostAnalyst,
    db: Db,
) -> Response:
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    try:
        new = detach_article(
            db,
            event_id,
            article_id,
            user.username,
            cities=request.app.state.settings.scored_cities,
            model_name=request.app.state.settings.index_model,
        )
    except CorrectionError as exc:
        return refused(request, db, exc, back)
    return applied(request, db, f"已将文章拆分为事件 #{new.id}，指数已重新计算", back)


@router.post("/events/{event_id}/merge")
def merge_page(
    request: Request,
    *,
    event_id: RowId,
    target: Annotated[int, Form(ge=1, le=MAX_ID)],
    user: PostAnalyst,
    db: Db,
) -> Response:
    row_or_404(db, Event, event_id)
    try:
        merged = merge_events(
            db,
            event_id,
            target,
            user.username,
            cities=request.app.state.settings.scored_cities,
            model_name=request.app.state.settings.index_model,
        )
    except CorrectionError as exc:
        return refused(request, db, exc, f"/events/{event_id}")
    return applied(request, db, f"事件 #{event_id} 已并入本事件，指数已重新计算", f"/events/{merged.id}")


@router.post("/events/{event_id}/owner")
def owner_page(
    request: Request,
    *,
    event_id: RowId,
    owner: Annotated[str, Form(max_length=64), NoControls] = "",
    user: PostAnalyst,
    db: Db,
) -> Response:
    back = f"/events/{event_id}"
    row_or_404(db, Event, event_id)
    if owner and owner not in staff_names(db):
        flash(request, "负责人应为在用的分析员或管理员账号", "error")
        return RedirectResponse(back, status_code=303)
    changed = set_feedback_owner(db, event_id, owner, user.username)
    db.commit()
    flash(request, f"反馈负责人已设为 {owner or '未指派'}" if changed else "没有改动")
    return RedirectResponse(back, status_code=303)
