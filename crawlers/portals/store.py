"""From a parsed PortalItem to a stored PortalRecord: city attribution, government flag, idempotent upsert, and the
joining of a copy read without its case number to the copy read with it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from crawlers.portals.records import PortalItem, looks_governmental
from crawlers.portals.region import attribute
from models.portal import ListKind, PortalRecord, match_key
from storage.upsert import upsert_rows

_COURT_LISTS = {ListKind.DISHONEST_DEBTOR, ListKind.COURT_NOTICE, ListKind.JUDGMENT}
# Facts that a copy lacking them must not erase: a 移出 date once seen (an older export or a stale page without it
# would put the party back on the list) and a 文号/案号 once known (exports of 红黑名单 often omit it).
_KEPT = ("case_number", "removed_on")
_LOOKUP_CHUNK = 500  # keys per IN (...) lookup: well under SQLite's and PostgreSQL's parameter limits


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
    name = item.entity_name[:512]
    code = item.credit_code[:32] if item.credit_code else None
    return {
        "dedup_key": item.dedup_key,
        "match_key": match_key(item.list_kind, name, code, item.decided_on, item.published_on),
        "list_kind": item.list_kind,
        "entity_name": name,
        "credit_code": code,
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


@dataclass(frozen=True, slots=True)
class _Stored:
    """What the merge needs of a stored row."""

    dedup_key: str
    match_key: str
    numbered: bool


def _stored_rows(session: Session, keys: Sequence[str], match_keys: Sequence[str]) -> list[_Stored]:
    """The stored rows with one of `keys` or one of `match_keys`: batched lookups on the unique dedup_key and the
    indexed match_key, both in one query per chunk (one pass over the table, not two, when the planner scans it:
    right after a bulk load PostgreSQL has no statistics yet and may)."""
    cols = (PortalRecord.dedup_key, PortalRecord.match_key, PortalRecord.case_number)
    found: dict[str, _Stored] = {}
    for i in range(0, max(len(keys), len(match_keys)), _LOOKUP_CHUNK):
        wanted = or_(
            PortalRecord.dedup_key.in_(keys[i : i + _LOOKUP_CHUNK]),
            PortalRecord.match_key.in_(match_keys[i : i + _LOOKUP_CHUNK]),
        )
        for key, mkey, number in session.execute(select(*cols).where(wanted)):
            found[key] = _Stored(key, mkey, number is not None)
    return list(found.values())


def _targets(
    incoming: Sequence[dict[str, Any]], stored: Sequence[_Stored]
) -> tuple[dict[str, str], dict[str, str]]:
    """For each incoming dedup_key the dedup_key of the row it is written to, and the stored numberless rows that
    are upgraded to an incoming case number (old dedup_key → new). See `store_items` for the rules."""
    stored_keys = {s.dedup_key for s in stored}
    numbered: dict[str, set[str]] = defaultdict(set)  # match_key → numbered dedup_keys, stored or incoming
    numberless: dict[str, list[str]] = defaultdict(list)  # match_key → stored numberless dedup_keys
    for s in stored:
        if s.numbered:
            numbered[s.match_key].add(s.dedup_key)
        else:
            numberless[s.match_key].append(s.dedup_key)
    for v in incoming:
        if v["case_number"] is not None:
            numbered[v["match_key"]].add(v["dedup_key"])
    target: dict[str, str] = {}
    rekey: dict[str, str] = {}
    for v in incoming:
        key, candidates = v["dedup_key"], numbered[v["match_key"]]
        target[key] = key
        if key in stored_keys:
            continue  # the same entry read again: an exact match always wins
        if v["case_number"] is None:
            if len(candidates) == 1:
                target[key] = next(iter(candidates))
        elif candidates == {key} and len(numberless[v["match_key"]]) == 1:
            rekey[numberless[v["match_key"]][0]] = key
    # A copy aimed at a stored row that is being upgraded follows the row to its new key.
    return {k: rekey.get(t, t) for k, t in target.items()}, rekey


def _merge(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """`newer` refreshes `older` the way the upsert refreshes a stored row: its fields win, except a case number or
    an exit date that only `older` knows."""
    merged = dict(newer)
    for col in _KEPT:
        if merged[col] is None:
            merged[col] = older[col]
    return merged


def _rekey(session: Session, table: Table, rekey: dict[str, str]) -> None:
    """Give upgraded rows their numbered dedup_key (the upsert then writes the number and the fresh fields)."""
    if rekey:
        stmt = (
            update(table)
            .where(table.c.dedup_key == bindparam("old_key"))
            .values(dedup_key=bindparam("new_key"))
        )
        session.execute(stmt, [{"old_key": old, "new_key": new} for old, new in rekey.items()])


def store_items(
    session: Session, items: Iterable[PortalItem], fetched_at: datetime | None = None, batch: int = 200
) -> tuple[int, int]:
    """Upsert `items` in the caller's transaction; returns (new rows, copies of entries already stored). A later
    read of the same entry refreshes its fields; a known exit (移出) or case number is never erased.

    One entry read once with its case number (a portal) and once without (an export of 红黑名单/重点关注 need not
    have one) is one row: rows are matched on `match_key` (list + party + date) when one side lacks the number.
    - A copy without a number joins the one stored or incoming numbered copy of its match_key, refreshing it and
      keeping its number and dedup_key. With two or more numbered copies (two decisions on one day) there is no
      telling which one it repeats, so it is stored as its own row: a possible duplicate, but nothing lost or
      wrongly merged.
    - A copy with a number upgrades the one stored numberless row of its match_key (number and numbered dedup_key)
      when no other numbered copy shares the match_key and none is stored with its exact key.
    - An exact dedup_key match always wins. Within `items` the same rules hold, later copies refreshing earlier ones.
    A copy merged into another row counts as already stored."""
    incoming = [record_values(item, fetched_at) for item in items]
    if not incoming:
        return 0, 0
    keys = list(dict.fromkeys(v["dedup_key"] for v in incoming))
    stored = _stored_rows(session, keys, list(dict.fromkeys(v["match_key"] for v in incoming)))
    target, rekey = _targets(incoming, stored)
    rows: dict[str, dict[str, Any]] = {}
    for v in incoming:  # in the order given: deterministic, later copies win
        to = target[v["dedup_key"]]
        v = {**v, "dedup_key": to}
        rows[to] = _merge(rows[to], v) if to in rows else v
    table = PortalRecord.__table__
    assert isinstance(table, Table)
    _rekey(session, table, rekey)
    upsert_rows(
        session,
        PortalRecord,
        list(rows.values()),
        ["dedup_key"],
        overrides=lambda excluded: {c: func.coalesce(excluded[c], table.c[c]) for c in _KEPT},
        batch=batch,
    )
    existing = {s.dedup_key for s in stored} | set(rekey.values())
    new = len(set(rows) - existing)
    return new, len(keys) - new
