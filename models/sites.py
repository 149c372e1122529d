"""Monitored sites, the fetch archive (the evidence trail) and per-crawl parser health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, created, intpk


class Site(Base):
    """One of the 15 websites or a portal; `key` is the registry key (people, xinhua, 163, creditchina, ...)."""

    __tablename__ = "sites"

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="news")  # news | portal
    domains: Mapped[list[Any]] = mapped_column(default=list)


class Fetch(Base):
    """Every response, archived gzip-compressed with its sha256: what the office can show was seen, and when."""

    __tablename__ = "fetches"
    __table_args__ = (UniqueConstraint("url", "fetched_at", "sha256"),)

    id: Mapped[intpk]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    encoding: Mapped[str | None] = mapped_column(String(32))
    fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    body_gz: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer, default=0)  # uncompressed bytes
    spider: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)  # WAF challenge, truncated body, ...

    site: Mapped[Site | None] = relationship()


class CrawlStat(Base):
    """Parser health: what one crawl got from one site. Silent layout breakage shows up as empty bodies/dates."""

    __tablename__ = "crawl_stats"
    __table_args__ = (UniqueConstraint("run_id", "site_key"),)

    id: Mapped[intpk]
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    spider: Mapped[str] = mapped_column(String(32))
    site_key: Mapped[str] = mapped_column(String(32), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    responses: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    empty_bodies: Mapped[int] = mapped_column(Integer, default=0)
    missing_dates: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    waf_challenges: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[Any]] = mapped_column(default=list)  # [{"url", "reason"}], capped
    created_at: Mapped[created]
