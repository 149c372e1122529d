"""Typed items handed from the page objects to the spiders and pipelines (separate from the ORM classes)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class ArticleItem:
    """One news article as read from its page."""

    site: str
    """Site key of the registry (``people``, ``xinhua``, ... ``qq``), or ``unknown`` for other domains."""
    url: str
    """Canonical absolute URL (``link[rel=canonical]``/``og:url`` when present, else the fetched URL)."""
    title: str
    """Headline, whitespace collapsed, without the site/channel suffix of ``<title>``."""
    published_at: datetime | None
    """Publication time, timezone-aware in Asia/Shanghai (serialised ISO 8601 with +08:00); None if not found."""
    source: str
    """Originating media (来源), e.g. ``新华社``; empty string when the page names none."""
    author: str
    """Authors/editors (作者/记者/责任编辑) joined by ``、``; empty string when the page names none."""
    body: str
    """Main text: paragraphs stripped of whitespace, joined by a single ``\\n``."""
    extractor: str
    """Which page object produced the item: ``<site>`` / ``<site>.V2`` for a site parser, ``generic`` otherwise."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``published_at`` as ISO 8601 with +08:00)."""
        data = asdict(self)
        data["published_at"] = _iso(self.published_at)
        return data


@dataclass(frozen=True, slots=True)
class HeadlineItem:
    """One headline link on a homepage."""

    position: int
    """1-based rank of the link in document order among all headline links of the page."""
    block: str
    """``头条`` (the lead story block), ``要闻`` (the top-news block) or the title of the page section it sits in."""
    title: str
    """Link text (or its ``title`` attribute), whitespace collapsed."""
    url: str
    """Absolute URL of the linked page."""


@dataclass(frozen=True, slots=True)
class HomepageItem:
    """A snapshot of one homepage: every headline link with its position and block."""

    site: str
    """Site key of the registry."""
    url: str
    """Homepage URL as fetched."""
    captured_at: datetime
    """Fetch time, timezone-aware (ISO 8601 with +08:00 when serialised)."""
    headlines: list[HeadlineItem] = field(default_factory=list)
    """Headline links in document order (``position`` 1..n)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``captured_at`` as ISO 8601)."""
        data = asdict(self)
        data["captured_at"] = _iso(self.captured_at)
        return data


@dataclass(frozen=True, slots=True)
class RankingEntryItem:
    """One entry of a ranking (hot) list."""

    rank: int
    """1-based place in the list as published."""
    title: str
    """Entry title, whitespace collapsed."""
    url: str
    """Absolute URL of the article."""
    value: int | None
    """The list's own measure (clicks, comments, hot score) as an integer, None when the list shows none."""


@dataclass(frozen=True, slots=True)
class RankingItem:
    """One ranking list as published by a site."""

    site: str
    """Site key of the registry."""
    list_name: str
    """Name of the list, e.g. ``新闻 点击榜`` or the API category (``finance_0_suda``)."""
    period: str
    """What the list covers: ``1h``, ``24h``, ``day``, ``week``, ``month`` or a date ``YYYY-MM-DD``; empty if unknown."""
    url: str
    """URL the list was read from."""
    captured_at: datetime
    """Fetch time, timezone-aware (ISO 8601 with +08:00 when serialised)."""
    entries: list[RankingEntryItem] = field(default_factory=list)
    """Entries ordered by rank."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``captured_at`` as ISO 8601)."""
        data = asdict(self)
        data["captured_at"] = _iso(self.captured_at)
        return data
