"""What the NLP stage says about an article, and what staff corrected (kept as training labels)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, created, division_code, intpk


class Classification(Base):
    """kind ∈ trust|distrust|institution|feedback|other; domain ∈ government|business|society|judiciary|None."""

    __tablename__ = "classifications"
    __table_args__ = (UniqueConstraint("article_id", "model_version"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(64))  # 'manual' for a staff correction
    kind: Mapped[str] = mapped_column(String(16), index=True)
    domain: Mapped[str | None] = mapped_column(String(16))
    subdomain: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[created]


class CityAttribution(Base):
    __tablename__ = "city_attributions"
    __table_args__ = (UniqueConstraint("article_id", "division_code"),)

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    division_code: Mapped[division_code]
    level: Mapped[str] = mapped_column(String(16))  # county | prefecture | province
    evidence: Mapped[str] = mapped_column(Text)  # the text span and the rule that matched it
    weight: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32), default="auto")  # auto | manual


class Label(Base):
    """A label set by a person (review queue in the web console); `creditwatch train` learns from these."""

    __tablename__ = "labels"

    id: Mapped[intpk]
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str | None] = mapped_column(String(16))
    domain: Mapped[str | None] = mapped_column(String(16))
    subdomain: Mapped[str | None] = mapped_column(String(32))
    division_code: Mapped[str | None] = mapped_column(String(6))
    labelled_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]
    used_at: Mapped[datetime | None]  # last training run that included it
