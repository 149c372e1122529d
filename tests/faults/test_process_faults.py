"""Storage faults during `creditwatch process` (classify → cluster → major incidents → feedback → alerts).

PostgreSQL: the run's connection is killed (pg_terminate_backend on this test's own database) or its statement
times out (`statement_timeout` in the URL's options) while it waits on a lock the test holds on `events`, so the
fault lands after classification committed and inside clustering. SQLite: the file is full (`max_page_count`
on each connection of the child) or opened read-only. Each test counts what was stored after the fault and after
the rerun, against a fault-free run of the same articles: every article classified once, no event doubled, and
the failed run exits non-zero with one Chinese line (the scheduler's run record says `error`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

import models
from config.settings import TZ, get_settings
from models import JobRun
from monitor import scheduler as sched
from monitor.pipeline import run_pipeline
from storage.db import get_engine, make_engine
from tests.conftest import _pg_admin, _pg_available, _pg_url
from tests.faults.storage import Stored, creditwatch, finish, one_line, world

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def reference() -> Stored:
    """What a fault-free run stores for the same articles (the shipped classifier, in memory)."""
    eng = make_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    models.Base.metadata.create_all(eng)
    world(eng)
    run_pipeline(eng, queue=False)
    stored = Stored.of(eng)
    eng.dispose()
    assert stored.classified == stored.articles and stored.events > 0
    return stored


@pytest.fixture
def pg_db() -> Iterator[str]:
    """A migrated PostgreSQL database of this test alone (the fault touches only its backends)."""
    if not _pg_available():
        pytest.fail("PostgreSQL not reachable (make test starts it)")
    from storage import migrate

    name = f"cw_fault_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        migrate.upgrade(_pg_url(name))
        yield name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _blocked_backends(admin: Engine, dbname: str) -> list[int]:
    """Backends of `dbname` waiting on a lock (the run, blocked by the test's lock on `events`)."""
    with admin.connect() as c:
        rows = c.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :d AND wait_event_type = 'Lock' "
                "AND pid <> pg_backend_pid()"
            ),
            {"d": dbname},
        )
        return [r[0] for r in rows]


def _wait_blocked(admin: Engine, dbname: str, timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = _blocked_backends(admin, dbname)
        if pids:
            return pids
        time.sleep(0.1)
    raise AssertionError("the run never reached the locked table")


def _lock_events(conn: Connection) -> None:
    conn.execute(text("BEGIN"))
    conn.execute(text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))


def _assert_rerun_completes(url: str, engine: Engine, cwd: Path, reference: Stored) -> None:
    code, out, err = finish(creditwatch("process", db_url=url, cwd=cwd))
    assert code == 0, err
    stored = Stored.of(engine)
    assert stored == reference, (stored, reference)  # every article classified once, events as without fault
    assert stored.memberships == stored.members  # no article in two events
    code, out, err = finish(creditwatch("process", db_url=url, cwd=cwd))
    assert code == 0 and '"new_events": 0' in out and '"classified": 0' in out, out
    assert Stored.of(engine) == reference


