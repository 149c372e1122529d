"""Staff accounts of the web console."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, intpk, str_enum


class Role(enum.Enum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))  # argon2
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.VIEWER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[created]
    last_login: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in console session, kept on the server so it can be ended at once (logout, disable, role or
    password change). The cookie holds a random token; only its SHA-256 is stored, so a read of this table
    cannot be replayed as a cookie."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Fingerprint of the account (password hash, role, active) at log-in: a change made by any path, even one
    # that bypasses the ORM events that delete these rows, still ends the session.
    stamp: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created]
    last_seen: Mapped[datetime]
