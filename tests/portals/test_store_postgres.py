"""The batched upsert and the monthly query on PostgreSQL (ON CONFLICT semantics differ from SQLite's in places)."""

from __future__ import annotations

from datetime import date

import pytest

from crawlers.portals.records import PortalItem
from crawlers.portals.store import store_items
from models import Base
from models.portal import ListKind
from storage.db import make_engine, session_scope
from storage.portal_queries import list_month

pytestmark = pytest.mark.postgres


def test_batched_upsert_and_counts_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    Base.metadata.create_all(engine)

    def item(name: str, entered: date, removed: date | None = None) -> PortalItem:
        return PortalItem(
            list_kind=ListKind.BLACKLIST,
            entity_name=name,
            source="test",
            authority="江阴市市场监督管理局",
            decided_on=entered,
            removed_on=removed,
        )

    batch = [item(f"公司{i}", date(2024, 3, 1 + i % 28)) for i in range(450)]
    batch.append(
        item("公司0", date(2024, 3, 1), removed=date(2024, 3, 20))
    )  # same entry again, in the same batch
    with session_scope(engine) as s:
        assert store_items(s, batch, batch=200) == (450, 0)
    with session_scope(engine) as s:
        assert store_items(s, batch[:10]) == (0, 10)  # re-read: refreshed, not duplicated
        m = list_month(s, "320281", "2024-03")
    # 公司0 left on 20 March; re-reading it without a removal date does not put it back on the list
    assert (m.active, m.new_entries, m.exits) == (449, 450, 1)
    engine.dispose()
