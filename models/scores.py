"""Index scores per model version, city and month, and the manual inputs the office enters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, division_code, intpk


class ManualInput(Base):
    __tablename__ = "manual_inputs"
    __table_args__ = (UniqueConstraint("model_name", "indicator_code", "division_code", "month"),)

    id: Mapped[intpk]
    model_name: Mapped[str] = mapped_column(String(64))
    indicator_code: Mapped[str] = mapped_column(String(64))
    division_code: Mapped[division_code]
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[created]


class IndexScore(Base):
    """One city's index for one month under one model version; aspects/details/assumptions are JSON (see scoring)."""

    __tablename__ = "index_scores"
    __table_args__ = (UniqueConstraint("model_name", "model_version", "division_code", "month"),)

    id: Mapped[intpk]
    model_name: Mapped[str] = mapped_column(String(64), index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[division_code]
    month: Mapped[str] = mapped_column(String(7), index=True)
    total: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    aspects: Mapped[dict[str, Any]] = mapped_column(default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    assumptions: Mapped[list[Any]] = mapped_column(default=list)
    computed_at: Mapped[datetime]
    created_at: Mapped[created]
