"""Sessions, CSRF tokens, roles, log-in delays and response headers of the console.

The cookie is Starlette's signed cookie (itsdangerous) keyed by `settings.secret_key`, or by a key generated once
into `data_dir/secret_key` when none is configured — never a key in the repository. It carries the CSRF token and
a random session token; who is signed in is decided by the `web_sessions` row that token's hash names, so deleting
rows ends sessions at once (a copied cookie is worth nothing after logout).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

from fastapi import Request
from sqlalchemy import delete, or_
from sqlalchemy.orm import Session
from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import Role, User, WebSession, now
from monitor.web.accounts import session_stamp

log = logging.getLogger(__name__)
RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}

# No inline script or style anywhere: the console works without JavaScript, so none is allowed at all.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def load_secret_key(configured: str | None, data_dir: Path) -> str:
    """The configured key, else the one stored in `data_dir/secret_key` (created 0600 on first use)."""
    if configured:
        return configured
    path = data_dir / "secret_key"
    if path.is_file():
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key)
    return key


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pages, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


class InputGuard:
    """Refuses a request whose path or query string holds control characters (NUL above all: PostgreSQL cannot
    store or compare it and answers with an error) or is absurdly long, before any route, with a 400 in Chinese.
    Routes also bound each parameter (`monitor/web/params.py`); this catches what no parameter type sees."""

    MAX_QUERY = 4096

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_query: bytes = scope.get("query_string", b"")
            problem = None
            if len(raw_query) > self.MAX_QUERY or len(scope.get("path", "")) > self.MAX_QUERY:
                problem = "请求地址过长"
            elif _CONTROL_RE.search(scope.get("path", "")) or _CONTROL_RE.search(
                unquote_plus(raw_query.decode("latin-1"))
            ):
                problem = "请求地址含有控制字符"
            if problem:
                response = PlainTextResponse(f"400 {problem}", status_code=400)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class BodyLimit:
    """Refuses a request body larger than `max_bytes` (413) before anything reads it, and a POST whose size is not
    declared (411): the form parser spools uploads to disk without a bound of its own, so an evidence upload of
    gigabytes would fill the disk before a route could say no. Browsers always declare a form's size, and the
    server never hands an app more bytes than declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in ("POST", "PUT", "PATCH"):
            headers = dict(scope.get("headers") or [])
            declared = headers.get(b"content-length")
            problem: tuple[int, str] | None = None
            if declared is None:
                if headers.get(b"transfer-encoding"):
                    problem = (411, "411 请求须注明长度")
            elif not declared.isdigit():
                problem = (400, "400 请求长度无效")
            elif int(declared) > self.max_bytes:
                problem = (413, f"413 上传内容过大（上限 {self.max_bytes // (1024 * 1024)} MB）")
            if problem:
                response = PlainTextResponse(problem[1], status_code=problem[0])
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HostCheck(TrustedHostMiddleware):
    """Starlette's Host check (no DNS rebinding, no link built from a forged Host), with its refusal in Chinese:
    a member of staff who opens the console by an address it does not serve (its IP instead of its name) reads
    why and whom to ask."""

    REFUSAL = "400 访问地址不在本系统允许的范围内：请使用管理员提供的控制台网址"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        parsed = parse_host_header(Headers(scope=scope).get("host"))
        host = parsed.host.lower() if parsed is not None else None
        if host is not None and any(
            host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:]))
            for pattern in self.allowed_hosts
        ):
            await self.app(scope, receive, send)
            return
        # The administrator's side of it: which name was used, to add to `allowed_hosts` if it is the office's own.
        log.info("refused a request for host %r: not in allowed_hosts", host)
        await PlainTextResponse(self.REFUSAL, status_code=400)(scope, receive, send)


class PublicRedirects:
    """Absolute redirects (FastAPI's trailing-slash redirect builds one from the Host header) are rewritten onto
    the configured base URL, so no link the console hands out ever carries a Host a client sent."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_public(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = []
                for key, value in message.get("headers", []):
                    if key.lower() == b"location":
                        value = public_location(self.base_url, value.decode("latin-1")).encode("latin-1")
                    headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_public)


def public_location(base_url: str, location: str) -> str:
    """`location` with any scheme and host replaced by `base_url`'s (relative ones kept relative)."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    path = parts.path or "/"
    return base_url.rstrip("/") + path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as templates see it (plain values, usable after the database session closed)."""

    id: int
    username: str
    role: Role


class LoginRequired(Exception):
    """No valid session: the handler redirects to the log-in page."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this (HTTP 403)."""


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use, also for the anonymous log-in form)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def verify_csrf(request: Request) -> None:
    """Every POST carries the session's token in the form field `csrf_token`; anything else is refused."""
    expected = request.session.get("csrf")
    form = await request.form()
    sent = form.get("csrf_token")
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, i.e. a 500).
    if (
        not isinstance(expected, str)
        or not isinstance(sent, str)
        or not hmac.compare_digest(expected.encode(), sent.encode("utf-8", "replace"))
    ):
        raise Forbidden("CSRF 校验失败，请刷新页面后重试")


