"""`creditwatch demo`: the main job end to end on the embedded default.

A fresh SQLite database in the output folder; the bundled recording (real pages of the 15 websites from the shared
fixtures, plus a hand-made 江阴 food-safety scenario, each marked as such) served by the local replay server; every
spider run against it in its own process; then classification, city attribution, reprint clustering, the
major-incident rule, feedback linking and alerts (to a local file outbox); the index scored for the twelve months
up to the demo month; and the monthly report of the home city in every format.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from crawlers.run import SPIDERS, run_crawl

DEMO_WARC = Path(__file__).resolve().parent.parent / "crawlers" / "data" / "demo.warc.gz"
DEMO_MONTH = "2024-05"  # the recording's capture month


@dataclass
class DemoSummary:
    out: Path
    database_url: str
    crawls: list[dict[str, Any]] = field(default_factory=list)
    pipeline: dict[str, Any] = field(default_factory=dict)
    alerts: dict[str, Any] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    major_events: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = dict(vars(self))
        d["out"] = str(self.out)
        return d


def _configure(out: Path, db_url: str) -> None:
    """The demo's own settings: its database, and one alert channel writing into the output folder."""
    os.environ["CREDITWATCH_DATABASE_URL"] = db_url
    os.environ["CREDITWATCH_ALERT_OUTBOX_DIR"] = str(out / "outbox")
    os.environ["CREDITWATCH_ALERT_CHANNELS"] = json.dumps(
        [{"name": "演示发件箱", "kind": "file"}], ensure_ascii=False
    )
    os.environ["CREDITWATCH_DATA_DIR"] = str(out)
    from config.settings import get_settings
    from storage.db import get_engine

    get_settings.cache_clear()
    get_engine.cache_clear()


def _months_before(month: str, n: int) -> list[str]:
    y, m = map(int, month.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return list(reversed(out))


def run_demo(out: Path, *, month: str = DEMO_MONTH, console: Console | None = None) -> DemoSummary:
    """Run the whole job into `out` (a fresh database each time, so the demo is repeatable)."""
    console = console or Console()
    started = time.monotonic()
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_file = out / "creditwatch.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    db_url = f"sqlite:///{db_file}"
    _configure(out, db_url)
    summary = DemoSummary(out=out, database_url=db_url)

    from crawlers.replay import ReplayServer
    from monitor.setup import init_database

    console.print(f"[bold]1/5[/] database: {init_database(db_url)}")
    server = ReplayServer([DEMO_WARC]).start()
    try:
        for spider in SPIDERS:  # homepage and ranking find the links the articles spider follows
            s = run_crawl(
                spider,
                replay_proxy=server.proxy_url,
                db_url=db_url,
                init_db=False,
                log_file=out / "logs" / f"crawl-{spider}.log",
                settings={"LOG_LEVEL": "INFO"},
            )
            summary.crawls.append(s.to_dict())
            if not s.ok:
                raise RuntimeError(f"crawl {spider} failed (exit {s.returncode}):\n{s.log_tail}")
            console.print(
                f"[bold]2/5[/] crawl {spider}: {s.responses} responses, {s.items} items in {s.seconds:.1f} s"
            )
    finally:
        server.stop()

    from monitor.alerts.outbox import dispatch
    from monitor.pipeline import run_pipeline

    summary.pipeline = run_pipeline()
    summary.alerts = {k: v for k, v in vars(dispatch()).items() if not k.startswith("_")}
    console.print(f"[bold]3/5[/] processing: {summary.pipeline}; alerts: {summary.alerts}")

    from config.settings import get_settings
    from scoring.model import load_model
    from scoring.store import compute_month, configured_cities, store_results
    from storage.db import session_scope

    model = load_model(get_settings().index_model)
    cities = configured_cities()
    with session_scope() as db:
        for m in _months_before(month, 12):
            store_results(db, compute_month(db, model, m, cities))
        final = compute_month(db, model, month, cities)
        summary.scores = [
            {"city": r.division_code, "total": r.total, "rank": r.rank, "peer_set": r.peer_set}
            for r in sorted(final, key=lambda r: (r.peer_set or "", r.rank or 0))
        ]
    console.print(f"[bold]4/5[/] scored {len(cities)} cities × 12 months under {model.name} {model.version}")

    from monitor.reports import FORMATS, write_reports

    with session_scope() as db:
        summary.major_events = _major_events(db)
        # The layout the console lists (data_dir/reports/<month>/; the demo's data_dir is `out`), so
        # `make serve-demo` shows the demo's reports on its reports page.
        paths = write_reports(db, month, get_settings().home_city, FORMATS, out / "reports" / month)
    summary.reports = [str(p.relative_to(out)) for p in paths]
    console.print(f"[bold]5/5[/] reports: {', '.join(summary.reports)}")
    summary.seconds = round(time.monotonic() - started, 1)
    (out / "summary.json").write_text(
        json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return summary


def _major_events(session: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from models import Event, EventStatus, FeedbackLink

    rows = []
    for ev in session.scalars(select(Event).where(Event.status == EventStatus.MAJOR).order_by(Event.id)):
        links = session.scalars(select(FeedbackLink).where(FeedbackLink.event_id == ev.id)).all()
        rows.append(
            {
                "id": ev.id,
                "title": ev.title,
                "city": ev.division_code,
                "major_since": ev.major_since,
                "reason": ev.major_reason,
                "feedback_links": len(links),
            }
        )
    return rows
