"""Scheduler job runs: what each scheduled job did (ran, failed, missed, skipped), shown in the web console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, intpk


class JobRun(Base):
    """One scheduler event for one job: outcome ∈ executed | error | missed | skipped."""

    __tablename__ = "job_runs"

    id: Mapped[intpk]
    job_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    scheduled_at: Mapped[datetime | None]  # the run time the scheduler intended
    recorded_at: Mapped[datetime] = mapped_column(index=True)  # when the outcome was known
    duration_s: Mapped[float | None] = mapped_column(Float)  # executed/error only
    detail: Mapped[str | None] = mapped_column(Text)  # return value summary or the exception
