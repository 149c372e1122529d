"""信用中国 (public.creditchina.gov.cn/private-api): the `{"status":1,"message":"成功","data":{...}}` envelope and the
search, detail and self-describing record answers described in PORTALS.md §1."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from crawlers.portals.common import Page, as_int, load_json, need
from crawlers.portals.errors import PortalError
from crawlers.portals.fields import map_row
from crawlers.portals.records import PortalItem, clean, optional_day
from crawlers.waf import check_blocked
from models.portal import ListKind

PORTAL = "creditchina"
API = "https://public.creditchina.gov.cn/private-api/"

# The `type` parameter of typeSourceSearch / typeNameAndCountSearch for each list.
TYPE_OF_KIND: dict[ListKind, str] = {
    ListKind.BLACKLIST: "失信惩戒",
    ListKind.REDLIST: "守信激励",
    ListKind.WATCHLIST: "重点关注",
    ListKind.PERMIT: "行政许可",
    ListKind.PENALTY: "行政处罚",
}
ENTITY_TYPES = {
    "1": "企业法人",
    "2": "非企业法人",
    "4": "个体工商户",
    "5": "社会团体",
    "6": "民办非企业",
    "7": "事业单位",
    "8": "其他",
}


@dataclass(frozen=True, slots=True)
class EntityHit:
    """One entity of a catalogSearchHome answer."""

    name: str
    """accurate_entity_name."""
    credit_code: str | None
    """accurate_entity_code (统一社会信用代码), upper case."""
    uuid: str | None
    """uuid, needed for the detail call."""
    entity_type: str | None
    """entityType mapped to its name (企业法人, 事业单位 ...), or the raw code when unknown."""


@dataclass(frozen=True, slots=True)
class EntityDetail:
    """The head of getTyshxydmDetailsContent: who the entity is and whether it carries 惩戒/激励 records."""

    name: str
    credit_code: str | None
    entity_type: str | None
    legal_representative: str | None
    established_on: str | None
    address: str | None
    registration_authority: str | None
    has_punishment: bool
    has_reward: bool


def url_for(endpoint: str, params: Mapping[str, Any], base: str = API) -> str:
    """An API URL with its query string (parameters in the documented order)."""
    return f"{base.rstrip('/')}/{endpoint}?{urlencode(params)}"


def envelope(
    body: bytes, url: str | None = None, status: int = 200, headers: Mapping[str, Any] | None = None
) -> Any:
    """The `data` of a successful envelope; `PortalBlocked` for challenges and 40001, `PortalError` otherwise."""
    check_blocked(PORTAL, status, body, headers, url)
    doc = load_json(PORTAL, body, url)
    if not isinstance(doc, dict):
        raise PortalError(
            PORTAL, "body", f"expected the {{status, message, data}} envelope, got {type(doc).__name__}", url
        )
    code = need(PORTAL, doc, "status", (int, str), url)
    if str(code) != "1":
        raise PortalError(
            PORTAL, "status", f"status {code!r} ({doc.get('message')!r}) is not success (1)", url
        )
    if "data" not in doc:
        raise PortalError(PORTAL, "data", "missing", url)
    return doc["data"]


def _page(data: Any, url: str | None) -> tuple[list[Any], int | None, int | None]:
    items = need(PORTAL, data, "list", list, url)
    total = as_int(PORTAL, data["total"], "data.total", url) if data.get("total") is not None else None
    page = as_int(PORTAL, data["page"], "data.page", url) if data.get("page") is not None else None
    return items, total, page


def parse_catalog_search(body: bytes, url: str | None = None, status: int = 200) -> Page[EntityHit]:
    """catalogSearchHome: entities matching a keyword."""
    data = envelope(body, url, status)
    items, total, page = _page(data, url)
    hits: list[EntityHit] = []
    for i, it in enumerate(items):
        if not isinstance(it, dict):
            raise PortalError(PORTAL, f"data.list[{i}]", "expected an object", url)
        name = clean(need(PORTAL, it, "accurate_entity_name", str, url))
        if not name:
            raise PortalError(PORTAL, f"data.list[{i}].accurate_entity_name", "empty", url)
        et = clean(it.get("entityType"))
        hits.append(
            EntityHit(
                name=name,
                credit_code=(clean(it.get("accurate_entity_code")) or "").upper() or None,
                uuid=clean(it.get("uuid")),
                entity_type=ENTITY_TYPES.get(et or "", et),
            )
        )
    return Page(hits, total=total, page=page)


def parse_name_list(body: bytes, url: str | None = None, status: int = 200) -> Page[str]:
    """typeNameAndCountSearch: the names of entities carrying records of one type (黑名单/重点关注 listings)."""
    data = envelope(body, url, status)
    items, total, page = _page(data, url)
    names: list[str] = []
    for i, it in enumerate(items):
        name = clean(need(PORTAL, it, "name", str, url)) if isinstance(it, dict) else None
        if not name:
            raise PortalError(PORTAL, f"data.list[{i}].name", "missing or empty", url)
        names.append(name)
    return Page(names, total=total, page=page)


def parse_type_source(
    body: bytes, kind: ListKind, url: str | None = None, status: int = 200, entity_name: str | None = None
) -> Page[PortalItem]:
    """typeSourceSearch: self-describing rows (`entity[k]` labelled `sencesMap[k]` for k in `columnList`)."""
    data = envelope(body, url, status)
    items, total, page = _page(data, url)
    out: list[PortalItem] = []
    for i, row in enumerate(items):
        where = f"data.list[{i}]"
        if not isinstance(row, dict):
            raise PortalError(PORTAL, where, "expected an object", url)
        entity = need(PORTAL, row, "entity", dict, url)
        columns = need(PORTAL, row, "columnList", list, url)
        labels = row.get("sencesMap") or {}
        if not isinstance(labels, dict):
            raise PortalError(PORTAL, f"{where}.sencesMap", "expected an object", url)
        shown = {k: entity.get(k) for k in columns if isinstance(k, str)}
        mapped = map_row({**entity, **shown}, {str(k): str(v) for k, v in labels.items()})
        name = clean(mapped.get("entity_name")) or entity_name
        if not name:
            raise PortalError(PORTAL, f"{where}.entity", "no entity name among the columns", url)
        try:
            out.append(
                PortalItem(
                    list_kind=kind,
                    entity_name=name,
                    source=PORTAL,
                    credit_code=clean(mapped.get("credit_code")),
                    entity_type=clean(mapped.get("entity_type")),
                    authority=clean(mapped.get("authority")),
                    case_number=clean(mapped.get("case_number")),
                    reason=clean(mapped.get("reason")),
                    decided_on=optional_day(mapped.get("decided_on")),
                    published_on=optional_day(mapped.get("published_on")),
                    removed_on=optional_day(mapped.get("removed_on")),
                    address=clean(mapped.get("address")),
                    source_ref=url,
                    raw={
                        "table_name": row.get("table_name"),
                        "dataSource": row.get("dataSource"),
                        "fields": {str(labels.get(k, k)): shown[k] for k in shown},
                    },
                )
            )
        except ValueError as exc:
            raise PortalError(PORTAL, where, str(exc), url) from None
    return Page(out, total=total, page=page)


def parse_details(body: bytes, url: str | None = None, status: int = 200) -> EntityDetail:
    """getTyshxydmDetailsContent: the entity head and its 惩戒/激励 flags."""
    data = envelope(body, url, status)
    head = need(PORTAL, data, "headEntity", dict, url)
    name = clean(need(PORTAL, head, "jgmc", str, url))
    if not name:
        raise PortalError(PORTAL, "data.headEntity.jgmc", "empty", url)
    ent = (data.get("data") or {}).get("entity") or {}
    if not isinstance(ent, dict):
        raise PortalError(PORTAL, "data.data.entity", "expected an object", url)
    et = clean(head.get("entity_type"))
    return EntityDetail(
        name=name,
        credit_code=(clean(head.get("tyshxydm")) or "").upper() or None,
        entity_type=ENTITY_TYPES.get(et or "", et),
        legal_representative=clean(ent.get("name")),
        established_on=clean(ent.get("esdate")),
        address=clean(ent.get("dom")),
        registration_authority=clean(ent.get("regorg")),
        has_punishment=str(data.get("punishmentStatus")).lower() == "yes",
        has_reward=str(data.get("rewardStatus")).lower() == "yes",
    )
