"""Distributed crawling on scrapy-redis: one Redis request queue and dupefilter shared by crawler processes on one
or more machines, all writing to the same (PostgreSQL) database.

What this adds to scrapy-redis, and why:
- **Per-crawl keys with expiry.** scrapy-redis keys a queue by spider name and never forgets a fingerprint; here every
  key carries the crawl id and is given a TTL on each write, so the dupefilter cannot grow without bound and an
  abandoned crawl disappears by itself.
- **A reliable queue.** scrapy-redis pops requests destructively, so a worker killed with SIGKILL loses what it had
  in flight. Here a pop moves the request into the worker's own `processing` list (LMOVE, atomic); it is removed
  only when Scrapy has finished the response — every item through the pipelines, every new request in the queue —
  or when the request is re-scheduled (retry, redirect). Marking a request seen and queueing it is one atomic
  step (a Lua script), so a kill between the two cannot leave a request "seen" but never queued. A restarted worker, or any worker that sees a dead peer (no heartbeat), moves
  such leftovers back to the queue: delivery is at-least-once, and idempotent upserts make it effectively-once.
- **Shared state is never flushed by one worker's close** (`SCHEDULER_PERSIST`): the others may still be working.
- **Redis gone is a failed worker, not a hang or a quiet success.** Once the client's own retries give up, the
  worker stops acknowledging (what it has in flight stays parked and is fetched again on resume), closes its
  spider with reason `redis_unavailable` and exits with status `REDIS_LOST_EXIT`. Rerunning the same crawl id once
  Redis is back finishes the crawl; idempotent upserts store each item once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import uuid
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import Base as RedisQueueBase
from scrapy_redis.scheduler import Scheduler as RedisScheduler

log = logging.getLogger(__name__)

KEY_PREFIX = "creditwatch:crawl"
ENTRY_META = "cw_queue_entry"  # the serialized queue entry a popped request came from
REDIS_LOST_EXIT = 3  # exit status of a worker that lost Redis (1 is Scrapy's failure to start)
REDIS_LOST_REASON = "redis_unavailable"
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError)


def crawl_keys(crawl_id: str) -> dict[str, str]:
    """The Redis keys of one crawl (`%(spider)s` is filled in by scrapy-redis)."""
    base = f"{KEY_PREFIX}:{crawl_id}:%(spider)s"
    return {
        "queue": f"{base}:requests",
        "dupefilter": f"{base}:dupefilter",
        "processing": f"{base}:processing",  # + ":<worker id>"
        "workers": f"{base}:workers",  # + ":<worker id>" heartbeat keys
    }


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def distributed_settings(
    crawl_id: str,
    redis_url: str,
    *,
    worker_id: str | None = None,
    ttl_seconds: int = 7 * 24 * 3600,
    idle_before_close: int = 0,
) -> dict[str, Any]:
    """Scrapy settings that turn any of our spiders into a worker of crawl `crawl_id`."""
    keys = crawl_keys(crawl_id)
    return {
        "SCHEDULER": "crawlers.distributed.Scheduler",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "crawlers.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": keys["queue"],
        "SCHEDULER_DUPEFILTER_KEY": keys["dupefilter"],
        "DUPEFILTER_CLASS": "crawlers.distributed.ExpiringDupeFilter",
        "SCHEDULER_IDLE_BEFORE_CLOSE": idle_before_close,
        "REDIS_URL": redis_url,
        "CREDITWATCH_CRAWL_ID": crawl_id,
        "CREDITWATCH_WORKER_ID": worker_id or default_worker_id(),
        "CREDITWATCH_REDIS_TTL": ttl_seconds,
        "EXTENSIONS": {"crawlers.distributed.WorkerHeartbeat": 10, "crawlers.distributed.AckOnFinish": 11},
    }


def _ttl(spider: Spider) -> int:
    return int(spider.settings.getint("CREDITWATCH_REDIS_TTL", 7 * 24 * 3600))


def redis_lost(crawler: Crawler) -> bool:
    return bool(getattr(crawler, "cw_redis_lost", False))


def lose_redis(crawler: Crawler, exc: BaseException) -> None:
    """Redis is unreachable (the client's retries are spent): stop acknowledging and close the spider once.

    Scrapy's engine calls the scheduler from a looping call that dies on the first exception, after which the
    worker would hang for ever; so the scheduler reports the loss here instead of raising."""
    if redis_lost(crawler):
        return
    crawler.cw_redis_lost = True  # type: ignore[attr-defined]
    log.error("Redis unreachable, closing this worker (its in-flight requests stay parked): %s", exc)
    if crawler.stats is not None:
        crawler.stats.set_value("creditwatch/redis_lost", str(exc)[:200])
    engine = crawler.engine
    if engine is not None and engine.spider is not None:
        deferred_from_coro(engine.close_spider_async(reason=REDIS_LOST_REASON))


class ExpiringDupeFilter(RFPDupeFilter):
    """The shared dupefilter, its key refreshed to a TTL on every write so it cannot outlive the crawl for long."""

    ttl: int = 7 * 24 * 3600

    @classmethod
    def from_spider(cls, spider: Spider) -> ExpiringDupeFilter:
        df = super().from_spider(spider)
        df.ttl = _ttl(spider)
        return df  # type: ignore[no-any-return]

    def request_seen(self, request: Request) -> bool:
        fp = self.request_fingerprint(request)
        pipe = self.server.pipeline()
        pipe.sadd(self.key, fp)
        pipe.expire(self.key, self.ttl)
        added, _ = pipe.execute()
        return bool(added == 0)

    def close(self, reason: str = "") -> None:
        """Keep the fingerprints: other workers of the same crawl still rely on them (they expire by TTL)."""


_PUSH_SCRIPT = """
local added = 1
if ARGV[1] ~= '' then
  added = redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[4])
