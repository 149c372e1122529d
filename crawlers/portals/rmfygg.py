"""人民法院公告网 (rmfygg.court.gov.cn): the DataTables-style notice list (PORTALS.md §4)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crawlers.portals.common import Page, as_int, load_json, need
from crawlers.portals.errors import PortalError
from crawlers.portals.records import PortalItem, clean, optional_day
from crawlers.waf import check_blocked
from models.portal import ListKind

PORTAL = "rmfygg"
BASE = "https://rmfygg.court.gov.cn"
LIST_PAGE = "/web/rmfyportal/noticeinfo"
LIST_API = (
    "/web/rmfyportal/noticeinfo?p_p_id=noticelist_WAR_rmfynoticeListportlet&p_p_lifecycle=2&p_p_state=normal"
    "&p_p_mode=view&p_p_resource_id=initNoticeList&p_p_cacheability=cacheLevelPage&p_p_col_id=column-1"
    "&p_p_col_count=1"
)
DETAIL = "/web/rmfyportal/noticedetail?paramStr="
_P = "_noticelist_WAR_rmfynoticeListportlet_"


def list_form(
    keyword: str = "", court: str = "", start: int = 0, length: int = 10, echo: int = 1
) -> dict[str, str]:
    """The POST form of initNoticeList: portlet-prefixed fields plus the DataTables `aoData` (every key required)."""
    ao = [
        {"name": "sEcho", "value": echo},
        {"name": "iColumns", "value": 6},
        {"name": "sColumns", "value": ",,,,,"},
        {"name": "iDisplayStart", "value": start},
        {"name": "iDisplayLength", "value": length},
        *({"name": f"mDataProp_{i}", "value": i} for i in range(6)),
    ]
    return {
        f"{_P}content": keyword,
        f"{_P}searchContent": keyword,
        f"{_P}courtParam": court,
        f"{_P}IEVersion": "ie",
        f"{_P}flag": "init",
        f"{_P}noticeType": "",
        f"{_P}noticeTypeVal": "全部",
        f"{_P}noticeSource": "",
        f"{_P}sourceTypeVal": "全部",
        f"{_P}isWebCountNotice": "",
        f"{_P}aoData": json.dumps(ao, ensure_ascii=False, separators=(",", ":")),
    }


def parse_notice_list(
    body: bytes, url: str | None = None, status: int = 200, headers: Mapping[str, Any] | None = None
) -> Page[PortalItem]:
    """`{iTotalRecords, data:[{noticeCode, uuid, tosendPeople, noticeType, court, noticeContent, publishDate}]}`;
    one record per notice, the 受送达人 as the entity."""
    check_blocked(PORTAL, status, body, headers, url)
    doc = load_json(PORTAL, body, url)
    if not isinstance(doc, dict):
        raise PortalError(PORTAL, "body", f"expected an object, got {type(doc).__name__}", url)
    total = as_int(PORTAL, need(PORTAL, doc, "iTotalRecords", (int, str), url), "iTotalRecords", url)
    rows = need(PORTAL, doc, "data", list, url)
    out: list[PortalItem] = []
    for i, r in enumerate(rows):
        where = f"data[{i}]"
        if not isinstance(r, dict):
            raise PortalError(PORTAL, where, "expected an object", url)
        people = clean(r.get("tosendPeople"))
        if not people:
            raise PortalError(PORTAL, f"{where}.tosendPeople", "missing or empty", url)
        court = clean(need(PORTAL, r, "court", str, url))
        ref = clean(r.get("uuid")) or clean(r.get("noticeCode"))
        try:
            pub = optional_day(r.get("publishDate"))
        except ValueError as exc:
            raise PortalError(PORTAL, f"{where}.publishDate", str(exc), url) from None
        out.append(
            PortalItem(
                list_kind=ListKind.COURT_NOTICE,
                entity_name=people,
                source=PORTAL,
                authority=court,
                case_number=clean(r.get("noticeCode")),
                reason=clean(r.get("noticeType")),
                published_on=pub,
                decided_on=pub,
                source_ref=f"{BASE}{DETAIL}{ref}" if ref else url,
                raw={k: r.get(k) for k in sorted(r)},
            )
        )
    if total and not rows:
        raise PortalError(PORTAL, "data", f"empty although iTotalRecords is {total}", url)
    return Page(out, total=total)
