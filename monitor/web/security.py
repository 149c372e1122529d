"""Sessions, CSRF tokens, roles and response headers of the console.

The session is Starlette's signed cookie (itsdangerous) keyed by `settings.secret_key`, or by a key generated once
into `data_dir/secret_key` when none is configured — never a key in the repository.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models import Role, User
from monitor.web.accounts import session_stamp

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
    if not isinstance(expected, str) or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise Forbidden("CSRF 校验失败，请刷新页面后重试")


def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (new CSRF token: nothing carries over from the anonymous session)."""
    request.session.clear()
    request.session.update(
        uid=user.id, stamp=session_stamp(user), csrf=secrets.token_urlsafe(32), since=int(time.time())
    )


def session_user(request: Request, db: Session) -> User | None:
    """The signed-in user, if the session is valid and still matches the account (role, password, active)."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    user = db.get(User, uid)
    if user is None or not user.active or request.session.get("stamp") != session_stamp(user):
        request.session.clear()
        return None
    return user


def allowed(user: User | CurrentUser, role: Role) -> bool:
    return RANK[user.role] >= RANK[role]


class LoginThrottle:
    """Slows password guessing: after `limit` failures for a name, refuse it for `lock_s` seconds."""

    def __init__(self, limit: int = 5, lock_s: float = 60.0) -> None:
        self.limit = limit
        self.lock_s = lock_s
        self._fails: dict[str, tuple[int, float]] = {}

    def blocked(self, username: str) -> bool:
        count, since = self._fails.get(username, (0, 0.0))
        if count < self.limit:
            return False
        if time.monotonic() - since > self.lock_s:
            self._fails.pop(username, None)
            return False
        return True

    def failed(self, username: str) -> None:
        count, _ = self._fails.get(username, (0, 0.0))
        self._fails[username] = (count + 1, time.monotonic())

    def succeeded(self, username: str) -> None:
        self._fails.pop(username, None)