end
if added == 1 then
  redis.call('LPUSH', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[4])
end
if ARGV[3] ~= '' then
  redis.call('LREM', KEYS[3], 1, ARGV[3])
end
return added
"""


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler, with the seen-check and the push made one atomic step on our queue, and Redis
    going away reported to `lose_redis` instead of raised into the engine."""

    def enqueue_request(self, request: Request) -> bool:
        try:
            return self._enqueue(request)
        except REDIS_ERRORS as exc:
            # The request is not queued; the response it came from is never acknowledged, so the resumed crawl
            # fetches that page again and finds this link again.
            lose_redis(self.spider.crawler, exc)
            return False

    def next_request(self) -> Request | None:
        if redis_lost(self.spider.crawler):
            return None
        try:
            return super().next_request()  # type: ignore[no-any-return]
        except REDIS_ERRORS as exc:
            lose_redis(self.spider.crawler, exc)
            return None

    def has_pending_requests(self) -> bool:
        if redis_lost(self.spider.crawler):
            return False
        try:
            return bool(super().has_pending_requests())
        except REDIS_ERRORS as exc:
            lose_redis(self.spider.crawler, exc)
            return False

    def _enqueue(self, request: Request) -> bool:
        queue = self.queue
        if not isinstance(queue, ReliableQueue):
            return bool(super().enqueue_request(request))
        fp = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = queue.push_unless_seen(request, self.df.key, fp)
        if not added:
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        return True


