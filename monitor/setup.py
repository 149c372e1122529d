"""Bringing a database to a working state: schema, gazetteer, site registry. Safe to run again."""

from __future__ import annotations

from crawlers.registry import registry
from storage.setup import init_database as _init_database


def init_database(url: str) -> str:
    """Migrate `url` to head and load reference data; returns a one-line summary."""
    return _init_database(url, (e.model_dump() for e in registry()))
