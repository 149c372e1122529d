"""Shared fixtures: the shared data folder, fresh databases (SQLite in memory, PostgreSQL rolled back)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

import models
from config.paths import shared_dir as _shared_dir
from storage.db import make_engine

PG_ADMIN_URL = os.environ.get("CREDITWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    d = _shared_dir()
    if not (d / "fixtures" / "pages").is_dir():
        pytest.fail(f"shared data not found at {d}: set CREDITWATCH_SHARED")
    return d


# `CREDITWATCH_TEST_BACKEND=postgresql` runs every database test on PostgreSQL: each test gets its own database,
# cloned from a template that holds the migrated schema (cloning is far cheaper than migrating per test).
TEST_BACKEND = os.environ.get("CREDITWATCH_TEST_BACKEND", "sqlite")
_PG_TEMPLATE = f"cw_template_{os.getpid()}"


def _pg_admin() -> Engine:
    # pre-ping: a fault test may have restarted the server since this engine's connection was pooled.
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def _pg_template() -> Iterator[str]:
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{_PG_TEMPLATE}"'))
    from storage import migrate

    migrate.upgrade(_pg_url(_PG_TEMPLATE))
    yield _PG_TEMPLATE
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{_PG_TEMPLATE}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty-but-migrated database on the test backend (a SQLite file by default)."""
    if TEST_BACKEND == "postgresql":
        template = request.getfixturevalue("_pg_template")
        name = f"cw_t_{uuid.uuid4().hex[:12]}"
        admin = _pg_admin()
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        try:
            yield _pg_url(name)
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        return
    url = f"sqlite:///{tmp_path / 'creditwatch.db'}"
    from storage import migrate

    migrate.upgrade(url)
    yield url


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A fresh database with the whole schema: in-memory SQLite (one shared connection), or PostgreSQL when
    `CREDITWATCH_TEST_BACKEND=postgresql`."""
    if TEST_BACKEND == "postgresql":
        eng = make_engine(request.getfixturevalue("db_url"))
        yield eng
        eng.dispose()
        return
    from sqlalchemy.pool import StaticPool

    eng = make_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    models.Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


def _pg_available() -> bool:
    try:
        eng = create_engine(PG_ADMIN_URL)
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (dropped afterwards). Fails if the server is down:
    `make test` starts it, so a missing server is a broken set-up, not a reason to skip."""
    if not _pg_available():
        pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} (make test starts it)")
    name = f"cw_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
