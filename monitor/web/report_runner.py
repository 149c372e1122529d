"""The console's report workers: reports requested on the reports page are written in worker threads, off the
event loop and outside the request, each with its own database session, and their outcome recorded.

Why not the scheduler attached to `app.state.scheduler`: the console also runs without one (`serve
--no-scheduler`, tests); its job store is persistent, so a one-off job would be pickled into the database and
replayed after a restart; and its workers are sized for the crawls. A small pool of our own is always there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor import jobs
from monitor.web import report_requests as requests
from storage.db import transaction

log = logging.getLogger(__name__)
# Generation is CPU-heavy Python (WeasyPrint) sharing the GIL with the console: two at a time keep the pages
# responsive; more requests wait, shown as queued.
WORKERS = 2


@dataclass(frozen=True)
class Submitted:
    request_id: int | None  # None: the same report finished between the refusal and the look-up
    started: bool  # False: the same month, city and formats were already in flight


def failure_text(exc: BaseException) -> str:
    """What the reports page says about a report that raised `exc`, in Chinese: the report code's own refusal
    (an unknown city, a model without scores) as it is, anything else by its kind and what to do about it."""
    from monitor.reports import ReportError
    from monitor.reports.charts import ChartFontError

    if isinstance(exc, ReportError):
        return f"报告无法生成：{exc}"
    if isinstance(exc, ChartFontError):
        return "报告未生成：服务器缺少中文字体，无法绘制图表或排版 PDF。请联系管理员安装中文字体后重新提交（技术细节见服务日志）"
    return f"报告未生成：{jobs.failure_text(exc)}。可稍后重新提交；仍然失败请联系管理员"


class ReportRunner:
    """Records report requests and writes them in a thread pool. `close` lets running reports finish and marks
    the ones still waiting abandoned; the pool is made again on the next submit (an app may be started twice)."""

    def __init__(self, sessions: sessionmaker[Session], reports_dir: Path, workers: int = WORKERS) -> None:
        self.sessions = sessions
        self.reports_dir = reports_dir
        self.workers = workers
        self.worker = requests.worker_id()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future[None]] = {}  # request id → its run in the current pool, until done
        self._lock = threading.Lock()

    def submit(self, month: str, city_code: str, formats: Sequence[str], requested_by: str) -> Submitted:
        self.sweep()  # a dead request must not keep its key and refuse this one as a duplicate
        try:
            with transaction(self.sessions) as s:
                request_id = requests.record(s, month, city_code, formats, requested_by, self.worker).id
        except IntegrityError:
            with transaction(self.sessions) as s:
                existing = requests.in_flight(s, requests.active_key(month, city_code, formats))
                return Submitted(existing.id if existing else None, started=False)
        # Committed before the worker looks for it.
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="report")
            self._futures = {k: f for k, f in self._futures.items() if not f.done()}
            self._futures[request_id] = self._pool.submit(self._run, request_id)
        return Submitted(request_id, started=True)

    def sweep(self) -> int:
        """Mark in-flight requests of dead processes (or too old) abandoned; returns how many."""
        with transaction(self.sessions) as s:
            return requests.abandon_stale(s)

    def close(self) -> None:
        with self._lock:
            pool, futures = self._pool, self._futures
            self._pool, self._futures = None, {}
        if pool is None:
            return
        # Like the scheduler's jobs at shutdown: running reports finish; waiting ones are cancelled, not started.
        pool.shutdown(wait=True, cancel_futures=True)
        left = sorted(request_id for request_id, f in futures.items() if f.cancelled())
        if left:
            self._record(requests.abandon, left, "控制台停止时尚未开始生成")

    def _run(self, request_id: int) -> None:
        try:
            with transaction(self.sessions) as s:
                taken = requests.take(s, request_id, self.worker)
                if taken is None:
                    return
                month, city_code, formats = taken.month, taken.city_code, taken.formats.split(",")
            with transaction(self.sessions) as s:
                written = jobs.write_reports(s, month, city_code, formats, self.reports_dir / month)
        except Exception as exc:  # the analyst reads why on the reports page; the traceback goes to the log
            log.exception("report request %s failed", request_id)
            self._record(requests.fail, request_id, failure_text(exc))
            return
        log.info("report request %s done: %s", request_id, ", ".join(p.name for p in written))
        self._record(requests.finish, request_id, [p.name for p in written])

    def _record(self, action: Callable[..., None], *args: object) -> None:
        """Store an outcome; if even that fails (database gone), log it: the sweep abandons the request later."""
        try:
            with transaction(self.sessions) as s:
                action(s, *args)
        except Exception:
            log.exception("could not record the outcome of report request(s) %s", args[0])
