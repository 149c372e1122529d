"""Bringing a database to a working state: schema, gazetteer and the given site registry. Safe to run again.

The site registry is passed in (storage does not reach up into the crawlers); `monitor.setup.init_database`
passes the configured one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage import migrate
from storage.db import make_engine, session_scope
from storage.repository import load_divisions, sync_sites


def init_database(url: str, sites: Iterable[dict[str, Any]] = ()) -> str:
    """Migrate `url` to head and load reference data (gazetteer, `sites`); returns a one-line summary."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            divisions = load_divisions(s)
            synced = sync_sites(s, sites)
    finally:
        engine.dispose()
    return f"schema at {','.join(migrate.heads())}, {divisions} divisions loaded, {synced} sites"
