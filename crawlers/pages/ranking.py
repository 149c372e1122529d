"""Ranking (hot list) parsers: 163 rank pages (HTML, ``div.tabContents``), the rendered news.163.com/rank page,
sina ``GetTopDataList.php`` JSONP, qq ``hot_ranking_list`` JSON and 163 ``hot/news/flow`` JSON."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs, urlsplit

from crawlers.items import RankingEntryItem, RankingItem
from crawlers.pages import common
from crawlers.pages.common import ParseError, css


class RankingParser(Protocol):
    """Anything with ``parse(url, text, fetched_at) -> RankingItem``."""

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem: ...

    def parse_all(self, url: str, text: str, fetched_at: datetime) -> list[RankingItem]: ...


class _SingleList:
    """A source that publishes exactly one list: ``parse_all`` is ``[parse(...)]``."""

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem:
        raise NotImplementedError

    def parse_all(self, url: str, text: str, fetched_at: datetime) -> list[RankingItem]:
        """Every list in the response (one)."""
        return [self.parse(url, text, fetched_at)]


def _int(value: Any) -> int | None:
    """'36,072' / '1.2万' / 3607 -> int; None when there is no number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = common.clean(str(value)).replace(",", "")
    found = re.search(r"(\d+(?:\.\d+)?)\s*(万|亿)?", text)
    if not found:
        return None
    number = float(found.group(1)) * {"万": 10_000, "亿": 100_000_000}.get(found.group(2) or "", 1)
    return round(number)


