"""Provincial and city credit sites (信用江苏, 诚信江阴 ...): TRS column pages of 红黑榜 and 双公示 announcements.

Column pages list links (title, date) and paginate through `createPageHTML(pages, current, "index", "html")`
(index.html, index_1.html … index_{pages-1}.html). Announcement pages carry the records as HTML tables, either one
row per entity under a header row, or one record as label/value pairs. Selectors come from config/credit_sites.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin

from lxml import html as lxml_html

from crawlers.portals.errors import PortalError
from crawlers.portals.fields import field_for
from crawlers.portals.records import PortalItem, clean, optional_day
from models.portal import ListKind

_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]"
)
_DATE_IN = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")


@dataclass(frozen=True, slots=True)
class ListLink:
    """One link of a column page."""

    title: str
    """Link text (or title attribute), whitespace collapsed."""
    url: str
    """Absolute URL."""
    published_on: date | None
    """Date printed beside the link; None when the row shows none."""


@dataclass(frozen=True, slots=True)
class ColumnPage:
    """A parsed column page: its links and the other pages of the column."""

    links: list[ListLink]
    page_urls: list[str]
    """Absolute URLs of every page of the column from createPageHTML (including this one); [] when not paginated."""


def trs_pages(html_text: str, url: str) -> list[str]:
    """All page URLs of a TRS column from its `createPageHTML(pages, current, "index", "html")` call."""
    m = _CREATE_PAGE.search(html_text)
    if not m:
        return []
    pages, _current, stem, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    names = [f"{stem}.{ext}"] + [f"{stem}_{i}.{ext}" for i in range(1, pages)]
    return [urljoin(url, n) for n in names]


def _text(el: lxml_html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


def parse_column(
    html_text: str,
    url: str,
    *,
    item: str,
    link: str = "a",
    date_sel: str | None = None,
    site: str = "creditsite",
) -> ColumnPage:
    """Links of a column page: each `item` element (CSS) holds a `link` and optionally a `date_sel` element."""
    doc = lxml_html.fromstring(html_text)
    rows = doc.cssselect(item)
    links: list[ListLink] = []
    for i, row in enumerate(rows):
        anchors = row.cssselect(link) if link else [row]
        if not anchors:
            raise PortalError(site, f"{item}[{i}] {link}", "no link in list item", url)
        a = anchors[0]
        href = a.get("href")
        if not href:
            raise PortalError(site, f"{item}[{i}] {link}@href", "missing", url)
        title = clean(a.get("title")) or clean(_text(a))
        if not title:
            raise PortalError(site, f"{item}[{i}] {link}", "empty link text", url)
        when_text = _text(row.cssselect(date_sel)[0]) if date_sel and row.cssselect(date_sel) else _text(row)
        m = _DATE_IN.search(when_text)
        when = date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
        links.append(ListLink(title=title, url=urljoin(url, href), published_on=when))
    if not rows and "createPageHTML" not in html_text:
        raise PortalError(site, item, "selector matched nothing and the page has no TRS pagination", url)
    return ColumnPage(links=links, page_urls=trs_pages(html_text, url))


def _cells(tr: lxml_html.HtmlElement) -> list[str]:
    return [" ".join(td.text_content().split()) for td in tr if td.tag in ("td", "th")]


def parse_records(
    html_text: str,
    url: str,
    kind: ListKind,
    *,
    source: str,
    table: str = "table",
    published_on: date | None = None,
    default_authority: str | None = None,
) -> list[PortalItem]:
    """Records from the tables of an announcement page: a header row naming known fields (one record per row), or
    label/value rows (one record). Raises `PortalError` when no table carries an entity name."""
    doc = lxml_html.fromstring(html_text)
    out: list[PortalItem] = []
    for t_i, tbl in enumerate(doc.cssselect(table)):
        rows = [r for r in tbl.iter("tr")]
        if not rows:
            continue
        header = _cells(rows[0])
        fields = [field_for(h) for h in header]
        known = sum(f is not None for f in fields)
        # A header row is mostly labels; a label/value row (名称 | X公司 | 代码 | 9132…) is half labels.
        if "entity_name" in fields and known >= 2 and known * 2 > sum(1 for h in header if h):
            for r_i, tr in enumerate(rows[1:], start=2):
                cells = _cells(tr)
                if not any(cells):
                    continue
                values = {f: c for f, c in zip(fields, cells, strict=False) if f and c}
                out.append(
                    _item(
                        values,
                        dict(zip(header, cells, strict=False)),
                        kind,
                        source,
                        url,
                        f"table {t_i + 1} row {r_i}",
                        published_on,
                        default_authority,
                    )
                )
            continue
        pairs: dict[str, str] = {}
        raw: dict[str, str] = {}
        for tr in rows:
            cells = _cells(tr)
            for j in range(0, len(cells) - 1, 2):  # label, value, label, value …
                f = field_for(cells[j])
                raw[cells[j]] = cells[j + 1]
                if f and cells[j + 1]:
                    pairs.setdefault(f, cells[j + 1])
        if "entity_name" in pairs:
            out.append(
                _item(pairs, raw, kind, source, url, f"table {t_i + 1}", published_on, default_authority)
            )
    if not out:
        raise PortalError(
            source, "entity_name", "no table on the page names an entity (header or label)", url
        )
    return out


def _item(
    values: dict[str, str],
    raw: dict[str, str],
    kind: ListKind,
    source: str,
    url: str,
    where: str,
    published_on: date | None,
    default_authority: str | None,
) -> PortalItem:
    try:
        return PortalItem(
            list_kind=kind,
            entity_name=values["entity_name"],
            source=source,
            credit_code=values.get("credit_code"),
            entity_type=values.get("entity_type"),
            authority=values.get("authority") or default_authority,
            case_number=values.get("case_number"),
            reason=values.get("reason"),
            decided_on=optional_day(values.get("decided_on")),
            published_on=optional_day(values.get("published_on")) or published_on,
            removed_on=optional_day(values.get("removed_on")),
            address=values.get("address"),
            source_ref=url,
            raw=raw,
        )
    except ValueError as exc:
        raise PortalError(source, where, str(exc), url) from None
