"""Monthly figures from the portal lists for a city (a prefecture includes its counties/districts): blacklist
totals active at month end, share of legal entities, entries, exits, and government bodies among 失信被执行人.

A record enters on `decided_on` (else `published_on`); it is active at the end of month M when it entered on or
before the last day of M and has no `removed_on`, or one after that day. Records with no date at all are reported
as `undated` and not counted elsewhere.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.portal import ListKind, PortalRecord
from nlp.gazetteer import get_gazetteer

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of 'YYYY-MM'."""
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month {month!r}: expected YYYY-MM")
    y, mo = int(m.group(1)), int(m.group(2))
    return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])


def city_codes(code: str) -> list[str]:
    """`code` and every division under it (a prefecture with its counties and districts)."""
    g = get_gazetteer()
    if g.get(code) is None:
        raise ValueError(f"unknown division code {code!r}")
    out, todo = [], [code]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(d.code for d in g.children(c))
    return sorted(out)


@dataclass(frozen=True, slots=True)
class ListMonth:
    """One city, one month, one set of lists."""

    city_code: str
    month: str
    """YYYY-MM."""
    kinds: tuple[ListKind, ...]
    active: int
    """Records active at month end."""
    active_entities: int
    """Distinct parties among them (by credit code, else name)."""
    active_legal_entities: int
    """Distinct parties among them that are not natural persons."""
    new_entries: int
    """Records that entered during the month."""
    exits: int
    """Records removed (移出) during the month."""
    undated: int
    """Records of the city and lists with no date at all (not counted above)."""
    registered_entities: int | None
    """The count of registered legal entities in the city, when given."""
    share_of_legal_entities: float | None
    """active_legal_entities / registered_entities (a fraction, not a percentage); None without the count."""


@dataclass(frozen=True, slots=True)
class GovernmentDebtor:
    entity_name: str
    credit_code: str | None
    case_number: str | None
    court: str | None
    decided_on: date | None
    region_code: str | None


@dataclass(frozen=True, slots=True)
class GovernmentDebtorsMonth:
    """Government bodies on the 失信被执行人 list of a city at month end, and those newly listed in the month."""

    city_code: str
    month: str
    active: int
    """Records active at month end whose party is a government body."""
    active_entities: int
    """Distinct government bodies among them."""
    new_entries: int
    """Of those, records that entered during the month."""
    records: tuple[GovernmentDebtor, ...]
    """The active records, oldest first."""


def _rows(session: Session, codes: Sequence[str], kinds: Iterable[ListKind]) -> list[PortalRecord]:
    stmt = select(PortalRecord).where(
        PortalRecord.region_code.in_(codes), PortalRecord.list_kind.in_(list(kinds))
    )
    return list(session.scalars(stmt))


def _entered(r: PortalRecord) -> date | None:
    return r.decided_on or r.published_on


def _active(r: PortalRecord, last: date) -> bool:
    entered = _entered(r)
    return entered is not None and entered <= last and (r.removed_on is None or r.removed_on > last)


def _who(r: PortalRecord) -> str:
    return r.credit_code if r.credit_code and "*" not in r.credit_code else r.entity_name


def list_month(
    session: Session,
    city_code: str,
    month: str,
    kinds: Sequence[ListKind] = (ListKind.BLACKLIST,),
    registered_entities: int | None = None,
) -> ListMonth:
    """Blacklist (or other lists') figures of `city_code` and its subdivisions for `month`."""
    first, last = month_bounds(month)
    if registered_entities is not None and registered_entities <= 0:
        raise ValueError(f"registered_entities must be positive, got {registered_entities}")
    rows = _rows(session, city_codes(city_code), kinds)
    active = [r for r in rows if _active(r, last)]
    legal = {_who(r) for r in active if not (r.entity_type and "自然人" in r.entity_type)}
    share = len(legal) / registered_entities if registered_entities else None
    return ListMonth(
        city_code=city_code,
        month=month,
        kinds=tuple(kinds),
        active=len(active),
        active_entities=len({_who(r) for r in active}),
        active_legal_entities=len(legal),
        new_entries=sum(1 for r in rows if (e := _entered(r)) is not None and first <= e <= last),
        exits=sum(1 for r in rows if r.removed_on is not None and first <= r.removed_on <= last),
        undated=sum(1 for r in rows if _entered(r) is None),
        registered_entities=registered_entities,
        share_of_legal_entities=share,
    )


def government_dishonest_debtors(session: Session, city_code: str, month: str) -> GovernmentDebtorsMonth:
    """Government bodies (is_government) among the 失信被执行人 of `city_code` and its subdivisions."""
    first, last = month_bounds(month)
    rows = [r for r in _rows(session, city_codes(city_code), [ListKind.DISHONEST_DEBTOR]) if r.is_government]
    active = sorted((r for r in rows if _active(r, last)), key=lambda r: (_entered(r) or date.min, r.id))
    return GovernmentDebtorsMonth(
        city_code=city_code,
        month=month,
        active=len(active),
        active_entities=len({_who(r) for r in active}),
        new_entries=sum(1 for r in active if first <= (_entered(r) or date.min) <= last),
        records=tuple(
            GovernmentDebtor(
                r.entity_name, r.credit_code, r.case_number, r.authority, _entered(r), r.region_code
            )
            for r in active
        ),
    )
