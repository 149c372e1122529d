"""From a parsed PortalItem to a stored PortalRecord: city attribution, government flag, idempotent upsert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from crawlers.portals.records import PortalItem, looks_governmental
from crawlers.portals.region import attribute
from models.portal import ListKind, PortalRecord
from storage.upsert import upsert_rows

_COURT_LISTS = {ListKind.DISHONEST_DEBTOR, ListKind.COURT_NOTICE, ListKind.JUDGMENT}


def record_values(item: PortalItem, fetched_at: datetime | None = None) -> dict[str, Any]:
    """The column values of the PortalRecord for `item` (dedup_key, region with its evidence, is_government)."""
    court = item.authority if item.list_kind in _COURT_LISTS else None
    authority = None if court else item.authority
    where = attribute(authority=authority, court=court, credit_code=item.credit_code, address=item.address)
    entity_type = item.entity_type
    if entity_type is None and item.is_legal_entity:
        entity_type = "法人或其他组织"
    raw = dict(item.raw)
    if item.address:
        raw.setdefault("_address", item.address)
    return {
        "dedup_key": item.dedup_key,
        "list_kind": item.list_kind,
        "entity_name": item.entity_name[:512],
        "credit_code": item.credit_code[:32] if item.credit_code else None,
        "entity_type": entity_type[:32] if entity_type else None,
        "is_government": looks_governmental(item.entity_name, item.credit_code, item.entity_type),
        "authority": item.authority[:256] if item.authority else None,
        "case_number": item.case_number[:256] if item.case_number else None,
        "reason": item.reason,
        "decided_on": item.decided_on,
        "published_on": item.published_on,
        "removed_on": item.removed_on,
        "region_code": where.code,
        "region_evidence": where.evidence,
        "source": item.source[:64],
        "source_ref": item.source_ref,
        "raw": raw,
        "fetched_at": fetched_at,
    }


def store_items(
    session: Session, items: Iterable[PortalItem], fetched_at: datetime | None = None, batch: int = 200
) -> tuple[int, int]:
    """Upsert `items` by dedup_key in the caller's transaction; returns (new, already stored). A later read of the
    same entry refreshes its fields (e.g. a 移出 date that appeared; a known exit is never erased); within `items`
    the last copy wins."""
    by_key: dict[str, dict[str, Any]] = {}
    for item in items:
        v = record_values(item, fetched_at)
        by_key[v["dedup_key"]] = v
    keys = list(by_key)
    known: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        known.update(session.scalars(select(PortalRecord.dedup_key).where(PortalRecord.dedup_key.in_(chunk))))
    rows = list(by_key.values())
    if not rows:
        return 0, 0
    table = PortalRecord.__table__
    assert isinstance(table, Table)
    # An exit once seen stays: an older export or a stale page without 移出 must not put the party back.
    upsert_rows(
        session,
        PortalRecord,
        rows,
        ["dedup_key"],
        overrides=lambda excluded: {"removed_on": func.coalesce(excluded["removed_on"], table.c.removed_on)},
        batch=batch,
    )
    return len(keys) - len(known), len(known)