@dataclass(frozen=True)
class SessionPolicy:
    """Idle and absolute lifetimes of a console session."""

    idle: timedelta = timedelta(hours=2)
    absolute: timedelta = timedelta(hours=12)
    # last_seen is written at most this often: a write per page view would serialize SQLite for nothing.
    touch_every: timedelta = timedelta(minutes=1)


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(request: Request, db: Session, user: User) -> None:
    """A fresh session for `user`: a new token and CSRF token (nothing carries over from the anonymous session,
    which defeats session fixation) and a new server-side row; the row of the session in use, if any, goes."""
    end_session(request, db)
    token = secrets.token_urlsafe(32)
    at = now()
    # Sessions that ended by timeout but were never used again are removed here, so the table stays the size of
    # the sessions actually alive.
    policy: SessionPolicy = getattr(request.app.state, "session_policy", SessionPolicy())
    db.execute(
        delete(WebSession).where(
            or_(WebSession.created_at < at - policy.absolute, WebSession.last_seen < at - policy.idle)
        )
    )
    address = request.client.host if request.client else None
    db.add(
        WebSession(
            id=_token_id(token),
            user_id=user.id,
            stamp=session_stamp(user),
            address=address[:64] if address else None,
            created_at=at,
            last_seen=at,
        )
    )
    request.session.clear()
    request.session.update(sid=token, csrf=secrets.token_urlsafe(32))


def end_session(request: Request, db: Session) -> None:
    """Log-out: the server-side row goes (so the cookie is dead everywhere it was copied) and the cookie clears."""
    token = request.session.get("sid")
    if isinstance(token, str):
        db.execute(delete(WebSession).where(WebSession.id == _token_id(token)))
    request.session.clear()


def revoke_sessions(db: Session, user_id: int) -> int:
    """End every session of one user (disabled, role or password changed). Returns how many ended."""
    result = db.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def session_user(request: Request, db: Session) -> User | None:
    """The signed-in user, if the session's row exists, is within its idle and absolute lifetimes and still
    matches the account (role, password, active); otherwise the row is deleted and the cookie cleared."""
    token = request.session.get("sid")
    if not isinstance(token, str) or not 20 <= len(token) <= 128:
        return None
    policy: SessionPolicy = getattr(request.app.state, "session_policy", SessionPolicy())
    row = db.get(WebSession, _token_id(token))
    at = now()
    user = db.get(User, row.user_id) if row is not None else None
    if (
        row is None
        or user is None
        or not user.active
        or row.stamp != session_stamp(user)
        or at - row.created_at > policy.absolute
        or at - row.last_seen > policy.idle
    ):
        if row is not None:
            db.delete(row)
            db.commit()
        request.session.clear()
        return None
    if at - row.last_seen > policy.touch_every:
        row.last_seen = at
        db.commit()
    return user


def allowed(user: User | CurrentUser, role: Role) -> bool:
    return RANK[user.role] >= RANK[role]


class LoginThrottle:
    """Slows password guessing without letting a stranger lock an official out.

    Failures are counted per (user name, client address) and per client address. After `free` failures a key
    waits before its next attempt: 1 s, 2 s, 4 s … up to `max_delay_s`. A stranger guessing from elsewhere
    only delays themselves; the official at their own address is untouched. A success clears its pair; counts
    fade after `forget_s` without a failure. The table is bounded, dropping the stalest keys first."""

    def __init__(
        self, free: int = 3, max_delay_s: float = 300.0, forget_s: float = 3600.0, max_keys: int = 50_000
    ) -> None:
        self.free = free
        self.max_delay_s = max_delay_s
        self.forget_s = forget_s
        self.max_keys = max_keys
        self._fails: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()
        self.clock = time.monotonic

    def _keys(self, username: str, address: str) -> list[tuple[str, str]]:
        # The per-address key has a higher allowance: one office behind NAT may share an address.
        return [(username.casefold(), address), ("", address)]

    def _delay(self, count: int, allowance: int) -> float:
        if count < allowance:
            return 0.0
        return float(min(2 ** (count - allowance), self.max_delay_s))

    def wait_s(self, username: str, address: str) -> float:
        """Seconds to wait before this name may be tried from this address (0: go ahead)."""
        at = self.clock()
        wait = 0.0
        with self._lock:
            for key in self._keys(username, address):
                count, last = self._fails.get(key, (0, 0.0))
                if count and at - last > self.forget_s:
                    self._fails.pop(key, None)
                    continue
                allowance = self.free if key[0] else self.free * 10
                wait = max(wait, last + self._delay(count, allowance) - at)
        return max(wait, 0.0)

    def failed(self, username: str, address: str) -> None:
        at = self.clock()
        with self._lock:
            for key in self._keys(username, address):
                count, _ = self._fails.pop(key, (0, 0.0))
                self._fails[key] = (count + 1, at)
            while len(self._fails) > self.max_keys:
                self._fails.popitem(last=False)

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._fails.pop((username.casefold(), address), None)
