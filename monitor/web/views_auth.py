"""Log-in and log-out."""

from __future__ import annotations

import math

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monitor.web.accounts import authenticate
from monitor.web.deps import Csrf, Db, PostViewer
from monitor.web.params import FormName, FormNext, FormPassword, QueryNext
from monitor.web.security import end_session, session_user, start_session
from monitor.web.templating import render

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only same-site paths: `//evil.example` or `https://…` would make the log-in an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/events"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, *, next: QueryNext = None, db: Db) -> Response:
    if session_user(request, db) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    *,
    username: FormName = "",
    password: FormPassword = "",
    next: FormNext = "/events",
    _csrf: Csrf,
    db: Db,
) -> Response:
    # A plain def: verifying the argon2 hash takes ~0.3 s of CPU, which on the event loop would stall the console.
    throttle = request.app.state.throttle
    name = username.strip()
    address = request.client.host if request.client else "-"
    wait = throttle.wait_s(name, address)
    if wait > 0:
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "error": f"尝试次数过多，请 {math.ceil(wait)} 秒后再试"},
            status=429,
        )
    user = authenticate(db, name, password)
    if user is None:
        throttle.failed(name, address)
        return render(
            request, "login.html", {"next": _safe_next(next), "error": "用户名或密码错误"}, status=401
        )
    throttle.succeeded(name, address)
    start_session(request, db, user)
    db.commit()
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, *, _user: PostViewer, db: Db) -> Response:
    end_session(request, db)
    db.commit()
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/dashboard", status_code=303)