@pytest.mark.postgres
def test_pg_connection_killed_during_clustering(pg_db: str, tmp_path: Path, reference: Stored) -> None:
    url = _pg_url(pg_db)
    engine = make_engine(url)
    admin = _pg_admin()
    world(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        _lock_events(holder)
        proc = creditwatch("process", db_url=url, cwd=tmp_path)
        pids = _wait_blocked(admin, pg_db)
        with admin.connect() as c:
            for pid in pids:
                c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        code, _, err = finish(proc)
        holder.execute(text("ROLLBACK"))
    assert code == 1
    line = one_line(err)
    assert "无法连接数据库" in line and "本次结果未保存" in line, line
    after = Stored.of(engine)
    # The classification step had committed; clustering died inside its transaction and left nothing.
    assert (after.classified, after.classifications) == (reference.articles, reference.articles)
    assert (after.events, after.memberships) == (0, 0)
    _assert_rerun_completes(url, engine, tmp_path, reference)
    engine.dispose()
    admin.dispose()


@pytest.mark.postgres
def test_pg_statement_timeout_during_clustering(pg_db: str, tmp_path: Path, reference: Stored) -> None:
    url = _pg_url(pg_db)
    engine = make_engine(url)
    world(engine)
    slow_url = f"{url}?options=-c%20statement_timeout%3D1500"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        _lock_events(holder)
        started = time.monotonic()
        code, _, err = finish(creditwatch("process", db_url=slow_url, cwd=tmp_path))
        waited = time.monotonic() - started
        holder.execute(text("ROLLBACK"))
    assert code == 1
    line = one_line(err)
    assert "本次结果未保存" in line and "statement timeout" in line, line
    assert waited < 60  # the timeout ended the wait; the lock was held until after the run
    after = Stored.of(engine)
    assert (after.classified, after.classifications) == (reference.articles, reference.articles)
    assert (after.events, after.memberships) == (0, 0)
    _assert_rerun_completes(url, engine, tmp_path, reference)
    engine.dispose()


@pytest.mark.postgres
def test_pg_connection_killed_fails_the_scheduled_run(
    pg_db: str, tmp_path: Path, reference: Stored, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler's `process` job (monitor.jobs.process) records the killed connection as an error run."""
    url = _pg_url(pg_db)
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", url)
    monkeypatch.setenv("CREDITWATCH_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    engine = make_engine(url)
    admin = _pg_admin()
    world(engine)
    when = datetime.now(TZ) + timedelta(seconds=1)
    spec = sched.JobSpec("process", "process", "monitor.jobs:process", DateTrigger(when, timezone=TZ))  # type: ignore[arg-type]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
        _lock_events(holder)
        scheduler = sched.start(engine, sched.ScheduleConfig(misfire_grace_seconds=30, workers=1), [spec])
        try:
            pids = _wait_blocked(admin, pg_db)
            with admin.connect() as c:
                for pid in pids:
                    c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            holder.execute(text("ROLLBACK"))
            deadline = time.monotonic() + 60
            runs: list[JobRun] = []
            while time.monotonic() < deadline and not runs:
                with Session(engine) as s:
                    runs = list(s.scalars(select(JobRun).where(JobRun.job_id == "process")))
                time.sleep(0.1)
        finally:
            sched.stop(scheduler, wait=True)
    assert [r.outcome for r in runs] == ["error"]
    assert runs[0].detail == "数据库连接中断或数据库不可用（技术细节见服务日志）", runs[0].detail
    after = Stored.of(engine)
    assert after.classified == reference.articles and after.events == 0
    get_engine.cache_clear()
    get_settings.cache_clear()
    engine.dispose()
    admin.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    from storage import migrate

    path = tmp_path / "cw.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    yield url, path


def test_sqlite_full_during_process(sqlite_db: tuple[str, Path], tmp_path: Path, reference: Stored) -> None:
    url, _ = sqlite_db
    engine = make_engine(url)
    world(engine)
    code, _, err = finish(creditwatch("process", db_url=url, cwd=tmp_path, full=True))
    assert code == 1
    assert "磁盘已满" in one_line(err)
    after = Stored.of(engine)
    assert after.classified in (0, reference.articles)  # a step is stored whole or not at all
    assert after.classifications == after.classified and after.events == 0
    _assert_rerun_completes(url, engine, tmp_path, reference)
    engine.dispose()


def test_sqlite_read_only_during_process(
    sqlite_db: tuple[str, Path], tmp_path: Path, reference: Stored
) -> None:
    url, path = sqlite_db
    engine = make_engine(url)
    world(engine)
    ro = f"sqlite:///file:{path}?mode=ro&uri=true"
    code, _, err = finish(creditwatch("process", db_url=ro, cwd=tmp_path))
    assert code == 1
    assert "数据库只读" in one_line(err)
    after = Stored.of(engine)
    assert (after.classified, after.events) == (0, 0)
    _assert_rerun_completes(url, engine, tmp_path, reference)
    engine.dispose()
