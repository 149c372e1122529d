"""Bringing a database to a working state: schema, gazetteer, site registry. Safe to run again."""

from __future__ import annotations

from crawlers.registry import registry
from storage import migrate
from storage.db import make_engine, session_scope
from storage.repository import load_divisions, sync_sites


def init_database(url: str) -> str:
    """Migrate `url` to head and load reference data; returns a one-line summary."""
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            divisions = load_divisions(s)
            sites = sync_sites(s, (e.model_dump() for e in registry()))
    finally:
        engine.dispose()
    return f"schema at {','.join(migrate.heads())}, {divisions} divisions loaded, {sites} sites"
