"""Crawl throughput: pages per second through the full `articles` spider + pipeline against the replay server,
and peak memory (RSS) of the crawl process, with same-run baselines on the same pages and server.

    .venv/bin/python bench/bench_crawl.py [--copies 12]

The recording is the demo's article pages, each served under `--copies` distinct URLs (a query parameter), so
the crawl sees several hundred pages. Baselines: (1) the replay server fetched by a plain HTTP client (httpx,
8 threads, no parsing, no storage), (2) the page objects alone on the same bytes (no network, no storage).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from config.settings import TZ
from crawlers.demo_recording import DEMO_WARC
from crawlers.encoding import decode_html
from crawlers.pages import ParseError, article_parser_for
from crawlers.registry import is_article_url
from crawlers.replay import ReplayServer
from crawlers.run import run_crawl
from crawlers.warc import RecordedResponse, WarcRecorder, read_warc


def bench_recording(out: Path, copies: int) -> list[str]:
    """The demo's article pages, each recorded under `copies` URLs; returns the article URLs."""
    urls: list[str] = []
    with WarcRecorder(out) as warc:
        for rec in read_warc(DEMO_WARC):
            if rec.status != 200 or not is_article_url(rec.url):
                continue
            for k in range(copies):
                url = f"{rec.url}{'&' if '?' in rec.url else '?'}cwbench={k}"
                warc.write_response(url, 200, rec.headers, rec.body, rec.date)
                urls.append(url)
    return urls


def baseline_fetch(proxy: str, urls: list[str], threads: int = 8) -> float:
    """Pages/s of plain HTTP GETs through the replay server (HTTPS via CONNECT, like the spider)."""
    local = __import__("threading").local()

    def get(url: str) -> int:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(proxy=proxy, verify=False, timeout=20)
        return len(client.get(url).content)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(get, urls))
    assert total > 0
    return len(urls) / (time.perf_counter() - started)


def baseline_parse(recording: Path, limit: int) -> tuple[float, float]:
    """Pages per second and pages per CPU-second of the page objects alone (decode + parse) on the recorded
    bytes."""
    records = [r for r in read_warc(recording)][:limit]
    now = datetime.now(TZ)

    def parse_all(batch: list[RecordedResponse]) -> None:
        for rec in batch:
            text, _ = decode_html(rec.body, rec.header("Content-Type"))
            with contextlib.suppress(ParseError):
                article_parser_for(rec.url).parse(rec.url, text, now)

    parse_all(records[:10])  # warm-up: lazy loading of dictionaries and models is not per-page work
    started, cpu = time.perf_counter(), time.process_time()
    parse_all(records)
    return len(records) / (time.perf_counter() - started), len(records) / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--copies", type=int, default=12)
    ns = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        recording = Path(tmp) / "bench.warc.gz"
        urls = bench_recording(recording, ns.copies)
        db = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with ReplayServer([recording]) as server:
            fetch_rate = baseline_fetch(server.proxy_url, urls)
            summary = run_crawl(
                "articles",
                replay_proxy=server.proxy_url,
                db_url=db,
                spider_args={"discover": "recording"},
                settings={"LOG_LEVEL": "WARNING", "ARTICLES_MAX_PER_SITE": "100000"},
                log_file=Path(tmp) / "crawl.log",
            )
        if not summary.ok:
            print(summary.log_tail)
            raise SystemExit(1)
        parse_rate, parse_cpu_rate = baseline_parse(recording, min(len(urls), 150))
        stats = summary.stats
        started = datetime.fromisoformat(str(stats["start_time"]))
        closed = datetime.fromisoformat(str(stats["creditwatch/closed_at"]))
        crawl_s = (closed - started).total_seconds()
        # article pages only: robots.txt answers are not pages
        pages = int(stats.get("downloader/response_status_count/200", 0)) - int(
            stats.get("robotstxt/response_count", 0)
        )
        items = int(stats.get("item_scraped_count", 0))
    print(
        f"pages in the recording      : {len(urls)} article pages ({ns.copies} copies of the demo articles)"
    )
    print(f"spider + pipeline           : {pages / crawl_s:7.1f} pages/s  ({pages} pages, {items} items stored, "
          f"{crawl_s:.1f} s crawling, {summary.seconds:.1f} s with process start)")  # fmt: skip
    print(f"CPU of the crawl process    : {summary.cpu_seconds:7.1f} s  (user + sys, start-up and parser processes "
          f"included; {1000 * summary.cpu_seconds / max(pages, 1):.1f} ms per page)")  # fmt: skip
    print(f"peak memory (crawl process) : {summary.peak_rss_mb:7.1f} MiB RSS")
    print(f"baseline: raw replay fetch  : {fetch_rate:7.1f} pages/s  (httpx, 8 threads, no parsing/storage)")
    print(f"baseline: page objects only : {parse_rate:7.1f} pages/s  (decode + parse, no network/storage; "
          f"{parse_cpu_rate:.0f} pages per CPU-s)")  # fmt: skip
    ratio = pages / crawl_s / fetch_rate
    print(
        f"ratio crawl / replay fetch  : {ratio:7.2f}   (target ≥ 0.50: {'met' if ratio >= 0.5 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
