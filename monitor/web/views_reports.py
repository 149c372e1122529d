"""Monthly reports: the files under data_dir/reports, their download, and generation on demand."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from models import now
from monitor import jobs
from monitor.web.deps import Db, PostAnalyst, Viewer
from monitor.web.queries import CODE_RE, MONTH_RE, division_names
from monitor.web.templating import flash, render

router = APIRouter()
REPORT_FORMATS = ("html", "pdf", "xlsx", "docx")
REPORT_NAME_RE = re.compile(r"^[\w.\-一-鿿]+\.(html|pdf|xlsx|docx|csv|json)$")


def _list_reports(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for month_dir in sorted(
        (p for p in root.iterdir() if p.is_dir() and MONTH_RE.match(p.name)), reverse=True
    ):
        for f in sorted(month_dir.rglob("*")):
            if f.is_file() and REPORT_NAME_RE.match(f.name) and f.parent == month_dir:
                out.append({"month": month_dir.name, "name": f.name, "size": f.stat().st_size})
    return out


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, *, user: Viewer, db: Db) -> HTMLResponse:
    settings = request.app.state.settings
    return render(
        request,
        "reports.html",
        {
            "files": _list_reports(request.app.state.reports_dir),
            "default_month": (now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
            "cities": division_names(db, [settings.home_city, *settings.watched_cities]),
            "home": settings.home_city,
            "formats": REPORT_FORMATS,
        },
    )


@router.get("/reports/file/{month}/{name}")
def report_file(request: Request, *, month: str, name: str, user: Viewer) -> Response:
    # Only names the listing would show, and only inside the reports folder.
    if not MONTH_RE.match(month) or not REPORT_NAME_RE.match(name):
        raise HTTPException(404)
    root = request.app.state.reports_dir.resolve()
    path = (root / month / name).resolve()
    if path.parent != root / month or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, filename=name)


@router.post("/reports/generate")
async def generate_report(
    request: Request,
    *,
    month: Annotated[str, Form()],
    city: Annotated[str, Form()],
    formats: Annotated[list[str] | None, Form()] = None,
    user: PostAnalyst,
    db: Db,
) -> Response:
    chosen = [f for f in formats or [] if f in REPORT_FORMATS] or ["html"]
    if not MONTH_RE.match(month) or not CODE_RE.match(city):
        flash(request, "月份应为 YYYY-MM，城市应为 6 位代码", "error")
        return RedirectResponse("/reports", status_code=303)
    out_dir = request.app.state.reports_dir / month
    try:
        written = jobs.write_reports(db, month, city, chosen, out_dir)
        db.commit()
    except Exception as exc:  # the report code's error is shown to the analyst; the console stays up
        db.rollback()
        flash(request, f"报告生成失败：{exc}", "error")
        return RedirectResponse("/reports", status_code=303)
    flash(request, f"已生成 {month} 报告：{', '.join(p.name for p in written)}")
    return RedirectResponse("/reports", status_code=303)
