"""Fallback article page object for layouts no site module knows: own rules for Chinese news plus trafilatura.

Title, date, source and author come from the shared rules (meta tags such as ``article:published_time`` and
``og:title``, the 来源/作者/责任编辑 lines, date patterns right under the headline). The body is the densest
block of ``<p>`` paragraphs when there is a clear one, else trafilatura's main text.
"""

from __future__ import annotations

import re
from datetime import datetime

import trafilatura
from lxml import etree

from crawlers.items import ArticleItem
from crawlers.pages import common, density
from crawlers.pages.article import BOILERPLATE, ArticlePage
from crawlers.pages.common import ParseError
from nlp.dates import find_date

_MIN_GENERIC_CHARS = 20
_WORD = re.compile(r"\w")
# A labelled publication line: 发布时间：2019-05-18, 发布日期: 2021-01-05, 时间：2019年10月31日 23:00.
_DATE_LABEL = re.compile(
    r"(?:发布|发表|更新|成文|公开|印发)?(?:时间|日期)\s*[:：]\s*"
    r"((?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?)"
)
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[-_/]?(\d{2})[-_/]?(\d{2})(?=[/_.-])")
_TITLE_TAGS = ("h1", "h2", "h3", "h4", "strong", "b", "font", "span", "div", "td", "p")
_TITLE_HINT = re.compile(r"title|headline|biaoti|bt\b|tit\b|_tit|tit_|articletit", re.I)
_TITLE_MIN, _TITLE_MAX = 5, 90
# A <title> this short after its suffixes are cut is a channel name (新闻动态, 工作动态), not a headline.
_CHANNEL_MAX = 8
_SEPARATORS = re.compile(r"--|——|_|\s-\s|\||｜")
_BREADCRUMB = re.compile(r"首页|当前位置|您的位置|位置[:：]|>>|»|›|＞|>")


class GenericArticle(ArticlePage):
    """Any news article; ``site`` is the registry key of the URL's domain (or ``unknown``)."""

    # a reprint's 原标题：… note (above or below the text) names the original headline; it is not the story
    drop_lines = (*BOILERPLATE, re.compile(r"^[(（\[【]?\s*原标题\s*[:：].{2,80}$"))

    def __init__(self, site: str = "unknown") -> None:
        self._site = site

    @property
    def extractor(self) -> str:
        return "generic"

    @classmethod
    def matches(cls, root: etree._Element) -> bool:
        return True

    def parse_tree(self, url: str, root: etree._Element, fetched_at: datetime) -> ArticleItem:
        item = super().parse_tree(url, root, fetched_at)
        # the URL's date is the last resort: CMSs file pages by the day they were made, not always published
        published = item.published_at or url_date(item.url or url, fetched_at)
        return ArticleItem(**{**item.to_dict(), "site": self._site, "published_at": published})

    def title(self, root: etree._Element) -> str:
        return headline(root)

    def published_at(self, root: etree._Element, title: str, byline: str, now: datetime) -> datetime | None:
        labelled = publication_date(root, title, now)
        if labelled is not None:
            return labelled
        found = super().published_at(root, title, byline, now)
        near = common.date_near_title(root, title, now) if found is not None else None
        if found is not None and near is not None and abs((near.date() - found.date()).days) == 1:
            # a meta time in UTC (or New York) lands on the next or previous day in Shanghai; the day the page
            # itself shows under its headline is its publication day
            return near
        return found

    def paragraphs(self, root: etree._Element) -> list[str]:
        containers = density.main_blocks(root)
        if containers:
            lines = [
                line
                for container in containers
                for line in common.blocks(
                    container,
                    self.noise_selectors,
                    drop_link_lines=True,
                    skip_elements=density.chrome_inside(container),
                )
            ]
            lines = _after_headline(lines, headline(root))
            if common.join_body(lines, self.drop_lines):
                return lines
        # no block scored like an article, or the one that did held only boilerplate
        lines = trafilatura_paragraphs(root)
        # a few stray words (or a run of markup debris) are what trafilatura finds on pages without an article
        words = sum(len(_WORD.findall(line)) for line in lines)
        return lines if words >= _MIN_GENERIC_CHARS else []


