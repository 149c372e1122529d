"""Staff accounts: argon2 password hashes, creation, authentication (shared by the console and the CLI)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, event, inspect, select
from sqlalchemy.orm import Session

from models import Role, User, WebSession, now

_hasher = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("creditwatch-dummy-password")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-一-鿿]{2,64}$")
# Changing any of these ends the user's console sessions in the same transaction as the change.
REVOKING_FIELDS = ("password_hash", "role", "active")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A user could not be created or changed; the message is shown to the operator."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"密码至少 {MIN_PASSWORD} 位")


def session_stamp(user: User) -> str:
    """A short fingerprint of the password hash and role kept in the session: changing either ends old sessions."""
    return hashlib.sha256(f"{user.password_hash}|{user.role.value}|{user.active}".encode()).hexdigest()[:16]


def create_user(session: Session, username: str, password: str, role: Role) -> User:
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise AccountError("用户名须为 2–64 位字母、数字、汉字或 _ . -")
    check_password_rules(password)
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise AccountError(f"用户 {username} 已存在")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    session.add(user)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    check_password_rules(password)
    user.password_hash = hash_password(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this name and password, or None (same work either way)."""
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login = now()
    return user


@event.listens_for(Session, "before_flush")
def _revoke_sessions_on_account_change(session: Session, flush_context: Any, instances: Any) -> None:
    """Whatever changes a user's password, role or active flag (console, CLI, a script), that user's console
    sessions are deleted in the same transaction: no code path can forget to end them."""
    for obj in session.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        state = inspect(obj)
        if any(state.attrs[name].history.has_changes() for name in REVOKING_FIELDS):
            # Through the connection, not session.execute: no autoflush from inside a flush.
            session.connection().execute(delete(WebSession).where(WebSession.user_id == obj.id))
