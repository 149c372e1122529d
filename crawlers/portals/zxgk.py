"""中国执行信息公开网 (zxgk.court.gov.cn) 失信被执行人: captcha-guarded search and detail JSON (PORTALS.md §2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crawlers.portals.common import Page, as_int, load_json, need
from crawlers.portals.errors import PortalError
from crawlers.portals.records import PortalItem, clean, optional_day
from crawlers.waf import check_blocked
from models.portal import ListKind

PORTAL = "zxgk"
BASE = "http://zxgk.court.gov.cn"


@dataclass(frozen=True, slots=True)
class DebtorHit:
    """One row of a searchSX.do answer: what the detail call needs."""

    id: str
    """Record id (the `id` parameter of disDetailNew)."""
    case_code: str
    """案号."""
    name: str | None
    """iname when the list carries it."""


def parse_search(
    body: bytes, url: str | None = None, status: int = 200, headers: Mapping[str, Any] | None = None
) -> Page[DebtorHit]:
    """searchSX.do: `[ {result:[{id, caseCode, …}], totalPage, totalSize} ]`; the body `error` is a captcha block."""
    check_blocked(PORTAL, status, body, headers, url)
    doc = load_json(PORTAL, body, url)
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise PortalError(PORTAL, "body", "expected a JSON array whose first element is an object", url)
    first = doc[0]
    rows = need(PORTAL, first, "result", list, url)
    hits: list[DebtorHit] = []
    for i, r in enumerate(rows):
        if not isinstance(r, dict):
            raise PortalError(PORTAL, f"[0].result[{i}]", "expected an object", url)
        rid = clean(r.get("id"))
        code = clean(r.get("caseCode"))
        if not rid:
            raise PortalError(PORTAL, f"[0].result[{i}].id", "missing or empty", url)
        if not code:
            raise PortalError(PORTAL, f"[0].result[{i}].caseCode", "missing or empty", url)
        hits.append(DebtorHit(id=rid, case_code=code, name=clean(r.get("iname"))))
    pages = (
        as_int(PORTAL, first["totalPage"], "[0].totalPage", url)
        if first.get("totalPage") is not None
        else None
    )
    total = (
        as_int(PORTAL, first["totalSize"], "[0].totalSize", url)
        if first.get("totalSize") is not None
        else None
    )
    return Page(hits, total=total, pages=pages)


def parse_detail(
    body: bytes, url: str | None = None, status: int = 200, headers: Mapping[str, Any] | None = None
) -> PortalItem:
    """disDetailNew: one 失信被执行人 record."""
    check_blocked(PORTAL, status, body, headers, url)
    doc = load_json(PORTAL, body, url)
    if not isinstance(doc, dict):
        raise PortalError(PORTAL, "body", f"expected an object, got {type(doc).__name__}", url)
    name = clean(need(PORTAL, doc, "iname", str, url))
    case = clean(need(PORTAL, doc, "caseCode", str, url))
    court = clean(need(PORTAL, doc, "courtName", str, url))
    if not name:
        raise PortalError(PORTAL, "iname", "empty", url)
    if not case:
        raise PortalError(PORTAL, "caseCode", "empty", url)
    # A natural person carries age/sex; an organisation carries its legal representative (businessEntity).
    person = bool(clean(doc.get("sexy")) or (clean(doc.get("age")) not in (None, "0")))
    entity_type = "自然人" if person and not clean(doc.get("businessEntity")) else "法人或其他组织"
    try:
        reg = optional_day(doc.get("regDate"))
        pub = optional_day(doc.get("publishDate"))
    except ValueError as exc:
        raise PortalError(PORTAL, "regDate/publishDate", str(exc), url) from None
    return PortalItem(
        list_kind=ListKind.DISHONEST_DEBTOR,
        entity_name=name,
        source=PORTAL,
        credit_code=clean(doc.get("cardNum")),
        entity_type=entity_type,
        authority=court,
        case_number=case,
        reason=clean(doc.get("disruptTypeName")),
        decided_on=reg,
        published_on=pub,
        source_ref=url,
        raw={k: doc.get(k) for k in sorted(doc)},
    )
