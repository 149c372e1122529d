"""Storing a crawl's spool (crawlers.spool) once storage is back: `creditwatch crawl-reingest DIR`.

Fetches are archived first, then items, with the crawl's own idempotent writes, so re-ingesting a spool twice
(or one holding an item the crawl did store before failing) stores each thing once. An item whose fetch was
spooled too is linked to the archived response by its URL. A spool file fully stored is renamed ``*.done``;
one with items that still fail stays, so the command can be run again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from crawlers.pipelines import CrawlStore, Parsed, write_health_rows
from crawlers.spool import FETCHES, HEALTH, ITEMS, SpooledFetch, item_from_json, read_lines
from models import Fetch
from storage.db import make_engine, session_scope

log = logging.getLogger(__name__)


@dataclass
class ReingestReport:
    fetches: int = 0
    items: int = 0
    failed: int = 0


def reingest(folder: Path, db_url: str, run_id: str | None = None) -> ReingestReport:
    """Store the spooled fetches and items of `folder` into `db_url`; returns what was stored and what failed."""
    if not any((folder / name).is_file() for name in (ITEMS, FETCHES, HEALTH)):
        raise FileNotFoundError(f"no spool in {folder} ({ITEMS} / {FETCHES} / {HEALTH})")
    report = ReingestReport()
    store = CrawlStore(make_engine(db_url), "reingest", run_id or f"reingest-{folder.name}")
    try:
        fetch_ids: dict[str, int] = {}
        fetches = read_lines(folder / FETCHES)
        for record in fetches:
            f = SpooledFetch.from_json(record)
            try:
                fid = store.store_fetch(f)
            except Exception:
                log.exception("re-archiving %s failed", f.url)
                report.failed += 1
                continue
            fetch_ids[f.url] = fetch_ids[f.final_url] = fid
            report.fetches += 1
        items = read_lines(folder / ITEMS)
        for record in items:
            parsed = Parsed(
                item=item_from_json(record["item"]),
                site=record["site"],
                request_url=record["request_url"],
                response_url=record["response_url"],
                fetch_id=record.get("fetch_id") or _fetch_id(store, fetch_ids, record),
                list_name=record.get("list_name"),
            )
            try:
                store.store(parsed)
            except Exception:
                log.exception("re-storing %s failed", parsed.response_url)
                report.failed += 1
                continue
            report.items += 1
        health = read_lines(folder / HEALTH)
        if health:  # the failed run's own parser health (its refused writes make it `failing`)
            rows = [
                {**r, "started_at": datetime.fromisoformat(r["started_at"]),
                 "finished_at": datetime.fromisoformat(r["finished_at"])}
                for r in health
            ]  # fmt: skip
            with session_scope(store.engine) as s:
                write_health_rows(s, rows)
        store.close()
    finally:
        store.engine.dispose()
    if report.failed == 0:
        for name in (ITEMS, FETCHES, HEALTH):
            if (folder / name).is_file():
                (folder / name).rename(folder / f"{name}.done")
    return report


def _fetch_id(store: CrawlStore, known: dict[str, int], record: dict[str, str]) -> int | None:
    """The archived response of a spooled item whose archive write had failed: re-archived above, or by an
    earlier re-ingest (newest fetch of its URL)."""
    for url in (record["response_url"], record["request_url"]):
        if url in known:
            return known[url]
    with store.engine.connect() as c:
        return c.scalar(
            select(Fetch.id)
            .where(Fetch.final_url == record["response_url"])
            .order_by(Fetch.fetched_at.desc())
            .limit(1)
        )
