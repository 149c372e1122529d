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
from crawlers.pages.common import ParseError

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
    r"top-?bar|topnav|sitemap|breadcrumb|channel-?nav)(?:$|[-_\s\d])",
    re.I,
)
_HEADING_CLASS = re.compile(
    r"(?:^|[-_\s])(?:tit|title|hd|head|bt|name|lm|lanmu|column-?title)(?:$|[-_\s\d])", re.I
)
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5"))
_MAX_HEADING_CHARS = 10


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
        self, root: etree._Element, selectors: Sequence[CSSSelector], words: re.Pattern[str]
    ) -> set[int]:
        if selectors:
            return {id(el) for selector in selectors for el in selector(root)}
        return {id(el) for el in root.iter() if isinstance(el.tag, str) and words.search(_attrs(el))}

    def headlines(self, root: etree._Element, url: str) -> list[HeadlineItem]:
        lead = self._marked(root, self.lead_selectors, _LEAD_WORDS)
        top = self._marked(root, self.top_selectors, _TOP_WORDS)
        excluded = {id(el) for selector in self.exclude_selectors for el in selector(root)}
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
            if id(node) in excluded or tag in ("nav", "footer") or _CHROME_WORDS.search(_attrs(node)):
                return
            if id(node) in lead:
                block = LEAD
            elif id(node) in top and block != LEAD:
                block = TOP
            if tag != "a" and (tag in _HEADING_TAGS or _HEADING_CLASS.search(_attrs(node))):
                heading = common.text_of(node)
                if 2 <= len(heading) <= _MAX_HEADING_CHARS and not node.findall(".//li"):
                    section = heading
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
        title = common.text_of(link) or common.clean(link.get("title"))
        if len(title) < self.min_title_chars:
            return
        target = common.absolute(base, link.get("href"))
        if not target or target in seen:
            return
        seen.add(target)
        out.append(HeadlineItem(position=len(out) + 1, block=block, title=title, url=target))


class PeopleHomepage(HomepagePage):
    site = "people"


class XinhuaHomepage(HomepagePage):
    site = "xinhua"


_HOMEPAGES: dict[str, type[HomepagePage]] = {
    "people": PeopleHomepage,
    "xinhua": XinhuaHomepage,
}


def homepage_page_for(site_key: str) -> HomepagePage:
    """The homepage page object of a site key (generic rules for sites without their own)."""
    return _HOMEPAGES.get(site_key, HomepagePage)(site_key)