def _after_headline(lines: list[str], title: str) -> list[str]:
    """Lines of a container that also holds the headline and byline: what follows them (a short head only)."""
    for index, line in enumerate(lines[:6]):
        if title and common.clean(line) == title:
            rest = lines[index + 1 :]
            # the byline / date / source lines right under the headline
            while rest and len(rest[0]) < 60 and (_DATE_LABEL.search(rest[0]) or _BYLINE.search(rest[0])):
                rest = rest[1:]
            return rest
    return lines


_BYLINE = re.compile(r"来源|作者|记者|编辑|浏览|点击|字号|发布|(?:19|20)\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]")


def _candidates(root: etree._Element) -> list[tuple[str, etree._Element]]:
    body = root.find(".//body")
    scope = body if body is not None else root
    found: list[tuple[str, etree._Element]] = []
    for element in scope.iter(*_TITLE_TAGS):
        tag = element.tag
        hinted = bool(_TITLE_HINT.search(f"{element.get('id') or ''} {element.get('class') or ''}"))
        if tag not in ("h1", "h2", "h3") and not hinted:
            continue
        text = common.text_of(element)
        if _BREADCRUMB.search(text):
            continue
        if _TITLE_MIN <= len(text) <= _TITLE_MAX and not element.xpath(
            "ancestor::a|.//a[string-length(.)>4]"
        ):
            found.append((text, element))
    return found


_last_headline: list[tuple[etree._Element, str]] = []


def headline(root: etree._Element) -> str:
    """``find_headline``, remembered for the last page (the title and the body's first lines both need it)."""
    if _last_headline and _last_headline[0][0] is root:
        return _last_headline[0][1]
    found = find_headline(root)
    _last_headline[:] = [(root, found)]
    return found


def find_headline(root: etree._Element) -> str:
    """The article's headline: a heading the ``<title>`` or og:title starts with, else the heading right above
    the main text; ``<title>`` without its channel and site suffix when neither exists. A heading that is the
    site or channel name (the ``<title>`` does not start with it and it sits in the page head) never wins."""
    page_title = common.clean(common.document_title(root))
    og = common.meta(root, "og:title", "twitter:title")
    candidates = _candidates(root)
    # spaces inside a Chinese title are incidental (a linked keyword, a line break in the markup); a page
    # number after a heading ((1) on page one of a split article) is no part of the headline
    candidates = [(_PAGE_NUMBER.sub("", text), element) for text, element in candidates]
    squeezed = {text: _squeeze(text) for text, _ in candidates}
    for reference in (og, page_title):
        if not reference:
            continue
        bare = _squeeze(reference)
        exact = [text for text, _ in candidates if squeezed[text] == bare]
        prefix = [text for text, _ in candidates if bare.startswith(squeezed[text])]
        longer = [text for text, _ in candidates if squeezed[text].startswith(bare)]
        for matching in (exact, prefix, longer):
            if matching:
                return _without_seo_prefix(
                    root, max(matching, key=len) if matching is prefix else min(matching, key=len)
                )
    stripped = common.strip_title_suffix(og or page_title)
    if len(stripped) >= _CHANNEL_MAX:
        # a heading that is the title without its site suffix, or that adds a picture mark to it (…(组图))
        near = [
            text for text, _ in candidates if text.startswith(stripped) and len(text) - len(stripped) <= 6
        ]
        if near:
            return _without_seo_prefix(root, min(near, key=len))
        shown = _shown_title_prefix(root, stripped)
        if shown:
            return _without_seo_prefix(root, shown)
    first_segment = _SEPARATORS.split(stripped)[0].strip()
    if len(first_segment) >= _CHANNEL_MAX:
        return _without_seo_prefix(root, stripped)
    above = _line_above_text(root)
    if above:
        return above
    container = density.main_container(root)
    if container is not None:
        before = [text for text, element in candidates if _precedes(element, container)]
        if before:
            return before[-1]
    stripped = common.strip_title_suffix(og or page_title)
    return stripped


