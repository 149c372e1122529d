"""The spool of a crawl's writes that storage refused: JSON lines on disk, re-ingested once storage is back.

A write that fails (database read-only, full, unreachable past its wait) must not lose what was fetched: the
item is appended to ``<spool dir>/items.jsonl`` (the parsed item with its site and URLs), an archive write
that failed to ``fetches.jsonl`` (the raw response, base64) and the run's parser health, when even that could
not be written, to ``health.jsonl``. `reingest` stores both again — fetches first, then
items, linked to their fetch by URL — with the same idempotent upserts as the crawl, so a spool re-ingested
twice, or holding an item that did get stored, stores nothing twice. `creditwatch crawl-reingest DIR` runs it.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawlers.items import ArticleItem, HeadlineItem, HomepageItem, RankingEntryItem, RankingItem

ITEMS = "items.jsonl"
FETCHES = "fetches.jsonl"
HEALTH = "health.jsonl"


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def item_to_json(item: ArticleItem | HomepageItem | RankingItem) -> dict[str, Any]:
    kind = {ArticleItem: "article", HomepageItem: "homepage", RankingItem: "ranking"}[type(item)]
    return {"kind": kind, **item.to_dict()}


def item_from_json(data: dict[str, Any]) -> ArticleItem | HomepageItem | RankingItem:
    fields = {k: v for k, v in data.items() if k != "kind"}
    if data["kind"] == "article":
        return ArticleItem(**{**fields, "published_at": _dt(fields["published_at"])})
    if data["kind"] == "homepage":
        headlines = [HeadlineItem(**h) for h in fields.pop("headlines")]
        return HomepageItem(**{**fields, "captured_at": _dt(fields["captured_at"]), "headlines": headlines})
    if data["kind"] == "ranking":
        entries = [RankingEntryItem(**e) for e in fields.pop("entries")]
        return RankingItem(**{**fields, "captured_at": _dt(fields["captured_at"]), "entries": entries})
    raise ValueError(f"unknown spooled item kind {data['kind']!r}")


@dataclass(frozen=True, slots=True)
class SpooledFetch:
    """An archive write that failed: the response as the archive would have stored it."""

    url: str
    final_url: str
    status: int
    headers: dict[str, Any]
    body: bytes
    fetched_at: datetime
    encoding: str | None
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "headers": self.headers,
            "body_b64": base64.b64encode(self.body).decode("ascii"),
            "fetched_at": self.fetched_at.isoformat(),
            "encoding": self.encoding,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SpooledFetch:
        return cls(
            url=data["url"],
            final_url=data["final_url"],
            status=int(data["status"]),
            headers=dict(data["headers"]),
            body=base64.b64decode(data["body_b64"]),
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            encoding=data.get("encoding"),
            error=data.get("error"),
        )


class Spool:
    """Appends refused writes to JSON-lines files in one folder (thread-safe; flushed line by line, so a crawl
    killed afterwards keeps what it spooled)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self.items = 0
        self.fetches = 0

    def _append(self, name: str, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with (self.folder / name).open("a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()

    def item(self, record: dict[str, Any]) -> None:
        self._append(ITEMS, record)
        self.items += 1

    def health(self, row: dict[str, Any]) -> None:
        """A parser-health row of the run (`crawl_stats`) that could not be written at its end."""
        self._append(HEALTH, row)

    def fetch(self, fetch: SpooledFetch) -> None:
        self._append(FETCHES, fetch.to_json())
        self.fetches += 1


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The records of one spool file; a torn last line (the process died while writing it) is skipped."""
    if not path.is_file():
        return []
    out: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
