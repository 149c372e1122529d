"""The alert outbox: one row per (event, channel), sent with retries; the unique key survives restarts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, intpk, str_enum


class AlertStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # will retry after next_attempt_at
    DEAD = "dead"  # gave up after the maximum attempts
    HELD = "held"  # quiet hours / digest: waits for release


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[intpk]
    dedup_key: Mapped[str] = mapped_column(String(256), unique=True)  # e.g. major:<event_id>:<channel>
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))  # major | distrust | test | digest
    subject: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[AlertStatus] = mapped_column(
        str_enum(AlertStatus), default=AlertStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]
    sent_at: Mapped[datetime | None]
