"""Storage of a crawl: the fetch archive, articles, homepage snapshots, ranking lists, and per-site parser health.

One `CrawlStore` per crawler (built from the crawler's settings) is shared by the archive downloader middleware
(every response is archived in `fetches`, gzip + sha256) and by `StorePipeline` (items upserted idempotently,
appearances and ranking entries linked to articles by URL). Settings read:

* ``CREDITWATCH_DATABASE_URL`` — database (default: creditwatch settings, ``sqlite:///var/creditwatch.db``);
  the schema must exist (``creditwatch db upgrade``; `crawlers.run.run_crawl` does it).
* ``CREDITWATCH_RUN_ID`` — names this crawl's parser-health rows (default: spider name + start time).
* ``CREDITWATCH_STATS_FILE`` — where to write Scrapy's stats as JSON at the end (used by crawlers.run).
* ``CREDITWATCH_SPOOL_DIR`` — where writes that storage refused are spooled (crawlers.spool; default
  ``<data_dir>/spool/<run id>``).

Items are written off the Twisted reactor thread: `StorePipeline` queues them and one writer thread stores them
in batches, one transaction per batch (upserts on each table's natural key, so a batch retried after a lost
connection stores nothing twice). A batch that fails is retried item by item; an item that still cannot be
stored is spooled to disk, counted for its site, and fails the run (``creditwatch/storage_failures`` in the
stats, a non-zero exit in crawlers.run) — nothing fetched is dropped silently.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from scrapy.crawler import Crawler
from sqlalchemy import Engine, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from config.settings import TZ, get_settings
from crawlers.items import ArticleItem, HomepageItem, RankingItem
from crawlers.pages.plausibility import fallback_template
from crawlers.registry import registry, site_for_url
from crawlers.spool import Spool, SpooledFetch, item_to_json
from models import (
    Appearance,
    Article,
    CrawlStat,
    Fetch,
    HomepageSnapshot,
    RankingEntry,
    RankingSnapshot,
    Site,
)
from storage.db import make_engine, session_scope
from storage.repository import archive_fetch, sync_sites
from storage.upsert import upsert, upsert_id, upsert_rows

log = logging.getLogger(__name__)

MAX_ERRORS_PER_SITE = 50
DB_WAIT_SECONDS = 60.0
# Parser health is also written while the crawl runs, at most this often: a crawl killed mid-way (SIGKILL, OOM)
# keeps counters at most this old instead of none. Scrapy setting CREDITWATCH_HEALTH_EVERY overrides it.
HEALTH_EVERY_SECONDS = 30.0
"""How long writes wait for an unreachable database (PostgreSQL restart, failover) before failing again."""
_T = TypeVar("_T")
_STORE_ATTR = "_creditwatch_store"
BATCH_ITEMS = 64
"""Items per write transaction: enough to amortise the commit (an fsync on SQLite), small enough that a failed
batch retried item by item costs little."""
BATCH_LINGER_SECONDS = 0.05
"""How long the writer waits for a batch to fill once it holds one entry. Without it a writer that keeps up
commits every entry or two (390 commits for 390 pages of the crawl benchmark, each an fsync on SQLite); the wait
is nothing beside a crawl, and the reactor never waits for it."""
QUEUE_ITEMS = 1024
"""Items waiting for the writer at most; beyond it the reactor waits (back-pressure instead of unbounded memory)."""


@dataclass(slots=True)
class Parsed:
    """What a spider callback yields: a page object's item plus where it came from."""

    item: ArticleItem | HomepageItem | RankingItem
    site: str
    """Registry key of the site the response belongs to."""
    request_url: str
    """The URL asked for (before redirects): what homepages and ranking lists link to."""
    response_url: str
    fetch_id: int | FetchRef | None = None
    """Row of the archived response in `fetches` (a `FetchRef` while its archive write is queued)."""
    list_name: str | None = None
    """Ranking lists: the stored list name (registry source name + the page's own list name)."""


@dataclass(slots=True, eq=False)
class FetchRef:
    """A response queued for the archive; the writer sets `id` once it is stored (items queued after it — the
    callback's — are written after it, so they find it set), None if storage refused it (then it is spooled)."""

    fetch: SpooledFetch
    site: str
    id: int | None = None