class ReliableQueue(RedisQueueBase):
    """FIFO queue whose pops are parked in a per-worker processing list until acknowledged."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.worker_id = spider.settings.get("CREDITWATCH_WORKER_ID") or default_worker_id()
        self.processing_base = self.key.rsplit(":", 1)[0] + ":processing"
        self.processing = f"{self.processing_base}:{self.worker_id}"
        self.ttl = _ttl(spider)
        # Our own leftovers first: this worker id was killed before it could acknowledge them.
        requeue(self.server, self.processing, self.key)

    def __len__(self) -> int:
        return int(self.server.llen(self.key))

    def push(self, request: Request) -> None:
        self.push_unless_seen(request, None)

    def push_unless_seen(self, request: Request, fingerprint_key: str | None, fingerprint: str = "") -> bool:
        """Atomically: mark `fingerprint` seen and queue the request unless it was seen already; and drop the
        processing entry this request supersedes (a retry or redirect of a popped request)."""
        old = request.meta.pop(ENTRY_META, None)
        data = self._encode_request(request)
        keys = [self.key, fingerprint_key or self.key + ":nofilter", self.processing]
        added = self.server.eval(_PUSH_SCRIPT, 3, *keys, fingerprint, data, old or "", self.ttl)
        return bool(added)

    def pop(self, timeout: int = 0) -> Request | None:
        if timeout > 0:
            data = self.server.blmove(self.key, self.processing, timeout, "RIGHT", "LEFT")
        else:
            data = self.server.lmove(self.key, self.processing, "RIGHT", "LEFT")
        if not data:
            return None
        self.server.expire(self.processing, self.ttl)
        request: Request = self._decode_request(data)
        request.meta[ENTRY_META] = data
        return request

    def ack(self, request: Request) -> None:
        entry = request.meta.pop(ENTRY_META, None)
        if entry is None:
            return
        if redis_lost(self.spider.crawler):
            # Requests this response led to may not have reached the queue: keep it parked for the resume.
            return
        try:
            self.server.lrem(self.processing, 1, entry)
        except REDIS_ERRORS as exc:
            lose_redis(self.spider.crawler, exc)

    def clear(self) -> None:
        self.server.delete(self.key, self.processing)


def requeue(server: redis.Redis, processing: str, queue: str) -> int:
    """Move every parked entry of `processing` back to the head of `queue` (they are served next)."""
    moved = 0
    while server.lmove(processing, queue, "LEFT", "RIGHT") is not None:
        moved += 1
    if moved:
        log.warning("re-queued %d unacknowledged requests from %s", moved, processing)
    return moved


def _queue_of(crawler: Crawler) -> ReliableQueue | None:
    engine = crawler.engine
    slot = getattr(engine, "_slot", None)
    # `is None`, not truthiness: a scheduler's truth value is its queue length, a Redis round trip per response.
    scheduler = slot.scheduler if slot is not None else None
    if scheduler is None:
        scheduler = getattr(engine, "scheduler", None)
    queue = getattr(scheduler, "queue", None)
    return queue if isinstance(queue, ReliableQueue) else None


class AckOnFinish:
    """Acknowledges a request when Scrapy's scraper has finished its response: the callback (or errback) has run
    and every output was processed — items through the pipelines, new requests in the shared queue. Scrapy has no
    signal for that moment, so this wraps the scraper slot's `finish_response`, which marks exactly it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckOnFinish:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        engine = self.crawler.engine
        slot = getattr(getattr(engine, "scraper", None), "slot", None)
        if slot is None:
            raise RuntimeError("Scrapy's scraper slot is not open: cannot acknowledge distributed requests")
        original = slot.finish_response

        def finish_response(result: Any, request: Request) -> None:
            original(result, request)
            queue = _queue_of(self.crawler)
            if queue is not None:
                queue.ack(request)

        slot.finish_response = finish_response


class WorkerHeartbeat:
    """Announces this worker while it runs, and returns dead peers' parked requests to the queue."""

    interval = 5.0

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        s = crawler.settings
        self.server = redis.Redis.from_url(s.get("REDIS_URL"))
        self.worker_id = s.get("CREDITWATCH_WORKER_ID") or default_worker_id()
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.keys: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WorkerHeartbeat:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_idle(self, spider: Spider) -> None:
        """Stay up while the crawl has work anywhere: a peer's in-flight page may still add requests, and a dead
        peer's parked requests come back to the queue once its heartbeat expires."""
        if redis_lost(self.crawler):
            return  # closing with REDIS_LOST_REASON already
        try:
            self._check_idle()
        except REDIS_ERRORS as exc:
            lose_redis(self.crawler, exc)
            raise DontCloseSpider("Redis lost: closing as redis_unavailable, not as finished") from exc

    def _check_idle(self) -> None:
        recover_dead_workers(self.server, self.keys)
        queued = int(self.server.llen(self.keys["queue"]))
        parked = sum(
            int(self.server.llen(k)) for k in self.server.scan_iter(match=self.keys["processing"] + ":*")
        )
        if queued or parked:
            raise DontCloseSpider(f"crawl still has {queued} queued and {parked} in-flight requests")

    def spider_opened(self, spider: Spider) -> None:
        crawl_id = self.crawler.settings.get("CREDITWATCH_CRAWL_ID")
        self.keys = {k: v % {"spider": spider.name} for k, v in crawl_keys(crawl_id).items()}
        self._beat()
        recover_dead_workers(self.server, self.keys)
        self._thread = threading.Thread(target=self._run, name="cw-heartbeat", daemon=True)
        self._thread.start()

    def spider_closed(self, spider: Spider) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        with contextlib.suppress(*REDIS_ERRORS):  # Redis gone: the heartbeat key expires by itself
            self.server.delete(f"{self.keys['workers']}:{self.worker_id}")

    def engine_stopped(self) -> None:
        """Scrapy exits 0 after any crawl that started; a worker that lost Redis must say it failed. By now the
        spider is closed, the pipelines have stored what they had and the stats are written."""
        if redis_lost(self.crawler):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(REDIS_LOST_EXIT)

    def _beat(self) -> None:
        self.server.set(f"{self.keys['workers']}:{self.worker_id}", self.token, ex=int(self.interval * 3))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._beat()
                recover_dead_workers(self.server, self.keys)
            except redis.RedisError as exc:  # Redis briefly away: the next beat tries again
                log.warning("heartbeat failed: %s", exc)


