"""Article pages parsed in worker processes, off the crawl's reactor thread.

Parsing an article page (lxml + the page objects, ~4–8 ms of CPU for a 144 KB news page) is most of what the reactor
thread does per page when replaying a recording, and while it parses it neither fetches nor hands items to the
writer. `ParserPool` runs `parse_article_page` in a `ProcessPoolExecutor` instead, so on a machine with a second
core parsing and fetching overlap. Small crawls never start it: the first ``inline_first`` pages of a crawl are
parsed in the reactor thread, as are all pages when ``workers`` is 0, so a crawl of a handful of pages does not pay
for starting a process (~0.5 s of CPU for the imports). A crawl that queues more article requests than that starts
the workers at once (`planned`), and pages keep being parsed inline until a worker has finished its imports: the
reactor then never waits for a process that is still starting (the benchmark's crawl stalled ~0.5 s at page 33).

Workers are started with ``spawn``: the crawl process has threads (the store's writer, Twisted's thread pool), and
a forked child could inherit one of their locks held. A worker that dies (killed, out of memory, a crash inside
lxml) breaks the pool: the pages it held are tried once more in a new pool, and a page that breaks that one too is
reported as a parse failure of its site — the crawl goes on either way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Awaitable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from crawlers.items import ArticleItem
from crawlers.pages import ParseError, article_parser_for

log = logging.getLogger(__name__)
_R = TypeVar("_R")

INLINE_FIRST = 32
"""Article pages of a crawl parsed in the reactor thread before the pool is started."""
ATTEMPTS = 2
"""Pools a page may break before it counts as a parse failure (the other pages in a broken pool are innocent)."""


@dataclass(frozen=True, slots=True)
class ParseFailed:
    """A page the page objects refused (`ParseError`) or that the parser process died on."""

    reason: str


def parse_article_page(url: str, text: str, fetched_at: datetime) -> ArticleItem | ParseFailed:
    """What the articles spider does with a decoded article page, in whichever process runs it. Errors other than
    `ParseError` are bugs and propagate (to the spider callback, as when parsing inline)."""
    try:
        return article_parser_for(url).parse(url, text, fetched_at)
    except ParseError as exc:
        return ParseFailed(str(exc))


def _wrap(future: Future[_R]) -> Awaitable[_R]:
    # asyncio is imported here, not at the top: the worker processes import this module and never need it (30 ms
    # of each one's start); the crawl process has it loaded already.
    import asyncio

    return asyncio.wrap_future(future)


def _started() -> None:
    """Runs in a worker as soon as it is up: its result says the imports are done."""


def default_workers() -> int:
    """One core stays with the reactor (fetching, archive, writer); the others parse. At least one worker."""
    return max(1, (os.cpu_count() or 1) - 1)


class ParserPool:
    """Parses article pages inline or in worker processes; `close` stops the workers (at the end of the crawl)."""

    def __init__(self, workers: int, inline_first: int = INLINE_FIRST) -> None:
        self.workers = workers
        self.inline_first = inline_first
        self.pages = 0
        self.parsed_in_workers = 0
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None
        self._ready: Future[None] | None = None

    def planned(self, article_pages: int) -> None:
        """The crawl has queued `article_pages` article requests so far: more than are parsed inline, so start the
        workers now, while the first pages are still being fetched."""
        if self.workers > 0 and article_pages > self.inline_first and self._pool is None:
            self._running_pool()

    @property
    def started(self) -> bool:
        return self._pool is not None

    async def ready(self) -> None:
        """Wait until the started workers have finished their imports (nothing to wait for if none started)."""
        if self._ready is not None:
            await _wrap(self._ready)

    async def parse(self, url: str, text: str, fetched_at: datetime) -> ArticleItem | ParseFailed:
        self.pages += 1
        if self.workers <= 0 or self.pages <= self.inline_first:
            return parse_article_page(url, text, fetched_at)
        if self.inline_first > 0:
            self._running_pool()
            if self._ready is not None and not self._ready.done():
                return parse_article_page(url, text, fetched_at)  # the worker is still importing
        for _ in range(ATTEMPTS):
            pool = self._running_pool()
            try:
                result = await _wrap(pool.submit(parse_article_page, url, text, fetched_at))
            except BrokenProcessPool:
                log.warning("a parser process died while %s was queued or parsed; starting a new pool", url)
                self._discard(pool)
                continue
            self.parsed_in_workers += 1
            return result
        return ParseFailed(f"the parser process died {ATTEMPTS} times on this page")

    def _running_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
            # Done once a worker has imported this module (and with it the page objects): until then pages are
            # parsed inline. A pool that breaks during start-up reports done too, and its pages retry as usual.
            self._ready = self._pool.submit(_started)
        return self._pool

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Replace a broken pool once, however many of its pages report the break."""
        if self._pool is pool:
            self._pool = None
            self.restarts += 1
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers and wait for them (their CPU time is then counted in the crawl process's rusage)."""
        pool, self._pool, self._ready = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
