"""Running one crawl in its own process (the Twisted reactor cannot be restarted in one process).

`run_crawl` is what the CLI, the scheduler and the demo call:

    summary = run_crawl("homepage", replay=Path("crawlers/data/demo.warc.gz"), db_url="sqlite:///var/cw.db")
    summary.ok, summary.items, summary.sites["people"]["items"]

With `replay` (WARC paths) a replay server is started in this process for the crawl; with `replay_proxy` an
already running one is used (e.g. one server for every spider of the demo). Either way the spider requests
the real URLs, routed through the server as an HTTP proxy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from config.settings import TZ, get_settings

SPIDERS = ("homepage", "ranking", "articles")
LOG_TAIL_CHARS = 4000
STORAGE_FAILED = 3
"""Return code of a crawl that ran but could not store everything (the rest is spooled)."""


@dataclass
class CrawlSummary:
    """What one crawl did: exit status, time, peak memory, Scrapy counters and per-site parser health."""

    spider: str
    run_id: str
    returncode: int
    seconds: float
    peak_rss_mb: float
    """Peak resident memory of the crawl process (MiB)."""
    cpu_seconds: float = 0.0
    """CPU time (user + system) of the crawl process and the parser processes it waited for."""
    stats: dict[str, Any] = field(default_factory=dict)
    """Scrapy's stats of the crawl (downloader/response_count, item_scraped_count, ...)."""
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-site parser health: responses, items, empty_bodies, missing_dates, failures, waf_challenges, errors."""
    log_tail: str = ""
    replay_hits: int | None = None
    replay_misses: int | None = None
    storage_failures: int = 0
    """Writes storage refused; any makes the crawl fail (its items are in `spool_dir`)."""
    spool_dir: str | None = None
    """Where the refused items and responses were spooled (`creditwatch crawl-reingest` stores them)."""

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def items(self) -> int:
        return sum(int(s.get("items", 0)) for s in self.sites.values())

    @property
    def responses(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "spider": self.spider,
            "run_id": self.run_id,
            "ok": self.ok,
            "returncode": self.returncode,
            "seconds": round(self.seconds, 2),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "responses": self.responses,
            "items": self.items,
            "replay_hits": self.replay_hits,
            "replay_misses": self.replay_misses,
            "storage_failures": self.storage_failures,
            "spool_dir": self.spool_dir,
            "sites": self.sites,
        }


def crawl_command(
    spider: str,
    *,
    site: str | None = None,
    spider_args: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """The `scrapy crawl` command line for one crawl (run with SCRAPY_SETTINGS_MODULE=crawlers.settings)."""
    cmd = [sys.executable, "-m", "scrapy", "crawl", spider]
    if site:
        cmd += ["-a", f"site={site}"]
    for key, value in (spider_args or {}).items():
        cmd += ["-a", f"{key}={value}"]
    for key, value in (settings or {}).items():
        cmd += ["-s", f"{key}={value}"]
    return cmd


def replay_settings(proxy: str) -> dict[str, Any]:
    """Settings of a crawl against the local replay server: routed through it, no politeness delays
    (it is our own process), fetch times taken from the recording. 16 requests at a time, not more: on two cores
    the crawl benchmark ran at 163–165 pages/s with 16 against 152–157 with 32 (alternating, a quiet machine) —
    more responses in flight only wait for the same CPU, and cost tunnels and memory."""
    return {
        "REPLAY_PROXY": proxy,
        "REPLAY_RECORDED_TIME": "1",
        "AUTOTHROTTLE_ENABLED": "0",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": "16",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "RETRY_TIMES": "1",
        "DOWNLOAD_TIMEOUT": "20",
    }


def run_crawl(
    spider: str,
    *,
    site: str | None = None,
    replay: Path | str | Iterable[Path | str] | None = None,
    replay_proxy: str | None = None,
    db_url: str | None = None,
    record: Path | str | None = None,
    spider_args: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    run_id: str | None = None,
    log_file: Path | str | None = None,
    timeout: float | None = None,
    init_db: bool = True,
) -> CrawlSummary:
    """Run `spider` in a subprocess and wait for it; returns its summary (never raises for a failed crawl:
    check `summary.ok`). `site` is a registry key or comma-separated keys; `spider_args` become ``-a``,
    `settings` become ``-s`` (e.g. ``{"LOG_LEVEL": "WARNING"}``)."""
    if spider not in SPIDERS:
        raise ValueError(f"unknown spider {spider!r}; one of {', '.join(SPIDERS)}")
    url = db_url or get_settings().database_url
    if init_db:
        init_database_for_crawl(url)
    run_id = run_id or f"{spider}-{datetime.now(TZ):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    server = None
    if replay is not None and replay_proxy is None:
        from crawlers.replay import ReplayServer

        paths = [replay] if isinstance(replay, str | Path) else list(replay)
        server = ReplayServer([Path(p) for p in paths]).start()
        replay_proxy = server.proxy_url
    with tempfile.TemporaryDirectory(prefix="cw-crawl-") as tmp:
        stats_file = Path(tmp) / "stats.json"
        all_settings: dict[str, Any] = {
            "CREDITWATCH_DATABASE_URL": url,
            "CREDITWATCH_RUN_ID": run_id,
            "CREDITWATCH_STATS_FILE": str(stats_file),
        }
        if replay_proxy:
            all_settings.update(replay_settings(replay_proxy))
        if record:
            all_settings["RECORD_WARC"] = str(Path(record).resolve())
        all_settings.update(settings or {})
        cmd = crawl_command(spider, site=site, spider_args=spider_args, settings=all_settings)
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawlers.settings"}
        log_path = Path(log_file) if log_file else Path(tmp) / "crawl.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            with log_path.open("wb") as log_fh:
                proc = subprocess.Popen(cmd, stdout=log_fh, stderr=subprocess.STDOUT, env=env)
                returncode, peak_kb, cpu_seconds = _wait(proc, timeout)
        finally:
            hits = server.hits if server else None
            misses = len(server.misses) if server else None
            if server is not None:
                server.stop()
        seconds = time.monotonic() - started
        stats = json.loads(stats_file.read_text()) if stats_file.is_file() else {}
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS:]
    storage_failures = int(stats.get("creditwatch/storage_failures", 0))
    if returncode == 0 and storage_failures:
        returncode = (
            STORAGE_FAILED  # Scrapy exits 0 after a crawl whose writes failed: the run did not succeed
        )
    return CrawlSummary(
        spider=spider,
        run_id=run_id,
        returncode=returncode,
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,
        cpu_seconds=cpu_seconds,
        stats=stats,
        sites=_health(url, run_id),
        log_tail=tail,
        replay_hits=hits,
        replay_misses=misses,
        storage_failures=storage_failures,
        spool_dir=stats.get("creditwatch/spool_dir"),
    )


def init_database_for_crawl(url: str) -> None:
    """Schema, gazetteer and this registry's sites (storage is given the registry: it does not import it)."""
    from crawlers.registry import registry
    from storage.setup import init_database

    init_database(url, (e.model_dump() for e in registry()))


