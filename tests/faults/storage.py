"""Helpers of the storage-fault tests: a world of unprocessed articles, counts of what was stored, and the
installed `creditwatch` run in a child process with a fault injected into its SQLite connections.

The articles are the hand-made event stories of tests/events (no saved page covers these scenarios)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models import Article, Classification, Event, EventArticle
from tests.events.factories import article, at
from tests.events.stories import STORIES

ROOT = Path(__file__).resolve().parents[2]

# The child's entry point is the installed one (`monitor.cli.main`); with CW_FAULT_FULL set, every SQLite
# connection it opens first caps the file at its current size (`max_page_count` below the page count clamps to
# it), so any write that needs a new page fails with "database or disk is full" — a full disk, without one.
_LAUNCHER = """
import os
from sqlalchemy import Engine, event

if os.environ.get("CW_FAULT_FULL"):
    @event.listens_for(Engine, "connect")
    def _full(dbapi_conn, _record):
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            dbapi_conn.execute("PRAGMA max_page_count = 1")

from monitor.cli import main
main()
"""


def world(engine: Engine) -> int:
    """Every story as a new, unclassified article on its own site and hour; returns how many."""
    sites = ["people", "xinhua", "sina", "qq", "163", "sohu"]
    with Session(engine) as s:
        for i, (key, (title, body)) in enumerate(sorted(STORIES.items())):
            article(s, sites[i % len(sites)], key, title, body, at(20, 8 + i % 12), kind=None, city=None)
        s.commit()
    return len(STORIES)


@dataclass(frozen=True)
class Stored:
    articles: int
    classified: int  # articles with a current classification
    classifications: int  # current classification rows (one per article when nothing is doubled)
    events: int
    memberships: int  # event-article rows
    members: int  # distinct articles in some event

    @classmethod
    def of(cls, engine: Engine) -> Stored:
        with Session(engine) as s:
            current = Classification.is_current.is_(True)
            return cls(
                articles=s.scalar(select(func.count()).select_from(Article)) or 0,
                classified=s.scalar(
                    select(func.count(func.distinct(Classification.article_id))).where(current)
                )
                or 0,
                classifications=s.scalar(select(func.count()).select_from(Classification).where(current))
                or 0,
                events=s.scalar(select(func.count()).select_from(Event)) or 0,
                memberships=s.scalar(select(func.count()).select_from(EventArticle)) or 0,
                members=s.scalar(select(func.count(func.distinct(EventArticle.article_id)))) or 0,
            )


def creditwatch(*args: str, db_url: str, cwd: Path, full: bool = False) -> subprocess.Popen[str]:
    """Start `creditwatch ARGS` against `db_url` in a child process (the caller waits on it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITWATCH_", "CW_FAULT_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["CREDITWATCH_DATA_DIR"] = str(cwd / "var")
    env["CREDITWATCH_DATABASE_URL"] = db_url
    if full:
        env["CW_FAULT_FULL"] = "1"
    return subprocess.Popen(
        [sys.executable, "-c", _LAUNCHER, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def one_line(err: str) -> str:
    """The failure as the operator sees it: exactly one 「错误：」 line, no traceback."""
    lines = err.strip().splitlines()
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith("错误："), err
    return lines[0]
