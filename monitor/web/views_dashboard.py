"""The console's home page: today's situation on one screen (data: monitor.dashboard)."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from config.settings import TZ
from models import now
from monitor.dashboard import build_dashboard
from monitor.web.deps import Db, Viewer
from monitor.web.templating import render

router = APIRouter()
# The console's policy (monitor.web.security) plus scripts from this origin only: the dashboard's charts are drawn by
# the vendored ECharts and /static/dashboard.js. Still no inline script; the page's figures are a JSON data block.
DASHBOARD_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
EARLIEST = date(2010, 1, 1)  # the monitoring programme's start: nothing to look back at before it


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    *,
    user: Viewer,
    db: Db,
    day: Annotated[date | None, Query(alias="at", description="查看某日（当日 23:59）的总览")] = None,
) -> HTMLResponse:
    moment = now()
    if day is not None:
        if not EARLIEST <= day <= moment.astimezone(TZ).date():
            raise HTTPException(400, f"日期须在 {EARLIEST} 至今天之间")
        # the end of that day in the office's time zone: "what the screen showed that evening"
        moment = datetime.combine(day, time(23, 59), TZ) + timedelta(seconds=59)
    settings = request.app.state.settings
    data = build_dashboard(db, moment, settings.home_city, settings.index_model)
    # The charts read their figures from a JSON data block (never executed, so no inline script is needed);
    # "</" is escaped so no text in it can close the block.
    chart_json = json.dumps(data.chart_data(), ensure_ascii=False).replace("</", "<\\/")
    response = render(request, "dashboard.html", {"d": data, "chart_json": chart_json, "day": day})
    response.headers["content-security-policy"] = DASHBOARD_CSP
    return response