def _wait(proc: subprocess.Popen[bytes], timeout: float | None) -> tuple[int, int, float]:
    """Wait for the crawl; returns (returncode, peak RSS in KiB, CPU seconds) from the child's rusage (os.wait4,
    which on Linux also counts the child's own children it waited for)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime
        if deadline is not None and time.monotonic() > deadline:
            proc.terminate()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                proc.returncode = -15
            return -15, int(usage.ru_maxrss), usage.ru_utime + usage.ru_stime
        time.sleep(0.05)


def _health(url: str, run_id: str) -> dict[str, dict[str, Any]]:
    from models import CrawlStat
    from storage.db import make_engine, session_scope

    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            rows = s.scalars(select(CrawlStat).where(CrawlStat.run_id == run_id)).all()
            return {
                r.site_key: {
                    "responses": r.responses,
                    "items": r.items,
                    "empty_bodies": r.empty_bodies,
                    "missing_dates": r.missing_dates,
                    "failures": r.failures,
                    "waf_challenges": r.waf_challenges,
                    "errors": list(r.errors or []),
                }
                for r in rows
            }
    finally:
        engine.dispose()


def crawl_recording(
    replay: Path | str | Iterable[Path | str],
    *,
    db_url: str | None = None,
    spiders: Iterable[str] = SPIDERS,
    site: str | None = None,
    log_dir: Path | str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> list[CrawlSummary]:
    """Every spider in turn (homepage, ranking, then the articles they link to) against one replay server of
    the recording(s): what `creditwatch demo` needs. Returns one summary per spider."""
    from crawlers.replay import ReplayServer

    paths = [replay] if isinstance(replay, str | Path) else list(replay)
    url = db_url or get_settings().database_url
    init_database_for_crawl(url)
    summaries: list[CrawlSummary] = []
    with ReplayServer([Path(p) for p in paths]) as server:
        for spider in spiders:
            log_file = Path(log_dir) / f"crawl-{spider}.log" if log_dir else None
            hits, misses = server.hits, len(server.misses)
            summary = run_crawl(spider, site=site, replay_proxy=server.proxy_url, db_url=url, settings=settings,
                                log_file=log_file, init_db=False)  # fmt: skip
            summary.replay_hits, summary.replay_misses = server.hits - hits, len(server.misses) - misses
            summaries.append(summary)
    return summaries