def load_json(text: str) -> Any:
    """JSON, or the object inside a JSONP wrapper (``cb({...})`` / ``var data = {...};``)."""
    stripped = text.strip().lstrip("\ufeff")
    if not stripped:
        raise ParseError("empty response")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
    if not starts:
        raise ParseError("no JSON object in the response")
    start = min(starts)
    end = max(stripped.rfind("}"), stripped.rfind("]"))
    try:
        return json.loads(stripped[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON/JSONP: {exc.msg} at {exc.pos}") from exc


class SinaTopList(_SingleList):
    """``top.*.sina.com.cn/ws/GetTopDataList.php`` → ``{"data": [{title, url, top_num, ...}]}``."""

    site: ClassVar[str] = "sina"

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem:
        data = load_json(text)
        rows = data.get("data") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            raise ParseError("sina top list: no 'data' list")
        query = parse_qs(urlsplit(url).query)
        category = (query.get("top_cat") or [""])[0]
        period = (query.get("top_type") or [""])[0]
        when = (query.get("top_time") or [""])[0]
        if re.fullmatch(r"\d{8}", when):
            period = f"{when[:4]}-{when[4:6]}-{when[6:]}"
        entries: list[RankingEntryItem] = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("title") or not row.get("url"):
                continue
            category = category or str(row.get("cat_name") or "")
            if not period and row.get("top_time"):
                stamp = str(row["top_time"])
                period = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}" if re.fullmatch(r"\d{8}", stamp) else stamp
            entries.append(
                RankingEntryItem(
                    rank=len(entries) + 1,
                    title=common.clean(str(row["title"])),
                    url=str(row["url"]),
                    value=_int(row.get("top_num")),
                )
            )
        return RankingItem(self.site, category, period, url, fetched_at, entries)


class QqHotRanking(_SingleList):
    """``r.inews.qq.com/gw/event/(pc_)hot_ranking_list`` → ``{ret, idlist: [{newslist: [...]}]}``; the first
    element is a TIP placeholder (articletype 560, id ``TIP…``) and is skipped."""

    site: ClassVar[str] = "qq"

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem:
        data = load_json(text)
        if not isinstance(data, dict):
            raise ParseError("qq hot ranking: not an object")
        if data.get("ret") not in (0, "0", None):
            raise ParseError(f"qq hot ranking: ret={data.get('ret')!r} {data.get('errmsg') or ''}".strip())
        idlist = data.get("idlist")
        if not isinstance(idlist, list) or not idlist or not isinstance(idlist[0], dict):
            raise ParseError("qq hot ranking: no 'idlist'")
        news = idlist[0].get("newslist")
        if not isinstance(news, list):
            raise ParseError("qq hot ranking: no 'newslist'")
        entries: list[RankingEntryItem] = []
        for row in news:
            if not isinstance(row, dict):
                continue
            if str(row.get("id", "")).startswith("TIP") or str(row.get("articletype")) == "560":
                continue
            link = row.get("url") or row.get("surl")
            if not row.get("title") or not link:
                continue
            hot_event = row.get("hotEvent")
            hot: dict[str, Any] = hot_event if isinstance(hot_event, dict) else {}
            entries.append(
                RankingEntryItem(
                    rank=len(entries) + 1,
                    title=common.clean(str(row["title"])),
                    url=str(link),
                    value=_int(hot.get("hotScore"))
                    if hot.get("hotScore") is not None
                    else _int(row.get("readCount")),
                )
            )
        return RankingItem(self.site, "腾讯新闻热点榜", "", url, fetched_at, entries)


class NeteaseHotFlow(_SingleList):
    """``m.163.com/fe/api/hot/news/flow`` → ``{code: 200, data: {list: [{docid, title, url, ...}]}}``."""

    site: ClassVar[str] = "163"

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem:
        data = load_json(text)
        if not isinstance(data, dict) or data.get("code") not in (200, "200"):
            raise ParseError(f"163 hot flow: code={data.get('code') if isinstance(data, dict) else None!r}")
        inner = data.get("data")
        rows = inner.get("list") if isinstance(inner, dict) else None
        if not isinstance(rows, list):
            raise ParseError("163 hot flow: no data.list")
        entries: list[RankingEntryItem] = []
        for row in rows:
            if not isinstance(row, dict) or not row.get("title"):
                continue
            link = row.get("url") or (
                f"https://www.163.com/dy/article/{row['docid']}.html" if row.get("docid") else ""
            )
            if not link:
                continue
            entries.append(
                RankingEntryItem(len(entries) + 1, common.clean(str(row["title"])), str(link), None)
            )
        return RankingItem(self.site, "网易热榜", "", url, fetched_at, entries)


class NeteaseRankPage:
    """163 HTML rank pages (``news.163.com/special/0001386F/rank_*.html``, GBK, and the rendered
    ``news.163.com/rank/``): every ``div.tabBox`` holds one board (点击榜/跟贴榜) with a ``div.tabContents``
    table per period; the ``div.titleBar`` before it names the channel. ``parse`` returns the first list,
    ``parse_all`` every list."""

    site: ClassVar[str] = "163"
    _board_name = css("div.title-tab h2", "h2")
    _tab_names = css("div.title-tab li", "ul.tabNav li")
    _tabs = css("div.tabContents")

    def parse(self, url: str, text: str, fetched_at: datetime) -> RankingItem:
        return self.parse_all(url, text, fetched_at)[0]

    def parse_all(self, url: str, text: str, fetched_at: datetime) -> list[RankingItem]:
        root = common.parse_html(text)
        lists: list[RankingItem] = []
        channel = ""
        boxes = root.xpath(
            "//div[contains(concat(' ', normalize-space(@class), ' '), ' titleBar ')]"
            " | //div[contains(concat(' ', normalize-space(@class), ' '), ' tabBox ')]"
        )
        for box in boxes:
            if "titleBar" in (box.get("class") or "").split():
                heading = box.find(".//h2")
                channel = common.text_of(heading if heading is not None else box)
                continue
            board = next((common.text_of(el) for el in common.select(box, self._board_name)), "")
            names = [common.text_of(el) for el in common.select(box, self._tab_names)]
            for index, tab in enumerate(self._tabs[0](box)):
                entries = self._entries(tab, url)
                if not entries:
                    continue
                tab_name = names[index] if index < len(names) else ""
                list_name = " ".join(part for part in (channel, board) if part) or "网易排行榜"
                lists.append(RankingItem(self.site, list_name, _period(tab_name), url, fetched_at, entries))
        if not lists:
            raise ParseError("163 rank page: no div.tabContents list with entries")
        return lists

    @staticmethod
    def _entries(tab: Any, base: str) -> list[RankingEntryItem]:
        entries: list[RankingEntryItem] = []
        for row in tab.iter("tr"):
            links = [a for a in row.iter("a") if common.text_of(a)]
            if not links:
                continue
            link = links[0]
            target = common.absolute(base, link.get("href"))
            if not target:
                continue
            cells = [common.text_of(td) for td in row.iter("td")]
            value = _int(cells[-1]) if len(cells) >= 2 else None
            entries.append(RankingEntryItem(len(entries) + 1, common.text_of(link), target, value))
        return entries


_PERIOD_WORDS = (
    ("1小时", "1h"),
    ("24小时", "24h"),
    ("今日", "24h"),
    ("本周", "week"),
    ("7天", "week"),
    ("本月", "month"),
)


def _period(tab_name: str) -> str:
    return next((period for word, period in _PERIOD_WORDS if word in tab_name), "")


def ranking_parser_for(url: str) -> RankingParser:
    """The ranking parser for a list URL; raises ParseError for URLs no parser knows."""
    parts = urlsplit(url)
    host, path = (parts.hostname or "").lower(), parts.path.lower()
    if host.endswith("sina.com.cn") and "gettopdatalist" in path:
        return SinaTopList()
    if host.endswith("qq.com") and "hot_ranking_list" in path:
        return QqHotRanking()
    if host.endswith("163.com") and "/hot/news/flow" in path:
        return NeteaseHotFlow()
    if host.endswith("163.com") and ("rank" in path):
        return NeteaseRankPage()
    raise ParseError(f"no ranking parser for {url!r}")
