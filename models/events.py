"""Events (reprint clusters of articles), their major-incident status, government feedback, institutions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created, division_code, intpk, str_enum


class EventStatus(enum.Enum):
    NORMAL = "normal"
    MAJOR = "major"  # 重大失信事件: top of a ranking list, or on the homepages of 3+ of the 15 sites


class FeedbackStatus(enum.Enum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Event(Base):
    __tablename__ = "events"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16), index=True)  # by vote of its articles
    domain: Mapped[str | None] = mapped_column(String(16))
    subdomain: Mapped[str | None] = mapped_column(String(32))
    division_code: Mapped[division_code | None]
    first_seen: Mapped[datetime] = mapped_column(index=True)
    last_seen: Mapped[datetime]
    status: Mapped[EventStatus] = mapped_column(str_enum(EventStatus), default=EventStatus.NORMAL, index=True)
    major_since: Mapped[datetime | None]
    major_reason: Mapped[str | None] = mapped_column(Text)
    signature: Mapped[dict[str, Any]] = mapped_column(default=dict)  # clustering state (MinHash etc.)
    # An event the office learnt of elsewhere and typed in (人工录入): who entered it and their note.
    entered_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    # Who in the office answers for the government response to this event (shown with the countdown).
    feedback_owner: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[created]

    articles: Mapped[list[EventArticle]] = relationship(back_populates="event", cascade="all, delete-orphan")


class EventArticle(Base):
    """Membership: an article belongs to at most one event."""

    __tablename__ = "event_articles"

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), unique=True)
    similarity: Mapped[float] = mapped_column(Float, default=1.0)
    added_at: Mapped[created]

    event: Mapped[Event] = relationship(back_populates="articles")


class EventStatusChange(Base):
    __tablename__ = "event_status_changes"

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    old_status: Mapped[str] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)


class Institution(Base):
    """A credit rule, policy or standard published for a city and domain (信用制度)."""

    __tablename__ = "institutions"

    id: Mapped[intpk]
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(Text)
    division_code: Mapped[division_code | None]
    domain: Mapped[str | None] = mapped_column(String(16))
    subdomain: Mapped[str | None] = mapped_column(String(32))
    published_at: Mapped[datetime | None]
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created]


class FeedbackLink(Base):
    """The government's answer to a (major) event: a feedback article or a new institution, reviewed by staff."""

    __tablename__ = "feedback_links"
    __table_args__ = (
        UniqueConstraint("event_id", "article_id"),
        UniqueConstraint("event_id", "institution_id"),
    )

    id: Mapped[intpk]
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"))
    delay_hours: Mapped[float | None] = mapped_column(Float)  # from the event's first sighting
    score: Mapped[float] = mapped_column(Float, default=0.0)  # link confidence
    status: Mapped[FeedbackStatus] = mapped_column(str_enum(FeedbackStatus), default=FeedbackStatus.PROPOSED)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[datetime | None]
    created_at: Mapped[created]
