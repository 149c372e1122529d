"""Homepage page objects: every headline link with its 1-based position and the block it sits in.

A block is ``头条`` (the lead story block), ``要闻`` (the top-news block), or the title of the page section
(the last short heading before the link in document order). Site subclasses name their lead/top containers;
the generic rules recognise them by class/id words (toutiao, headline, yaowen, ...).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from lxml import etree
from lxml.cssselect import CSSSelector

from crawlers.items import HeadlineItem, HomepageItem
from crawlers.pages import common
from crawlers.pages.common import ParseError, css

LEAD = "头条"
TOP = "要闻"
OTHER = "其他"

_LEAD_WORDS = re.compile(
    r"(?:^|[-_\s])(?:toutiao|headline|headlines|hdline|top-?news|tt|lead|focus-?news)(?:$|[-_\s\d])", re.I
)
_TOP_WORDS = re.compile(
    r"(?:^|[-_\s])(?:yaowen|yw|important-?news|importantnews|ywbox|news-?yw)(?:$|[-_\s\d])", re.I
)
_CHROME_WORDS = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|footer|foot|copyright|login|search|friend-?links?|links|"
    r"top-?bar|topnav|sitemap|breadcrumb|channel-?nav|advert|ad|ads|gg)(?:$|[-_\s\d])",
    re.I,
)
_HEADING_CLASS = re.compile(
    r"(?:^|[-_\s])(?:tit|title|hd|head|bt|name|lm|lanmu|column-?title)(?:$|[-_\s\d])", re.I
)
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5"))
_MAX_HEADING_CHARS = 10
# A short "heading" that links to a dated/numbered page is a headline, not a section title.
_ARTICLE_LINK = re.compile(r"/20\d\d[-/]?\d{2}|\d{6,}|/a/|/article/|content_")
# Comment counters ("342 跟贴 342"), "更多>>" links and bare [栏目] tags are not headlines.
_NOT_HEADLINE = re.compile(r"^[\d\s]+(?:跟贴|评论|条评论)?[\d\s]*$|^更多|(?:>>|»)$")
_TAG_ONLY = re.compile(r"^[\[【][^\]】]{1,12}[\]】]$")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_MAX_LEAD_LINKS = 8
_MAX_TOP_LINKS = 40


def _attrs(element: etree._Element) -> str:
    return f"{element.get('class') or ''} {element.get('id') or ''}"


class HomepagePage:
    """Reads one homepage; subclasses set the container selectors of their lead and top-news blocks."""

    site: ClassVar[str] = "unknown"
    lead_selectors: ClassVar[Sequence[CSSSelector]] = ()
    top_selectors: ClassVar[Sequence[CSSSelector]] = ()
    exclude_selectors: ClassVar[Sequence[CSSSelector]] = ()
    # Link texts shorter than this are section names, channel links or "更多".
    min_title_chars: ClassVar[int] = 6

    def __init__(self, site: str | None = None) -> None:
        self.site_key = site or self.site

    def parse(self, url: str, html_text: str, fetched_at: datetime) -> HomepageItem:
        """All headline links of the page in document order; raises ParseError when there are none."""
        root = common.parse_html(html_text)
        headlines = self.headlines(root, url)
        if not headlines:
            raise ParseError(f"{self.site_key}: no headline links on the homepage {url or ''}".strip())
        return HomepageItem(site=self.site_key, url=url, captured_at=fetched_at, headlines=headlines)

    def _marked(
        self, root: etree._Element, selectors: Sequence[CSSSelector], words: re.Pattern[str], max_links: int
    ) -> set[etree._Element]:
        # element objects, not id(): lxml proxies are recreated and their ids reused
        if selectors:
            return {el for selector in selectors for el in selector(root)}
        # By class/id words only small containers count: a page wrapper named "top-news-wrap" is not a block.
        return {
            el
            for el in root.iter()
            if isinstance(el.tag, str)
            and words.search(_attrs(el))
            and 0 < sum(1 for _ in el.iter("a")) <= max_links
        }

    def headlines(self, root: etree._Element, url: str) -> list[HeadlineItem]:
        lead = self._marked(root, self.lead_selectors, _LEAD_WORDS, _MAX_LEAD_LINKS)
        top = self._marked(root, self.top_selectors, _TOP_WORDS, _MAX_TOP_LINKS)
        excluded = {el for selector in self.exclude_selectors for el in selector(root)}
        body = root.find(".//body")
        start = body if body is not None else root
        out: list[HeadlineItem] = []
        seen: set[str] = set()
        section = OTHER

        def walk(node: etree._Element, block: str | None) -> None:
            nonlocal section
            tag = node.tag if isinstance(node.tag, str) else ""
            if not tag or tag in ("script", "style", "noscript", "template"):
                return
            if node in excluded or tag in ("nav", "footer") or _CHROME_WORDS.search(_attrs(node)):
                return
            if node in lead:
                block = LEAD
            elif node in top and block != LEAD:
                block = TOP
            if tag != "a" and (tag in _HEADING_TAGS or _HEADING_CLASS.search(_attrs(node))):
                heading = common.text_of(node).rstrip(":：").strip()
                # ce.cn decorates headings with <em>con</em>
                heading = re.sub(r"^[a-z]{2,6}\s+(?=[\u4e00-\u9fff])", "", heading)
                if (
                    2 <= len(heading) <= _MAX_HEADING_CHARS
                    and not node.findall(".//li")
                    and not any(_ARTICLE_LINK.search(a.get("href") or "") for a in node.iter("a"))
                ):
                    section = TOP if TOP in heading else LEAD if LEAD in heading else heading
            if tag == "a":
                self._add(node, block or section, url, out, seen)
                return
            for child in node:
                walk(child, block)

        walk(start, None)
        return out

    def _add(
        self, link: etree._Element, block: str, base: str, out: list[HeadlineItem], seen: set[str]
    ) -> None:
        title = (common.text_of(link) or common.clean(link.get("title"))).rstrip(" |｜").strip()
        if len(title) < self.min_title_chars or _NOT_HEADLINE.search(title) or not _looks_like_words(title):
            return
        target = common.absolute(base, link.get("href"))
        if not target or target in seen:
            return
        if _TAG_ONLY.match(title) and not _ARTICLE_LINK.search(target):
            return  # a [栏目] tag linking to its channel
        seen.add(target)
        out.append(HeadlineItem(position=len(out) + 1, block=block, title=title, url=target))


class PeopleHomepage(HomepagePage):
    site = "people"
    lead_selectors = css("div#rmw_topline")
    top_selectors = css("div#rmw_focus", "section.cont_a div.news_box")


class XinhuaHomepage(HomepagePage):
    site = "xinhua"
    lead_selectors = css("div#headArea", "div#headLine div.part1")
    top_selectors = css("div#hpart2", "div#headLine div.part2")
    exclude_selectors = css("div#topAdv", "div.textAd")


class ChinaComCnHomepage(HomepagePage):
    site = "chinacomcn"
    lead_selectors = css("div.topNews div.topTxt")
    top_selectors = css("div.leftNews")


class CctvHomepage(HomepagePage):
    site = "cctv"
    lead_selectors = css("div#SUBD1514723706001551 div.top", "div.headline", "div.toutiao")
    top_selectors = css("div#SUBD1453455176624967 div.pics_show", "div.yaowen")
    exclude_selectors = css("div.subNav")


class QstheoryHomepage(HomepagePage):
    site = "qstheory"
    lead_selectors = css("div.headtitle")
    top_selectors = css("div.owl-carousel")


class ChinaDailyHomepage(HomepagePage):
    site = "chinadaily"
    lead_selectors = css("div.toutiao div.tou-left")
    top_selectors = css("div.left-datu")


class CnrHomepage(HomepagePage):
    site = "cnr"
    lead_selectors = css("div.main-box div.row1")
    top_selectors = css("div.row2-left div.focus")


class CriHomepage(HomepagePage):
    site = "cri"
    lead_selectors = css("div.headline")
    top_selectors = css("div.con-left div.top-list")


class YouthHomepage(HomepagePage):
    site = "cyol_youth"
    lead_selectors = css("div.youth-hotline div.youth_tt")
    top_selectors = css("div.youth-hotline")


class GmwHomepage(HomepagePage):
    site = "gmw"
    lead_selectors = css("div#headline")
    top_selectors = css("div#focusArea")
    exclude_selectors = css("div.market_box")


class CeHomepage(HomepagePage):
    site = "ce"
    lead_selectors = css("div.area-main div.hot_news")
    top_selectors = css("div.area-main div.hotnews")
    exclude_selectors = css("div.advert", "div#rolling")


class NeteaseHomepage(HomepagePage):
    site = "163"
    lead_selectors = css(".top_news_title", "div.mod_top_news2 h2")
    top_selectors = css("ul.top_news_ul", "div.mod_top_news2")
    exclude_selectors = css("div.scroll_bd", "div.ns_area.index_top_ad")


class QqHomepage(HomepagePage):
    site = "qq"
    lead_selectors = css("div#main-news li.news-top")
    top_selectors = css("div#main-news div.tab-news")


_HOMEPAGES: dict[str, type[HomepagePage]] = {
    page.site: page
    for page in (
        PeopleHomepage,
        XinhuaHomepage,
        ChinaComCnHomepage,
        CctvHomepage,
        QstheoryHomepage,
        ChinaDailyHomepage,
        CnrHomepage,
        CriHomepage,
        YouthHomepage,
        GmwHomepage,
        CeHomepage,
        NeteaseHomepage,
        QqHomepage,
    )
}


def _looks_like_words(title: str) -> bool:
    """Two Chinese characters or four words: a headline, not a language switch ("English") or a code."""
    return len(_CJK.findall(title)) >= 2 or len(title.split()) >= 4


def homepage_page_for(site_key: str) -> HomepagePage:
    """The homepage page object of a site key (generic rules for sites without their own, e.g. sina, sohu)."""
    return _HOMEPAGES.get(site_key, HomepagePage)(site_key)
