"""Monthly reports: the files under data_dir/reports, their download, and generation on demand.

Generation takes seconds to minutes (charts, a PDF through WeasyPrint): the POST only records the request and hands
it to the console's report workers (`monitor.web.report_runner`), and the page shows each request's outcome.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from models import now
from models.report_requests import IN_FLIGHT
from monitor.reports import FORMATS
from monitor.web import report_requests
from monitor.web.deps import Db, PostAnalyst, Viewer
from monitor.web.params import FormCode, FormWord, FormWords, PathName
from monitor.web.queries import CODE_RE, MONTH_RE, division_names
from monitor.web.report_runner import ReportRunner
from monitor.web.templating import flash, render

router = APIRouter()
REPORT_NAME_RE = re.compile(r"^[\w.\-一-鿿]+\.(html|pdf|xlsx|docx|csv|json)$")


def _list_reports(root: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for month_dir in sorted(
        (p for p in root.iterdir() if p.is_dir() and MONTH_RE.match(p.name)), reverse=True
    ):
        for f in sorted(month_dir.iterdir()):
            if f.is_file() and REPORT_NAME_RE.match(f.name):
                out.append({"month": month_dir.name, "name": f.name, "size": f.stat().st_size})
    return out


@router.get("/reports", response_class=HTMLResponse)
def reports(request: Request, *, user: Viewer, db: Db) -> HTMLResponse:
    settings = request.app.state.settings
    report_requests.abandon_stale(db)  # never show a request of a dead process as running
    requested = report_requests.recent(db)
    return render(
        request,
        "reports.html",
        {
            "files": _list_reports(request.app.state.reports_dir),
            "requests": requested,
            "in_flight": any(r.state in IN_FLIGHT for r in requested),
            "request_cities": division_names(db, (r.city_code for r in requested)),
            "default_month": (now().replace(day=1) - timedelta(days=1)).strftime("%Y-%m"),
            "cities": division_names(db, [settings.home_city, *settings.watched_cities]),
            "home": settings.home_city,
            "formats": FORMATS,
        },
    )


@router.get("/reports/file/{month}/{name}")
def report_file(request: Request, *, month: PathName, name: PathName, user: Viewer) -> Response:
    # Only names the listing would show, and only inside the reports folder.
    if not MONTH_RE.match(month) or not REPORT_NAME_RE.match(name):
        raise HTTPException(404)
    root = request.app.state.reports_dir.resolve()
    path = (root / month / name).resolve()
    if path.parent != root / month or not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, filename=name)


@router.post("/reports/generate")
def generate_report(
    request: Request,
    *,
    month: FormWord,
    city: FormCode,
    formats: FormWords = None,
    user: PostAnalyst,
    db: Db,
) -> Response:
    # In the console's order, each once: "pdf,html" and "html,pdf" are the same request.
    chosen = [f for f in FORMATS if f in (formats or [])] or ["html"]
    if not MONTH_RE.match(month) or not CODE_RE.match(city):
        flash(request, "月份应为“年-月”格式（如 2026-10），城市应为 6 位代码", "error")
        return RedirectResponse("/reports", status_code=303)
    runner: ReportRunner = request.app.state.report_runner
    submitted = runner.submit(month, city, chosen, user.username)
    what = (
        f"{month} {division_names(db, [city]).get(city, city)} 报告（{'、'.join(f.upper() for f in chosen)}）"
    )
    if submitted.started:
        flash(request, f"已提交 {what}，正在后台生成，完成后可在本页下载")
    else:
        flash(request, f"{what} 已在生成中，未重复提交")
    return RedirectResponse("/reports", status_code=303)
