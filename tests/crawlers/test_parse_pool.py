"""Article pages parsed in worker processes (crawlers.parse_pool): the same items as parsing in the reactor thread,
refused pages counted as failures, and a parser process that dies costs no page."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from config.settings import TZ
from crawlers.demo_recording import DEMO_WARC
from crawlers.items import ArticleItem
from crawlers.parse_pool import ParseFailed, ParserPool, parse_article_page
from crawlers.replay import ReplayServer
from crawlers.run import run_crawl
from models import Article, CrawlStat
from storage.db import make_engine, session_scope

NOW = datetime(2025, 1, 1, 12, tzinfo=TZ)


def _articles_and_health(url: str) -> tuple[list[tuple[Any, ...]], dict[str, tuple[int, int]]]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            rows = s.execute(
                select(
                    Article.url,
                    Article.title,
                    Article.published_at,
                    Article.source,
                    Article.author,
                    Article.body,
                    Article.extractor,
                ).order_by(Article.url)
            ).all()
            health = {r.site_key: (r.items, r.failures) for r in s.scalars(select(CrawlStat))}
            return [tuple(r) for r in rows], health
    finally:
        engine.dispose()


def test_worker_processes_store_what_inline_parsing_stores(tmp_path: Path) -> None:
    results = {}
    with ReplayServer([DEMO_WARC]) as server:
        for mode, workers in (("inline", "0"), ("pool", "1")):
            db = f"sqlite:///{tmp_path / f'{mode}.db'}"
            summary = run_crawl(
                "articles",
                replay_proxy=server.proxy_url,
                db_url=db,
                spider_args={"discover": "recording"},
                settings={
                    "LOG_LEVEL": "INFO",
                    "CREDITWATCH_PARSE_WORKERS": workers,
                    "CREDITWATCH_PARSE_INLINE_FIRST": "0",
                },
                log_file=tmp_path / f"{mode}.log",
            )
            assert summary.ok, summary.log_tail
            results[mode] = (summary, *_articles_and_health(db))
    inline, pool = results["inline"], results["pool"]
    assert "creditwatch/parsed_in_workers" not in inline[0].stats
    stored = len(pool[1])
    assert stored >= 50  # the demo recording's article pages
    assert pool[0].stats["creditwatch/parsed_in_workers"] >= stored
    assert pool[1] == inline[1]  # every field of every article, the same
    assert pool[2] == inline[2]  # items and failures per site


def test_refused_page_is_a_parse_failure_in_a_worker_too() -> None:
    async def run() -> tuple[ArticleItem | ParseFailed, ArticleItem | ParseFailed]:
        pool = ParserPool(workers=1, inline_first=0)
        try:
            page = "<html><body><h1>标题</h1>" + "<p>信用监测正文段落。</p>" * 20 + "</body></html>"
            return (
                await pool.parse("http://www.example.gov.cn/a.html", "   ", NOW),
                await pool.parse("http://www.example.gov.cn/b.html", page, NOW),
            )
        finally:
            assert pool.parsed_in_workers == 2
            pool.close()

    refused, parsed = asyncio.run(run())
    assert refused == parse_article_page("http://www.example.gov.cn/a.html", "   ", NOW)
    assert isinstance(refused, ParseFailed) and refused.reason == "empty document"
    assert isinstance(parsed, ArticleItem) and "信用监测正文段落" in parsed.body


def test_a_killed_parser_process_costs_no_page() -> None:
    # A page large enough that the worker is still busy with it when it is killed.
    paragraphs = "".join(f"<div><p>信用监测正文段落第{n}段，第二句。</p></div>" for n in range(40_000))
    page = f"<html><body><h1>标题</h1>{paragraphs}</body></html>"

    async def run() -> tuple[ArticleItem | ParseFailed, ParserPool]:
        pool = ParserPool(workers=1, inline_first=0)
        task = asyncio.ensure_future(pool.parse("http://www.example.gov.cn/big.html", page, NOW))
        deadline = time.monotonic() + 30
        while not (pool._pool is not None and pool._pool._processes) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        assert pool._pool is not None
        await asyncio.sleep(0.5)  # the worker has started and holds the page
        for pid in list(pool._pool._processes):
            os.kill(pid, signal.SIGKILL)
        try:
            return await task, pool
        finally:
            pool.close()

    result, pool = asyncio.run(run())
    assert pool.restarts == 1
    assert isinstance(result, ArticleItem) and result.body.count("信用监测正文段落") > 1000


PAGE = "<html><body><p>正文</p></body></html>"


@pytest.mark.parametrize("workers", [0, 1])
def test_first_pages_are_parsed_inline(workers: int) -> None:
    async def run() -> tuple[int, int]:
        pool = ParserPool(workers=workers, inline_first=2)
        try:
            for n in range(3):  # the third page starts the worker, and is parsed inline while it imports
                await pool.parse(f"http://www.example.gov.cn/{n}.html", PAGE, NOW)
            while_starting = pool.parsed_in_workers
            await pool.ready()
            await pool.parse("http://www.example.gov.cn/3.html", PAGE, NOW)
        finally:
            pool.close()
        return while_starting, pool.parsed_in_workers

    while_starting, in_workers = asyncio.run(run())
    assert while_starting == 0
    assert in_workers == workers  # the fourth page, once the worker is up, and only with a worker


def test_a_large_crawl_starts_the_workers_before_its_first_page() -> None:
    async def run() -> tuple[int, int]:
        pool = ParserPool(workers=1, inline_first=2)
        try:
            pool.planned(2)  # a small crawl: nothing started
            small = not pool.started
            pool.planned(3)
            await pool.ready()  # the worker imported while nothing was parsed yet
            await pool.parse("http://www.example.gov.cn/0.html", PAGE, NOW)  # inline: among the first two
            for n in range(1, 3):
                await pool.parse(f"http://www.example.gov.cn/{n}.html", PAGE, NOW)
            return int(small), pool.parsed_in_workers
        finally:
            pool.close()

    small, in_workers = asyncio.run(run())
    assert small == 1
    assert in_workers == 1  # the third page goes straight to the worker, which is up