def _link_article(table: Any) -> Any:
    """UPDATE that points a homepage's or ranking list's unlinked entries at a stored article: built once, run with
    parameters (Core, not the ORM's bulk update, which re-evaluated the statement for every article)."""
    return (
        update(table)
        .where(table.c.url.in_(bindparam("urls", expanding=True)), table.c.article_id.is_(None))
        .values(article_id=bindparam("article_id"))
    )


_LINK_APPEARANCES = _link_article(Appearance.__table__)
_LINK_RANKING_ENTRIES = _link_article(RankingEntry.__table__)


def fetch_id_of(parsed: Parsed) -> int | None:
    ref = parsed.fetch_id
    return ref.id if isinstance(ref, FetchRef) else ref


@dataclass(slots=True)
class SiteHealth:
    responses: int = 0
    items: int = 0
    empty_bodies: int = 0
    missing_dates: int = 0
    failures: int = 0
    waf_challenges: int = 0
    not_recorded: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    # page-object template -> articles the generic extractor read because that template's result was implausible
    fallbacks: dict[str, int] = field(default_factory=dict)

    def note(self, url: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS_PER_SITE:
            self.errors.append({"url": url, "reason": reason[:300]})


def site_key(url: str) -> str:
    entry = site_for_url(url)
    return entry.key if entry is not None else "unknown"


class CrawlStore:
    """Database writes of one crawl; counts per-site parser health and writes it to `crawl_stats` at the end."""

    def __init__(
        self,
        engine: Engine,
        spider_name: str,
        run_id: str,
        health_every: float = HEALTH_EVERY_SECONDS,
        spool: Spool | None = None,
    ) -> None:
        self.engine = engine
        self.spool = spool
        self.storage_failures = 0
        """Writes (archive, items, parser health) that storage refused; any fails the run."""
        self.spider_name = spider_name
        self.run_id = run_id
        self.started_at = datetime.now(TZ)
        self.health_every = health_every
        self._health_written = time.monotonic()
        self.health: dict[str, SiteHealth] = {}
        self._lock = threading.Lock()
        self._unreachable_since: float | None = None
        self.batch = BATCH_ITEMS
        self._queue: queue.Queue[FetchRef | Parsed | None] = queue.Queue(maxsize=QUEUE_ITEMS)
        self._writer: threading.Thread | None = None
        try:
            with session_scope(engine) as s:
                sync_sites(s, (e.model_dump() for e in registry()))
                self.site_ids: dict[str, int] = {site.key: site.id for site in s.scalars(select(Site))}
        except OperationalError as exc:
            raise RuntimeError(
                f"database {engine.url.render_as_string(hide_password=True)} is not ready ({exc.orig}): "
                "run `creditwatch db upgrade` first"
            ) from exc

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStore:
        """The crawler's store, created on first use (middlewares and the pipeline share it)."""
        store = getattr(crawler, _STORE_ATTR, None)
        if store is None:
            settings = crawler.settings
            url = settings.get("CREDITWATCH_DATABASE_URL") or get_settings().database_url
            name = crawler.spidercls.name if crawler.spidercls else "crawl"
            run_id = settings.get("CREDITWATCH_RUN_ID") or (
                f"{name}-{datetime.now(TZ):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
            )
            every = settings.getfloat("CREDITWATCH_HEALTH_EVERY", HEALTH_EVERY_SECONDS)
            spool_dir = settings.get("CREDITWATCH_SPOOL_DIR") or (get_settings().data_dir / "spool" / run_id)
            store = cls(make_engine(url), name, run_id, every, Spool(Path(spool_dir)))
            setattr(crawler, _STORE_ATTR, store)
        return store

    def site(self, key: str) -> SiteHealth:
        with self._lock:
            return self.health.setdefault(key, SiteHealth())

    # -- the writer thread: archive and items, in the order the reactor queued them -------------------------------
    def queue_archive(
        self,
        *,
        url: str,
        final_url: str,
        status: int,
        headers: dict[str, Any],
        body: bytes,
        fetched_at: datetime,
        encoding: str | None,
        error: str | None,
    ) -> FetchRef:
        """Queue one response for the archive (the reactor thread does not wait for the database)."""
        key = site_key(final_url)
        self.site(key).responses += 1
        ref = FetchRef(SpooledFetch(url, final_url, status, headers, body, fetched_at, encoding, error), key)
        self._put(ref)
        return ref

    def queue_item(self, parsed: Parsed) -> None:
        self._put(parsed)

    def _put(self, entry: FetchRef | Parsed) -> None:
        if self._writer is None:
            with self._lock:
                if self._writer is None:
                    self._writer = threading.Thread(
                        target=self._write_loop, name="creditwatch-writer", daemon=True
                    )
                    self._writer.start()
        self._queue.put(entry)

    def drain(self) -> None:
        """Wait until everything queued is stored or spooled."""
        if self._writer is not None:
            self._queue.join()

    def finish_writes(self) -> None:
        """Store what is queued and stop the writer (at the end of the crawl; safe to call twice)."""
        writer = self._writer
        if writer is not None:
            self._queue.put(None)
            writer.join()
            self._writer = None

    def _write_loop(self) -> None:
        done = False
        while not done:
            first = self._queue.get()
            if first is None:
                self._queue.task_done()
                break
            batch: list[FetchRef | Parsed] = [first]
            until = time.monotonic() + BATCH_LINGER_SECONDS
            while len(batch) < self.batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    done = True
                    self._queue.task_done()
                    break
                batch.append(nxt)
            try:
                self.store_batch(batch)
                self.maybe_write_health()
            except Exception:  # store_batch spools what it cannot store; this is a bug, never a silent loss
                log.exception("the writer failed on a batch of %d entries", len(batch))
                for entry in batch:
                    self._refuse(entry, "writer error")
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _refuse(self, entry: FetchRef | Parsed, reason: str) -> None:
        """Count and spool one entry storage refused."""
        if isinstance(entry, FetchRef):
            entry.id = None
            self.refused(entry.site, entry.fetch.final_url, f"archive: {reason}")
            if self.spool is not None:
                self.spool.fetch(entry.fetch)
        else:
            self.refused(entry.site, entry.response_url, f"store: {reason}")
            if self.spool is not None:
                self.spool.item(spool_record(entry))

    # -- the fetch archive -------------------------------------------------------------------------------------
    def store_fetch(self, fetch: SpooledFetch) -> int:
        """Archive one response now, in the calling thread (re-ingest, tests); the crawl queues them instead."""
        ref = FetchRef(fetch, site_key(fetch.final_url))
        self.site(ref.site).responses += 1
        try:
            return self._write(f"archiving {fetch.url}", lambda s: self._archive_in(s, ref))
        except Exception as exc:
            self.refused(ref.site, fetch.final_url, f"archive: {type(exc).__name__}: {exc}")
            if self.spool is not None:
                self.spool.fetch(fetch)
            raise

    def _write(self, what: str, work: Callable[[Session], _T]) -> _T:
        """Run `work` in one transaction. While the database is unreachable (a PostgreSQL restart), wait and run
        it again from the start instead of losing the item: the writes are idempotent upserts, so one that did
        commit before its connection broke is not doubled. The wait blocks the crawl on purpose (nothing is
        fetched that cannot be archived); after DB_WAIT_SECONDS of outage, writes fail at once again."""
        pause = 0.25
        while True:
            try:
                with session_scope(self.engine) as s:
                    result = work(s)
                self._unreachable_since = None
                return result
            except DBAPIError as exc:
                # SQLite's OperationalError is also a missing table, and its locks wait in busy_timeout already.
                lost = exc.connection_invalidated or isinstance(exc, OperationalError)
                if self.engine.dialect.name == "sqlite" or not lost:
                    raise
                now = time.monotonic()
                self._unreachable_since = since = self._unreachable_since or now
                if now - since >= DB_WAIT_SECONDS:
                    raise
                log.warning("%s: database unreachable (%s); retrying in %.2fs", what, exc.orig, pause)
                time.sleep(pause)
                pause = min(pause * 2, 2.0)

    # -- incremental crawling ----------------------------------------------------------------------------------
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are stored already: as an article's canonical URL or as the URL it was fetched from."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        with Session(self.engine) as s:
            for i in range(0, len(wanted), 400):
                chunk = wanted[i : i + 400]
                found.update(s.scalars(select(Article.url).where(Article.url.in_(chunk))))
                fetched = (
                    select(Fetch.url, Fetch.final_url)
                    .join(Article, Article.fetch_id == Fetch.id)
                    .where(or_(Fetch.url.in_(chunk), Fetch.final_url.in_(chunk)))
                )
                for u, fu in s.execute(fetched):
                    found.update(x for x in (u, fu) if x in chunk)
        return found

    def pending_links(
        self, sites: set[str] | None, limit_per_site: int, lookback: timedelta = timedelta(days=3)
    ) -> list[tuple[str, str]]:
        """Article links seen on homepages and ranking lists that no stored article answers yet, newest
        snapshot first: ``[(site_key, url)]``. Only snapshots within `lookback` of the newest one count
        (older links were tried before; a replayed recording keeps its own capture times)."""
        out: dict[str, list[str]] = {}
        with Session(self.engine) as s:
            newest = max(
                (t for t in (s.scalar(select(func.max(HomepageSnapshot.captured_at))),
                             s.scalar(select(func.max(RankingSnapshot.captured_at)))) if t is not None),
                default=None,
            )  # fmt: skip
            if newest is None:
                return []
            since = newest - lookback
            rows: list[tuple[str, datetime]] = [
                (u, t)
                for u, t in s.execute(
                    select(Appearance.url, HomepageSnapshot.captured_at)
                    .join(HomepageSnapshot, Appearance.snapshot_id == HomepageSnapshot.id)
                    .where(Appearance.article_id.is_(None), HomepageSnapshot.captured_at >= since)
                    .order_by(HomepageSnapshot.captured_at.desc(), Appearance.position)
                )
            ]
            rows += [
                (u, t)
                for u, t in s.execute(
                    select(RankingEntry.url, RankingSnapshot.captured_at)
                    .join(RankingSnapshot, RankingEntry.snapshot_id == RankingSnapshot.id)
                    .where(RankingEntry.article_id.is_(None), RankingSnapshot.captured_at >= since)
                    .order_by(RankingSnapshot.captured_at.desc(), RankingEntry.rank)
                )
            ]
        rows.sort(key=lambda r: r[1], reverse=True)
        seen: set[str] = set()
        for url, _ in rows:
            if url in seen:
                continue
            seen.add(url)
            entry = site_for_url(url)
            if entry is None or not entry.is_article_url(url) or (sites and entry.key not in sites):
                continue
            bucket = out.setdefault(entry.key, [])
            if len(bucket) < limit_per_site:
                bucket.append(url)
        return [(k, u) for k, urls in out.items() for u in urls]

    # -- items -------------------------------------------------------------------------------------------------
    def store(self, parsed: Parsed) -> None:
        self._write(f"storing {parsed.response_url}", lambda s: self._store_item(s, parsed))
        self._count_stored(parsed)

    def store_batch(self, batch: list[FetchRef | Parsed]) -> int:
        """Store `batch` (responses for the archive and items) in one transaction; if that fails, entry by entry,
        so one bad item costs only itself. What cannot be stored is spooled and counted (`refused`). Returns how
        many items were stored."""
        if not batch:
            return 0
        try:
            self._write(f"storing {len(batch)} entries", lambda s: self._store_items(s, batch))
        except Exception:
            log.warning("a batch of %d entries failed; storing them one by one", len(batch), exc_info=True)
        else:
            items = [e for e in batch if isinstance(e, Parsed)]
            for parsed in items:
                self._count_stored(parsed)
            return len(items)
        for entry in batch:  # ids given inside the rolled-back transaction are void
            if isinstance(entry, FetchRef):
                entry.id = None
        stored = 0
        for entry in batch:
            try:
                if isinstance(entry, FetchRef):
                    entry.id = self._write(
                        f"archiving {entry.fetch.url}", partial(self._archive_in, ref=entry)
                    )
                else:
                    self.store(entry)
                    stored += 1
            except Exception as exc:
                log.exception("storing an entry from %s failed", _entry_url(entry))
                self._refuse(entry, f"{type(exc).__name__}: {exc}")
        return stored

    def _store_items(self, s: Session, batch: list[FetchRef | Parsed]) -> None:
        for entry in batch:
            if isinstance(entry, FetchRef):
                entry.id = self._archive_in(s, entry)
            else:
                self._store_item(s, entry)

    def _archive_in(self, s: Session, ref: FetchRef) -> int:
        f = ref.fetch
        return archive_fetch(
            s,
            url=f.url,
            final_url=f.final_url,
            status=f.status,
            headers=f.headers,
            body=f.body,
            fetched_at=f.fetched_at,
            encoding=f.encoding,
            site_id=self.site_ids.get(ref.site),
            spider=self.spider_name,
            error=f.error,
        )

    def _count_stored(self, parsed: Parsed) -> None:
        """Parser health of a stored item (counted after its commit: a retried write must not count twice)."""
        item = parsed.item
        health = self.site(parsed.site)
        if isinstance(item, ArticleItem):
            if not item.body.strip():
                health.empty_bodies += 1
                health.note(parsed.response_url, "empty body")
            if item.published_at is None:
                health.missing_dates += 1
                health.note(parsed.response_url, "no publication date")
            template = fallback_template(item.extractor)
            if template:
                health.fallbacks[template] = health.fallbacks.get(template, 0) + 1
        health.items += 1

    def _store_item(self, s: Session, parsed: Parsed) -> None:
        item = parsed.item
        if isinstance(item, ArticleItem):
            self._store_article(s, parsed, item)
        elif isinstance(item, HomepageItem):
            self._store_homepage(s, parsed, item)
        elif isinstance(item, RankingItem):
            self._store_ranking(s, parsed, item)
        else:  # pragma: no cover - spiders yield only these
            raise TypeError(f"cannot store {type(item).__name__}")

    def _article_ids(self, s: Session, urls: set[str]) -> dict[str, int]:
        """Stored articles answering any of `urls`, by canonical URL or by the URL they were fetched from."""
        if not urls:
            return {}
        found: dict[str, int] = {}
        chunked = list(urls)
        for i in range(0, len(chunked), 400):
            chunk = chunked[i : i + 400]
            for aid, url in s.execute(select(Article.id, Article.url).where(Article.url.in_(chunk))):
                found[url] = aid
            rows = s.execute(
                select(Article.id, Fetch.url, Fetch.final_url)
                .join(Fetch, Article.fetch_id == Fetch.id)
                .where(or_(Fetch.url.in_(chunk), Fetch.final_url.in_(chunk)))
            )
            for aid, u, fu in rows:
                for x in (u, fu):
                    if x in urls:
                        found.setdefault(x, aid)
        return found

    def _store_article(self, s: Session, parsed: Parsed, item: ArticleItem) -> None:
        site_id = self.site_ids.get(item.site) or self.site_ids.get(parsed.site)
        article_id = upsert_id(
            s,
            Article,
            {
                "url": item.url[:1024],
                "site_id": site_id,
                "title": item.title,
                "published_at": item.published_at,
                "source": item.source[:256] or None,
                "author": item.author[:256] or None,
                "body": item.body,
                "extractor": item.extractor[:64],
                "fetch_id": fetch_id_of(parsed),
            },
            key=["url"],
        )
        params = {"urls": list({item.url, parsed.request_url, parsed.response_url}), "article_id": article_id}
        s.execute(_LINK_APPEARANCES, params)
        s.execute(_LINK_RANKING_ENTRIES, params)

    def _store_homepage(self, s: Session, parsed: Parsed, item: HomepageItem) -> None:
        site_id = self.site_ids[parsed.site]
        snap_id = upsert_id(
            s,
            HomepageSnapshot,
            {
                "site_id": site_id,
                "url": item.url,
                "captured_at": item.captured_at,
                "fetch_id": fetch_id_of(parsed),
            },
            key=["site_id", "captured_at"],
        )
        ids = self._article_ids(s, {h.url for h in item.headlines})
        # One statement for the page's headlines; a position seen twice keeps its last headline, as row-by-row
        # upserts did (and one multi-row ON CONFLICT may not touch a row twice on PostgreSQL).
        rows = {
            h.position: {
                "snapshot_id": snap_id,
                "position": h.position,
                "block": h.block[:64],
                "title": h.title,
                "url": h.url[:1024],
                "article_id": ids.get(h.url),
            }
            for h in item.headlines
        }
        upsert_rows(s, Appearance, list(rows.values()), key=["snapshot_id", "position"])

    def _store_ranking(self, s: Session, parsed: Parsed, item: RankingItem) -> None:
        site_id = self.site_ids[parsed.site]
        snap_id = upsert_id(
            s,
            RankingSnapshot,
            {
                "site_id": site_id,
                "list_name": (parsed.list_name or item.list_name or "排行")[:128],
                "period": item.period[:32] or None,
                "url": item.url,
                "captured_at": item.captured_at,
                "fetch_id": fetch_id_of(parsed),
            },
            key=["site_id", "list_name", "captured_at"],
        )
        ids = self._article_ids(s, {e.url for e in item.entries})
        rows = {
            e.rank: {
                "snapshot_id": snap_id,
                "rank": e.rank,
                "title": e.title,
                "url": e.url[:1024],
                "value": float(e.value) if e.value is not None else None,
                "article_id": ids.get(e.url),
            }
            for e in item.entries
        }
        upsert_rows(s, RankingEntry, list(rows.values()), key=["snapshot_id", "rank"])

    # -- parser health -----------------------------------------------------------------------------------------
    def failure(self, site: str, url: str, reason: str) -> None:
        h = self.site(site)
        h.failures += 1
        h.note(url, reason)

    def refused(self, site: str, url: str, reason: str) -> None:
        """A write storage refused: a failure of the site, named as a storage failure, and of the whole run."""
        with self._lock:
            self.storage_failures += 1
        self.failure(site, url, f"{STORAGE_FAILURE}{reason}")

    def waf(self, site: str, url: str, reason: str) -> None:
        h = self.site(site)
        h.waf_challenges += 1
        h.note(url, reason)

    def not_recorded(self, site: str, url: str) -> None:
        self.site(site).not_recorded += 1

    def maybe_write_health(self) -> None:
        """Write the counters if the last write is older than `health_every`; a failed write only logs (the
        counters are kept and written again later, at the latest at close)."""
        if time.monotonic() - self._health_written < self.health_every:
            return
        try:
            self.write_health()
        except Exception:
            log.exception("writing parser health of run %s failed; retried later", self.run_id)

    def write_health(self) -> None:
        """Upsert this run's per-site counts into `crawl_stats` (during the crawl and at the end; idempotent).
        `finished_at` is the time of the write: for a crawl that died, when its counters were last saved."""
        self._health_written = time.monotonic()
        self._write("writing parser health", self._write_health)

    def _write_health(self, s: Session) -> None:
        write_health_rows(s, self.health_rows())

    def health_rows(self) -> list[dict[str, Any]]:
        """This run's `crawl_stats` rows as of now (one per site)."""
        finished = datetime.now(TZ)
        with self._lock:  # a copy: the counters move on while the rows are written
            rows = sorted(
                (
                    (k, replace(h, errors=list(h.errors), fallbacks=dict(h.fallbacks)))
                    for k, h in self.health.items()
                ),
                key=lambda r: r[0],
            )
        out: list[dict[str, Any]] = []
        for key, h in rows:
            errors = list(h.errors)
            if h.not_recorded:
                errors.append({"url": "", "reason": f"{h.not_recorded} URL(s) not in the replayed recording"})
            for template, count in sorted(h.fallbacks.items()):
                reason = (
                    f"page object {template} implausible on {count} page(s): read by the generic extractor"
                )
                errors.append({"url": "", "reason": reason, "template": template, "fallbacks": str(count)})
            out.append(
                {
                    "run_id": self.run_id,
                    "spider": self.spider_name,
                    "site_key": key,
                    "started_at": self.started_at,
                    "finished_at": finished,
                    "responses": h.responses,
                    "items": h.items,
                    "empty_bodies": h.empty_bodies,
                    "missing_dates": h.missing_dates,
                    "failures": h.failures,
                    "waf_challenges": h.waf_challenges,
                    "errors": errors,
                }
            )
        return out

    def close(self) -> None:
        try:
            self.write_health()
        except Exception:
            log.exception("writing parser health of run %s failed at close; spooled", self.run_id)
            with self._lock:
                self.storage_failures += 1
            if self.spool is not None:  # re-ingested with the items: the run's health then shows the failure
                for row in self.health_rows():
                    self.spool.health(row)
        finally:
            self.engine.dispose()


def write_health_rows(s: Session, rows: Iterable[dict[str, Any]]) -> None:
    for row in rows:
        upsert(s, CrawlStat, row, key=["run_id", "site_key"])


STORAGE_FAILURE = "storage: "
"""Prefix of a parser-health error that was a refused write (it makes the site's status `failing`)."""


def _entry_url(entry: FetchRef | Parsed) -> str:
    return entry.fetch.final_url if isinstance(entry, FetchRef) else entry.response_url


def spool_record(parsed: Parsed) -> dict[str, Any]:
    """The JSON-lines record of an item storage refused (crawlers.spool reads it back)."""
    return {
        "item": item_to_json(parsed.item),
        "site": parsed.site,
        "request_url": parsed.request_url,
        "response_url": parsed.response_url,
        "fetch_id": fetch_id_of(parsed),
        "list_name": parsed.list_name,
    }


class StorePipeline:
    """Queues every `Parsed` item for the store's writer thread, which stores responses and items in batches
    (`CrawlStore.store_batch`), so the reactor thread never waits on the database; close_spider drains the
    queue before the stats are written."""

    def __init__(self, store: CrawlStore, crawler: Crawler | None = None) -> None:
        self.store = store
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(CrawlStore.from_crawler(crawler), crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Parsed):
            self.store.queue_item(item)
        return item

    def drain(self) -> None:
        """Wait until every queued item is stored or spooled."""
        self.store.drain()

    def close_spider(self) -> None:
        self.store.finish_writes()
        self.store.close()
        # crawlers.run reads the crawl's counters from this file (CREDITWATCH_STATS_FILE).
        target = self.crawler.settings.get("CREDITWATCH_STATS_FILE") if self.crawler else None
        if target and self.crawler is not None and self.crawler.stats is not None:
            stats = dict(self.crawler.stats.get_stats())
            stats["creditwatch/closed_at"] = datetime.now(TZ).isoformat()
            stats["creditwatch/storage_failures"] = self.store.storage_failures
            if self.store.spool is not None and (self.store.spool.items or self.store.spool.fetches):
                stats["creditwatch/spool_dir"] = str(self.store.spool.folder)
                stats["creditwatch/spooled_items"] = self.store.spool.items
                stats["creditwatch/spooled_fetches"] = self.store.spool.fetches
            Path(target).write_text(json.dumps(stats, default=str, ensure_ascii=False), encoding="utf-8")


def health_status(items: int, responses: int, empty: int, undated: int, failures: int, waf: int) -> str:
    """A one-word verdict for one site in one crawl: ok, degraded (some empty bodies, missing dates, failures
    or WAF challenges) or failing (nothing parsed although the site answered or was asked)."""
    if items == 0 and (responses > 0 or failures > 0 or waf > 0):
        return "failing"
    if waf or failures or (items and (empty + undated) / items > 0.2):
        return "degraded"
    return "ok"


def health_rows(
    engine: Engine, spider: str | None = None, sites: set[str] | None = None, runs: int = 1
) -> list[dict[str, Any]]:
    """The latest `runs` crawl_stats rows per (site, spider), newest first, with a status verdict."""
    query = select(CrawlStat).order_by(CrawlStat.site_key, CrawlStat.spider, CrawlStat.started_at.desc())
    if spider:
        query = query.where(CrawlStat.spider == spider)
    if sites:
        query = query.where(CrawlStat.site_key.in_(sorted(sites)))
    out: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    with Session(engine) as s:
        for r in s.scalars(query):
            key = (r.site_key, r.spider)
            if seen.get(key, 0) >= runs:
                continue
            seen[key] = seen.get(key, 0) + 1
            out.append(
                {
                    "site": r.site_key,
                    "spider": r.spider,
                    "run_id": r.run_id,
                    "started_at": r.started_at,
                    "finished_at": r.finished_at,
                    "responses": r.responses,
                    "items": r.items,
                    "empty_bodies": r.empty_bodies,
                    "missing_dates": r.missing_dates,
                    "failures": r.failures,
                    "waf_challenges": r.waf_challenges,
                    "errors": list(r.errors or []),
                    "status": "failing"
                    if any(str(e.get("reason", "")).startswith(STORAGE_FAILURE) for e in r.errors or [])
                    else health_status(
                        r.items, r.responses, r.empty_bodies, r.missing_dates, r.failures, r.waf_challenges
                    ),
                }
            )
    return out
