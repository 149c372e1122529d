"""Base article page object: a site module only names its selectors; the rules that combine them live here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

from lxml import etree
from lxml.cssselect import CSSSelector

from crawlers.items import ArticleItem
from crawlers.pages import common
from crawlers.pages.common import ParseError, css

# Lines that end many Chinese articles and are not part of the story.
BOILERPLATE = (
    re.compile(r"^[(（\[【]?\s*(?:责任编辑|责编|编辑|作者|来源)\s*[:：].{0,30}[)）\]】]?$"),
    re.compile(
        r"^(?:分享到|分享让更多人看到|扫一扫|点击进入专题|返回搜狐|查看更多|打开APP|特别声明|本文来源)"
    ),
    re.compile(r"^(?:\[|【)\s*(?:纠错|打印|关闭)\s*(?:\]|】)$"),
    re.compile(r"^(?:图集|精彩视频推荐|原标题[:：]?|\+?关注|举报|相关新闻[:：]?)$"),
    re.compile(r"^(?:您的浏览器暂时无法播放此视频|关注公众号[:：]|新酷产品第一时间免费试玩)"),
    re.compile(r"(?:>>|》》)\s*\|?$"),  # "返回腾讯网首页>>", "点击进入…>>", pagers "|<<1234下一页>>|"
    re.compile(r"^\d{1,2}$"),  # page numbers
    re.compile(
        r"^(?:展开全文|阅读全文|查看全文|点击展开全文|展开剩余\d+%)\s*[>›▼∨]?$"
    ),  # the text is all there
)
# Related-link lists start here; what follows is not the story (once the story has begun).
STOP_LINES = re.compile(r"^(?:延伸阅读|相关阅读|相关新闻|相关链接|推荐阅读)[:：]?$")
_STORY_STARTED = 200


class ArticlePage:
    """Reads one article page of a site; subclasses set the selector attributes (first match wins)."""

    site: ClassVar[str] = "unknown"
    version: ClassVar[str] = ""
    title_selectors: ClassVar[Sequence[CSSSelector]] = ()
    date_selectors: ClassVar[Sequence[CSSSelector]] = ()
    source_selectors: ClassVar[Sequence[CSSSelector]] = ()
    author_selectors: ClassVar[Sequence[CSSSelector]] = ()
    byline_selectors: ClassVar[Sequence[CSSSelector]] = ()
    body_selectors: ClassVar[Sequence[CSSSelector]] = ()
    noise_selectors: ClassVar[Sequence[CSSSelector]] = css(
        ".editor", ".edit", ".share", ".bshare", ".shareBox", "#p-detail-share", ".page_num"
    )
    # Only the <p> children count when a body container mixes paragraphs with widgets.
    paragraph_only: ClassVar[bool] = False
    # Some sites put the media, not a person, in <meta name="author"> / article:author.
    meta_author: ClassVar[bool] = True
    # Video pages may carry no text at all besides the player.
    allow_empty_body: ClassVar[bool] = False
    drop_lines: ClassVar[Sequence[re.Pattern[str]]] = BOILERPLATE

    @property
    def extractor(self) -> str:
        """Name recorded in ArticleItem.extractor."""
        return f"{self.site}.{self.version}" if self.version else self.site

    @classmethod
    def matches(cls, root: etree._Element) -> bool:
        """True when this layout version's body container is on the page."""
        return bool(common.select(root, cls.body_selectors))

    def parse(self, url: str, html_text: str, fetched_at: datetime) -> ArticleItem:
        """Read the article; raises ParseError when the page has no recognisable article."""
        return self.parse_tree(url, common.parse_html(html_text), fetched_at)

    def parse_tree(self, url: str, root: etree._Element, fetched_at: datetime) -> ArticleItem:
        """Like ``parse`` on an already parsed tree."""
        body = self.body(root)
        if not body and not self.allow_empty_body:
            raise ParseError(f"{self.extractor}: no article body found at {url or 'the page'}")
        title = self.title(root)
        if title:
            body = "\n".join(line for line in body.split("\n") if line != title)
        byline = self.byline(root)
        return ArticleItem(
            site=self.site,
            url=common.canonical_url(root, url),
            title=title,
            published_at=self.published_at(root, title, byline, fetched_at),
            source=self.source(root, byline),
            author=self.author(root, byline),
            body=body,
            extractor=self.extractor,
        )

    def title(self, root: etree._Element) -> str:
        return common.best_title(
            root, (common.text_of(el) for el in common.select(root, self.title_selectors))
        )

    def byline(self, root: etree._Element) -> str:
        return " ".join(common.text_of(el) for el in common.select(root, self.byline_selectors))

    def published_at(self, root: etree._Element, title: str, byline: str, now: datetime) -> datetime | None:
        found = common.date_from(root, self.date_selectors, now) or (
            common.parse_date(byline, now) if byline else None
        )
        if found is not None:
            return found
        found = common.date_from_meta(root, now)
        if found is None or (found.hour, found.minute, found.second) == (0, 0, 0):
            # meta publishdate often carries the day only; the byline under the title has the time
            near = common.date_near_title(root, title, now)
            if near is not None and (found is None or near.date() == found.date()):
                return near
        return found

    def source(self, root: etree._Element, byline: str) -> str:
        for element in common.select(root, self.source_selectors):
            value = common.clean_source(common.text_of(element))
            if value:
                return value
        return (
            common.source_from_text(byline)
            or common.clean_source(common.meta(root, "source", "og:site_name"))
            or common.source_from_text(common.page_text(root)[:3000])
        )

    def author(self, root: etree._Element, byline: str) -> str:
        names: list[str] = []
        for selector in self.author_selectors:
            for element in selector(root):
                names.extend(common.split_people(common.text_of(element)))
            if names:
                break
        if not names and byline:
            names = common.authors_from_text(byline)
        if not names and self.meta_author:
            value = common.meta(root, "author", "article:author")
            if value and not value.isdigit() and not value.startswith("http"):
                names = common.split_people(value)
        return common.join_people(names)

    def paragraphs(self, root: etree._Element) -> list[str]:
        containers = common.select(root, self.body_selectors)
        lines: list[str] = []
        for container in containers:
            if self.paragraph_only:
                for p in container.iter("p"):
                    lines.extend(common.blocks(p, self.noise_selectors, drop_link_lines=True))
            else:
                lines.extend(common.blocks(container, self.noise_selectors, drop_link_lines=True))
        return lines

    def body(self, root: etree._Element) -> str:
        lines: list[str] = []
        told = 0
        for line in self.paragraphs(root):
            if told >= _STORY_STARTED and STOP_LINES.match(common.clean(line)):
                break
            lines.append(line)
            told += len(line)
        return common.join_body(lines, self.drop_lines)
