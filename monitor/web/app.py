"""The console application: middleware, templates, error pages and the routers of each page group."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from config.settings import Settings, get_settings
from monitor.evidence_files import MAX_BYTES as MAX_EVIDENCE_BYTES
from monitor.web.params import validation_message
from monitor.web.report_runner import ReportRunner
from monitor.web.security import (
    BodyLimit,
    Forbidden,
    HostCheck,
    InputGuard,
    LoginRequired,
    LoginThrottle,
    PublicRedirects,
    SecurityHeaders,
    SessionPolicy,
    load_secret_key,
)
from monitor.web.templating import make_templates, render
from storage.db import get_engine, session_factory

HERE = Path(__file__).resolve().parent
log = logging.getLogger(__name__)
# What an error page says when the route gave no Chinese reason of its own.
HTTP_MESSAGES = {
    404: "页面或记录不存在",
    405: "不支持的请求方式",
    413: "提交的内容过大",
    429: "请求过于频繁，请稍后再试",
}
SERVER_ERROR = "服务器内部出错，本次操作未完成：请稍后重试；仍然出错请联系管理员（技术细节见服务日志）"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _chinese_or(detail: object, fallback: str) -> str:
    """A route's own reason when it is Chinese (the console's are); a library's English phrase is replaced."""
    text = str(detail or "")
    return text if _HAN.search(text) else fallback


def view_modules() -> tuple[ModuleType, ...]:
    """The console's view modules, each with a `router`, in the order their routes are tried (imported here, not at
    the top: `creditwatch` commands that never serve the console do not load them)."""
    from monitor.web import (
        views_admin,
        views_auth,
        views_dashboard,
        views_entry,
        views_events,
        views_index,
        views_manual,
        views_ops,
        views_reports,
    )

    return (views_auth, views_events, views_index, views_reports, views_ops, views_admin, views_dashboard,
            views_entry, views_manual)  # fmt: skip


def create_app(
    engine: Engine | None = None,
    settings: Settings | None = None,
    *,
    scheduler: Any = None,
    secure_cookies: bool = False,
) -> FastAPI:
    """The console bound to `engine` (default: settings' database). `scheduler`, when given, is shown on the
    status page; `secure_cookies` marks the session cookie HTTPS-only (set it behind a TLS proxy)."""

    settings = settings or get_settings()
    app = FastAPI(
        title="creditwatch 控制台", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine(settings.database_url)
    app.state.sessions = session_factory(app.state.engine)
    app.state.templates = make_templates(HERE / "templates")
    app.state.scheduler = scheduler
    app.state.throttle = LoginThrottle()
    # A working day by default: the office signs in again the next morning; an unattended screen ends sooner.
    app.state.session_policy = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )
    app.state.base_url = settings.base_url.rstrip("/")
    app.state.reports_dir = Path(settings.data_dir) / "reports"
    app.state.data_dir = Path(settings.data_dir)
    app.state.report_runner = ReportRunner(app.state.sessions, app.state.reports_dir)

    # Order, outermost first: headers on every answer (refusals too), the public redirects, the Host check,
    # the path/query guard, then the cookie. The cookie's own lifetime matches the absolute session timeout;
    # the server-side row (web_sessions) is what really decides.
    app.add_middleware(
        SessionMiddleware,
        secret_key=load_secret_key(settings.secret_key, Path(settings.data_dir)),
        session_cookie="cw_session",
        max_age=settings.session_max_hours * 3600,
        same_site="lax",
        https_only=secure_cookies,
    )
    app.add_middleware(InputGuard)
    # an evidence file at its limit plus the form around it; nothing else the console takes comes near
    app.add_middleware(BodyLimit, max_bytes=MAX_EVIDENCE_BYTES + 256 * 1024)
    app.add_middleware(HostCheck, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(PublicRedirects, base_url=app.state.base_url)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in view_modules():
        app.include_router(module.router)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return render(
            request, "error.html", {"code": 403, "message": str(exc) or "没有权限访问此页面"}, status=403
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_parameter(request: Request, exc: RequestValidationError) -> HTMLResponse:
        # A bounded parameter refused (monitor/web/params.py): 400 with one Chinese line, never a 500.
        return render(
            request, "error.html", {"code": 400, "message": validation_message(exc.errors())}, status=400
        )

    # Starlette's own exception, not FastAPI's subclass: an address no route serves (and a missing static file)
    # raises the base class, which would otherwise be answered with English JSON.
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        message = _chinese_or(exc.detail, HTTP_MESSAGES.get(exc.status_code, "请求无法处理"))
        return render(
            request, "error.html", {"code": exc.status_code, "message": message}, status=exc.status_code
        )

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> HTMLResponse:
        # Runs outside the session middleware (Starlette's outermost layer): a page without the signed-in menu.
        # The exception is re-raised after this answer, and the server logs it with its traceback.
        templates = request.app.state.templates
        context = {
            "code": 500,
            "message": SERVER_ERROR,
            "user": None,
            "flashes": [],
            "path": request.url.path,
        }
        return templates.TemplateResponse(request, "error.html", context, status_code=500)

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """On start, report requests a previous process left in flight are marked abandoned; on stop, running
    reports finish (uvicorn waits here) and waiting ones are marked abandoned."""
    runner: ReportRunner = app.state.report_runner
    try:
        await run_in_threadpool(runner.sweep)
    except Exception:  # housekeeping: the console is still worth starting (the reports page sweeps again)
        log.exception("could not sweep stale report requests")
    yield
    await run_in_threadpool(runner.close)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
