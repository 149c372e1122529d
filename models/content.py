"""What the sites published: articles, homepage snapshots with headline positions, ranking lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created, intpk
from models.sites import Site


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[intpk]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(String(1024), unique=True)  # canonical URL
    title: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    source: Mapped[str | None] = mapped_column(String(256))  # 来源 / media
    author: Mapped[str | None] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text, default="")  # paragraphs joined by \n
    extractor: Mapped[str] = mapped_column(String(64))  # page object that produced it, e.g. people.ArticleV2
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id"))
    created_at: Mapped[created]

    site: Mapped[Site | None] = relationship()


class HomepageSnapshot(Base):
    __tablename__ = "homepage_snapshots"
    __table_args__ = (UniqueConstraint("site_id", "captured_at"),)

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(index=True)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id"))

    site: Mapped[Site] = relationship()
    appearances: Mapped[list[Appearance]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", order_by="Appearance.position"
    )


class Appearance(Base):
    """A headline link on a homepage: its position (1 = first in document order) and the block it sits in."""

    __tablename__ = "appearances"
    __table_args__ = (UniqueConstraint("snapshot_id", "position"),)

    id: Mapped[intpk]
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("homepage_snapshots.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    block: Mapped[str] = mapped_column(String(64))  # 头条 | 要闻 | section title
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1024), index=True)
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)

    snapshot: Mapped[HomepageSnapshot] = relationship(back_populates="appearances")


class RankingSnapshot(Base):
    __tablename__ = "ranking_snapshots"
    __table_args__ = (UniqueConstraint("site_id", "list_name", "captured_at"),)

    id: Mapped[intpk]
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    list_name: Mapped[str] = mapped_column(String(128))  # e.g. 新闻排行·24小时点击
    period: Mapped[str | None] = mapped_column(String(32))  # 1h | 24h | week | month | day ...
    url: Mapped[str] = mapped_column(Text)
    captured_at: Mapped[datetime] = mapped_column(index=True)
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("fetches.id"))

    site: Mapped[Site] = relationship()
    entries: Mapped[list[RankingEntry]] = relationship(
        back_populates="snapshot", cascade="all, delete-orphan", order_by="RankingEntry.rank"
    )


class RankingEntry(Base):
    __tablename__ = "ranking_entries"
    __table_args__ = (UniqueConstraint("snapshot_id", "rank"),)

    id: Mapped[intpk]
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("ranking_snapshots.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(1024), index=True)
    value: Mapped[float | None] = mapped_column(Float)  # clicks / comments / hot score
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), index=True)

    snapshot: Mapped[RankingSnapshot] = relationship(back_populates="entries")
