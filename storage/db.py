"""Engine and sessions from settings: a SQLite file by default, PostgreSQL by URL (`CREDITWATCH_DATABASE_URL`)."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from config.settings import get_settings

# Every engine this process made, so the CLI can close their pooled connections before it exits
# (dispose_engines); weak, so an engine a caller drops is not kept alive by this.
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: settings). SQLite gets foreign keys, WAL and a busy timeout."""
    url = url or get_settings().database_url
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    _ENGINES.add(engine)
    return engine


def dispose_engines() -> None:
    """Close the pooled connections of every engine made here (an engine stays usable: it reconnects on demand).
    SQLite checkpoints its WAL and removes the -wal/-shm files when the last connection closes."""
    for engine in list(_ENGINES):
        engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    # WAL lets the web console read while a crawl writes; in-memory databases ignore it.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: settings)."""
    return make_engine(url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session from `factory` as one transaction: committed on success, rolled back on error, always closed."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One transaction on `engine` (default: settings)."""
    with transaction(session_factory(engine)) as session:
        yield session