def recover_dead_workers(server: redis.Redis, keys: dict[str, str]) -> int:
    """Requests parked by workers whose heartbeat has expired go back to the queue."""
    moved = 0
    prefix = keys["processing"] + ":"
    for raw in server.scan_iter(match=prefix + "*"):
        name = raw.decode() if isinstance(raw, bytes) else str(raw)
        worker = name[len(prefix) :]
        if not server.exists(f"{keys['workers']}:{worker}"):
            moved += requeue(server, name, keys["queue"])
    return moved


def crawl_status(server: redis.Redis, crawl_id: str, spider: str) -> dict[str, Any]:
    """Queue length, fingerprints seen, parked requests and live workers of one crawl."""
    keys = {k: v % {"spider": spider} for k, v in crawl_keys(crawl_id).items()}
    parked = sum(int(server.llen(k)) for k in server.scan_iter(match=keys["processing"] + ":*"))
    workers = [k.decode().rsplit(":", 1)[-1] for k in server.scan_iter(match=keys["workers"] + ":*")]
    return {
        "queued": int(server.llen(keys["queue"])),
        "seen": int(server.scard(keys["dupefilter"])),
        "parked": parked,
        "workers": sorted(workers),
        "dupefilter_ttl": int(server.ttl(keys["dupefilter"])),
    }


def command_line_settings(settings: dict[str, Any]) -> dict[str, str]:
    """The same settings as `-s KEY=VALUE` strings: Scrapy reads dict-valued settings given as JSON."""
    return {k: json.dumps(v) if isinstance(v, dict) else str(v) for k, v in settings.items()}


def run_distributed(
    spider: str,
    *,
    processes: int = 3,
    crawl_id: str | None = None,
    redis_url: str | None = None,
    db_url: str | None = None,
    replay_proxy: str | None = None,
    worker_prefix: str | None = None,
    settings: dict[str, Any] | None = None,
    site: str | None = None,
    spider_args: dict[str, str] | None = None,
    timeout: float | None = None,
) -> list[Any]:
    """Start `processes` workers of one crawl on this machine and wait for them; returns their CrawlSummary.
    Workers on other machines join the same crawl with the same crawl id, Redis URL and database URL."""
    from concurrent.futures import ThreadPoolExecutor

    from config.settings import get_settings
    from crawlers.run import init_database_for_crawl, run_crawl

    cfg = get_settings()
    crawl_id = crawl_id or f"{spider}-{uuid.uuid4().hex[:8]}"
    prefix = worker_prefix or socket.gethostname()
    db = db_url or cfg.database_url
    if db.startswith("sqlite"):
        log.warning("distributed crawl on SQLite: workers on other machines cannot reach this database")

    def one(i: int) -> Any:
        s = distributed_settings(crawl_id, redis_url or cfg.redis_url, worker_id=f"{prefix}-{i}")
        s.update(settings or {})
        return run_crawl(
            spider,
            site=site,
            spider_args=spider_args,
            db_url=db,
            replay_proxy=replay_proxy,
            init_db=False,
            settings=command_line_settings(s),
            run_id=f"{crawl_id}-w{i}",
            timeout=timeout,
        )

    init_database_for_crawl(db)  # once, before the workers race to create the schema
    with ThreadPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(one, range(processes)))