def _shown_title_prefix(root: etree._Element, title: str) -> str:
    """The longest line shown on the page that the title starts with, right before a separator: the headline
    of a ``<title>`` whose trailing segments name no site word the suffix rules know (…-上海交通大学医学院)."""
    if not _TRAILING_SEGMENT.search(title):
        return ""
    body = root.find(".//body")
    best = ""
    for line in common.blocks(body if body is not None else root, drop_link_lines=True):
        if (
            len(best) < len(line) <= _TITLE_MAX
            and len(line) >= _TITLE_MIN
            and title.startswith(line)
            and _TRAILING_SEGMENT.match(title[len(line) :])
        ):
            best = line
    return best


def _without_seo_prefix(root: etree._Element, title: str) -> str:
    """A reposted headline without the reposter's bracketed tag (``[品牌名]标题``) when the page's 原标题 line
    gives the headline without it; a bracket the original headline also has (【健康报】…) stays."""
    found = _BRACKET_PREFIX.match(title)
    if not found:
        return title
    rest = found.group(1).strip()
    original = _ORIGINAL_TITLE.search(common.page_text(root))
    return rest if original and common.clean(original.group(1)).startswith(rest) else title


def _squeeze(text: str) -> str:
    return _SPACES.sub("", text)


_SPACES = re.compile(r"\s+")
_PAGE_NUMBER = re.compile(r"\s*[(（]\d{1,2}[)）]$")
_TRAILING_SEGMENT = re.compile(r"\s*(?:--|——|_|-|\||｜)\s*\S")
_BRACKET_PREFIX = re.compile(r"^\s*(?:\[[^\]]{1,20}\]|【[^】]{1,20}】)\s*(.{5,})$")
_ORIGINAL_TITLE = re.compile(r"原标题\s*[:：]\s*([^\n]{5,90})")


def _line_above_text(root: etree._Element) -> str:
    """The headline-like line just above the main text (pages whose <title> is only the channel's name)."""
    container = density.main_container(root)
    if container is None:
        return ""
    first = next((line for line in common.blocks(container, drop_link_lines=True) if len(line) >= 20), "")
    body = root.find(".//body")
    lines = common.blocks(body if body is not None else root, drop_link_lines=True)
    at = next((i for i, line in enumerate(lines) if first and first[:20] in line), -1)
    for line in reversed(lines[max(0, at - 6) : at] if at > 0 else []):
        if (
            _TITLE_MIN + 3 <= len(line) <= _TITLE_MAX
            and not _BYLINE.search(line)
            and not _BREADCRUMB.search(line)
        ):
            return line
    return ""


def _precedes(element: etree._Element, container: etree._Element) -> bool:
    """True when the element comes before the container's end in document order and near its start."""
    if element in container.iterancestors():
        return False
    for node in container.iter():
        if node is element:
            return True
    position = {node: index for index, node in enumerate(element.getroottree().iter())}
    start = position.get(container, 0)
    return position.get(element, 0) <= start and start - position.get(element, 0) < 400


def publication_date(root: etree._Element, title: str, now: datetime) -> datetime | None:
    """The page's own publication line (发布时间：…) near the headline or the text, else the URL's date."""
    text = common.page_text(root)
    start = text.find(title) if title else -1
    region = text[start:] if start >= 0 else text
    for found in _DATE_LABEL.finditer(region):
        value = find_date(found.group(1), now)
        if value is not None:
            return value
    return None


def url_date(url: str, now: datetime) -> datetime | None:
    """A date in the article URL (/2019-09/26/, /20190926/, /201909/26/)."""
    found = _URL_DATE.search(url)
    return find_date(f"{found.group(1)}-{found.group(2)}-{found.group(3)}", now) if found else None


def trafilatura_paragraphs(root: etree._Element) -> list[str]:
    """trafilatura's main text split into lines (its own fallbacks included)."""
    text = trafilatura.extract(
        etree.tostring(root, encoding="unicode"),
        include_comments=False,
        include_tables=False,
        favor_recall=True,
        deduplicate=False,
    )
    return [line for line in (text or "").split("\n") if line.strip()]


def parse_generic(url: str, html_text: str, fetched_at: datetime, site: str = "unknown") -> ArticleItem:
    """Generic extraction of one page (raises ParseError when no body at all is found)."""
    try:
        return GenericArticle(site).parse(url, html_text, fetched_at)
    except ParseError:
        raise
    except (ValueError, TypeError) as exc:  # lxml/trafilatura on hostile markup
        raise ParseError(f"generic: {exc}") from exc
