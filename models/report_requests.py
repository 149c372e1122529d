"""Reports requested in the web console: generated in the background, their outcome shown on the reports page."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk, now, str_enum


class ReportState(enum.Enum):
    QUEUED = "queued"  # recorded, waiting for a worker
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the report code raised: `error` says why
    ABANDONED = "abandoned"  # its process stopped or died before it finished


IN_FLIGHT = (ReportState.QUEUED, ReportState.RUNNING)


class ReportRequest(Base):
    """One analyst's request for one month, city and set of formats, from submission to outcome."""

    __tablename__ = "report_requests"

    id: Mapped[intpk]
    month: Mapped[str] = mapped_column(String(7))
    city_code: Mapped[str] = mapped_column(String(6))
    formats: Mapped[str] = mapped_column(String(32))  # "html,xlsx", in the console's order of formats
    requested_by: Mapped[str] = mapped_column(String(64))
    state: Mapped[ReportState] = mapped_column(str_enum(ReportState), default=ReportState.QUEUED, index=True)
    # "month/city/formats" while queued or running, NULL after: the unique index lets one request of a kind be
    # in flight at a time, across threads and processes (NULLs never collide, on SQLite as on PostgreSQL).
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    worker: Mapped[str | None] = mapped_column(String(128))  # "host:pid:incarnation" of its process
    requested_at: Mapped[datetime] = mapped_column(default=now, index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    files: Mapped[list[Any] | None]  # names written into data_dir/reports/<month>/
    error: Mapped[str | None] = mapped_column(Text)
