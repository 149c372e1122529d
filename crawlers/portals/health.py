"""Parser health of one portal crawl, written as a CrawlStat row when the crawl ends."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models.base import now

MAX_ERRORS = 50


@dataclass(slots=True)
class PortalHealth:
    """Counters of one crawl of one portal; `blocked` holds the reason the crawl stopped early, if it did."""

    portal: str
    started_at: datetime = field(default_factory=now)
    responses: int = 0
    items: int = 0
    failures: int = 0
    waf_challenges: int = 0
    missing_dates: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    blocked: str | None = None

    def note(self, url: str | None, reason: str) -> None:
        """Keep the first MAX_ERRORS reasons (a blocked portal repeats itself)."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"url": url, "reason": reason})

    def fail(self, url: str | None, reason: str) -> None:
        self.failures += 1
        self.note(url, reason)

    def block(self, url: str | None, reason: str) -> None:
        self.waf_challenges += 1
        self.blocked = reason
        self.note(url, f"blocked: {reason}")

    def need_session(self, reason: str) -> None:
        """The portal cannot be crawled without a session or captcha the operator has not supplied."""
        self.failures += 1
        self.blocked = reason
        self.note(None, f"not crawled: {reason}")
