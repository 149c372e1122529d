"""Shared helpers of the page objects: HTML parsing, text blocks, body joining, bylines, dates, canonical URL."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector, LxmlTranslator

from nlp.dates import find_date, parse_date


class ParseError(ValueError):
    """A page or API response that cannot be parsed; the message says why."""


_WS = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_BLOCK_TAGS = frozenset(
    "p div section article h1 h2 h3 h4 h5 h6 li ul ol table tr td th blockquote center figure figcaption "
    "header footer dd dt dl pre form".split()
)
_DROP_TAGS = ("script", "style", "noscript", "iframe", "template", "select", "textarea", "button", "svg")
_SITE_WORDS = (
    "网",
    "新闻",
    "频道",
    "新浪",
    "网易",
    "腾讯",
    "搜狐",
    "cctv",
    "chinadaily",
    "中国日报",
    "客户端",
    "视频",
    "门户",
    "官网",
    # a bare domain as the site's name (… -6parknews.com)
    ".com",
    ".cn",
    ".net",
    ".org",
)
_TITLE_SEPARATORS = re.compile(
    r"\s*(?:--|——|_| - | — |-(?=[^\s-]{2,12}$)|-(?=[\w.]{2,20}\.(?:com|cn|net|org)$)|\||｜)\s*"
)
_SOURCE_LINE = re.compile(r"(?:来源|来自|稿源|出处)\s*[:：]\s*([^\s|｜/]{2,30})")
_AUTHOR_LINE = re.compile(
    r"(?:作者|记者|文|撰稿|本报记者|通讯员)\s*[:：]\s*([^|｜\n]{2,40}?)(?=\s*(?:来源|责任编辑|编辑|发布|时间|$|\||｜|\d{4}))"
)
_EDITOR_LINE = re.compile(r"(?:责任编辑|责编|编辑)\s*[:：]\s*([^\s|｜）)\]】]{2,20})")
_PEOPLE_SPLIT = re.compile(r"[\s、,，;；/|]+")
_PERSON_PREFIX = re.compile(r"^(?:作者|记者|本报记者|通讯员|责任编辑|编辑|责编|文|图|摄影?|撰稿)\s*[:：]?\s*")
# "经济日报·中国经济网记者 林火灿", "本报记者 王乐文": everything up to 记者 names the paper, not a person.
_REPORTER_OF = re.compile(r"^[^\s、,，]{0,20}?记者\s*")
# Placeholder accounts some CMSs print as the author.
NOT_NAMES = frozenset(("系统管理员", "管理员", "admin", "administrator", "网易", "佚名", "未知"))
_STAFF_ID = re.compile(r"^[A-Za-z]{1,4}\d+$")  # NF051: a CMS account, not a name
_DATE_LIKE = re.compile(r"^\d{2,4}[-/年.]\d")


def clean(text: str | None) -> str:
    """Collapse all whitespace (including U+3000 and nbsp) to single spaces and strip."""
    return _WS.sub(" ", text or "").strip()


def parse_html(html_text: str) -> lxml_html.HtmlElement:
    """Parse a page into an lxml tree; raises ParseError for empty or non-HTML input."""
    if not isinstance(html_text, str):
        raise ParseError(f"expected decoded HTML text, got {type(html_text).__name__}")
    if not html_text.strip():
        raise ParseError("empty document")
    head = html_text[:2048]
    if len(_CONTROL_CHARS.findall(head)) > 0.01 * len(head):
        # a binary response (image, archive, PDF) decoded as text: no page in it, whatever lxml would make of it
        raise ParseError("binary content, not HTML")
    try:
        root = lxml_html.document_fromstring(html_text.encode("utf-8", errors="replace"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not parseable as HTML: {exc}") from exc
    if root is None or (root.find(".//body") is None and len(root) == 0):
        raise ParseError("document has no elements")
    return root


_PARSER = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
# The characters below U+0020 other than tab, newline, form feed and carriage return: one regex scan of the head
# instead of a per-character generator (about 5 % of a page's parse).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f]")


def select(root: etree._Element, selectors: Sequence[CSSSelector]) -> list[etree._Element]:
    """Elements matched by the first selector that matches anything.

    Each selector's matches are remembered for the last root: a layout's body selectors choose the layout and
    then read its body, and each is a search of the whole tree. The page objects never modify the tree.
    """
    last = _last_selected[0] if _last_selected else None
    if last is None or last[0] is not root:
        last = (root, {})
        _last_selected[:] = [last]
    remembered = last[1]
    for selector in selectors:
        found = remembered.get(selector)
        if found is None:
            found = remembered[selector] = list(selector(root))
        if found:
            return list(found)
    return []


_last_selected: list[tuple[etree._Element, dict[CSSSelector, list[etree._Element]]]] = []


class Selector(CSSSelector):
    """A CSS selector compiled to CSSSelector's XPath without its ``@class and`` tests.

    cssselect writes ``.x`` as ``@class and contains(@class, 'x') and contains(concat(' ',
    normalize-space(@class), ' '), ' x ')``; the first test is implied by the second (a missing attribute is
    the empty string, which contains no class name), and dropping it spares libxml2 one attribute lookup per
    element of the tag, about a tenth of a page's selection. ``plain_path`` keeps the translation as it was:
    the tests compare both on every fixture page.
    """

    def __init__(self, expression: str) -> None:
        plain = LxmlTranslator().css_to_xpath(expression)
        etree.XPath.__init__(self, _REDUNDANT_CLASS_TEST.sub(r"\1", plain))
        self.css = expression
        self.plain_path = plain


# Only a non-empty quoted class name: contains(@class, '') would hold without the attribute.
_REDUNDANT_CLASS_TEST = re.compile(r"@class and (contains\(@class, '[^']+'\))")


def css(*expressions: str) -> tuple[CSSSelector, ...]:
    """Compile CSS selectors once, at class definition."""
    return tuple(Selector(expr) for expr in expressions)


def select_any(element: etree._Element, selectors: Sequence[CSSSelector]) -> list[etree._Element]:
    """Elements matched from ``element`` by any of the selectors, in document order, each once.

    One XPath union instead of one call per selector: blocks() asks this for every paragraph of some sites, a
    subtree of a few elements, where lxml's fixed cost per XPath call (≈ 4 µs) outweighs the search itself.
    """
    if not selectors:
        return []
    return list(_union(tuple(selectors))(element))


@functools.lru_cache(maxsize=256)
def _union(selectors: tuple[CSSSelector, ...]) -> etree.XPath:
    return etree.XPath(" | ".join(selector.path for selector in selectors))


def text_of(element: etree._Element) -> str:
    """Visible text of one element (scripts and styles skipped), whitespace collapsed."""
    return clean(" ".join(_visible_strings(element)))


_last_page_text: list[tuple[etree._Element, str]] = []


def page_text(root: etree._Element) -> str:
    """``text_of`` the page's <body>, remembered for the last page (bylines, dates and sources all search it)."""
    if _last_page_text and _last_page_text[0][0] is root:
        return _last_page_text[0][1]
    body = root.find(".//body")
    text = text_of(body if body is not None else root)
    _last_page_text[:] = [(root, text)]
    return text


def _visible_strings(element: etree._Element) -> Iterable[str]:
    """Text and tails in document order, without the text inside dropped elements (one pass over the tree)."""
    if isinstance(element.tag, str) and element.tag in _DROP_TAGS:
        return
    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        if event == "start":
            if isinstance(node.tag, str) and node.tag in _DROP_TAGS:
                walker.skip_subtree()
            elif node.text:
                yield node.text
        elif node is not element and node.tail:
            yield node.tail


def blocks(
    element: etree._Element,
    noise: Sequence[CSSSelector] = (),
    drop_link_lines: bool = False,
    skip_elements: Iterable[etree._Element] = (),
) -> list[str]:
    """Text blocks (paragraphs) of a container: block elements and <br> break lines; noise removed.

    With ``drop_link_lines`` a line made (almost) only of link text is dropped: inside an article body such
    lines are related-news lists and "click here" teasers, not the story.
    """
    skip: set[etree._Element] = set(skip_elements)
    skip.update(select_any(element, noise))
    lines: list[str] = []
    current: list[tuple[str, bool]] = []

    def flush() -> None:
        if not current:
            return
        text = clean("".join(piece for piece, _ in current))
        # the link text is only measured when link lines are dropped
        if text and not (
            drop_link_lines
            and len(clean("".join(piece for piece, in_link in current if in_link)))
            >= _LINK_LINE_SHARE * len(text)
        ):
            lines.append(text)
        current.clear()

    def walk(node: etree._Element, in_link: bool) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if node in skip or tag in _DROP_TAGS or not tag:
            return
        in_link = in_link or (tag == "a" and bool(node.get("href")))
        is_block = tag in _BLOCK_TAGS
        if is_block or tag == "br":
            flush()
        if node.text:
            current.append((node.text, in_link))
        for child in node:
            walk(child, in_link)
            if child.tail:
                current.append((child.tail, in_link))
        if is_block:
            flush()

    walk(element, False)
    flush()
    return lines


_LINK_LINE_SHARE = 0.9


def join_body(paragraphs: Iterable[str], drop: Sequence[re.Pattern[str]] = ()) -> str:
    """Paragraphs stripped, empty and boilerplate ones dropped, duplicates in a row removed, joined by \\n."""
    out: list[str] = []
    for raw in paragraphs:
        text = clean(raw)
        if not text or any(pattern.search(text) for pattern in drop):
            continue
        if out and out[-1] == text:
            continue
        out.append(text)
    return "\n".join(out)


def meta(root: etree._Element, *names: str) -> str:
    """Content of the first non-empty ``<meta name|property|itemprop=...>`` among names (case-insensitive)."""
    wanted = [name.lower() for name in names]
    found: dict[str, str] = {}
    for element in root.iter("meta"):
        key = (element.get("property") or element.get("name") or element.get("itemprop") or "").lower()
        if key in wanted and key not in found:
            content = clean(element.get("content"))
            if content:
                found[key] = content
    for name in wanted:
        if name in found:
            return found[name]
    return ""


def document_title(root: etree._Element) -> str:
    """The ``<title>`` text."""
    element = root.find(".//title")
    return clean(element.text_content()) if element is not None else ""


def strip_title_suffix(title: str) -> str:
    """Drop trailing ``_频道_网站`` / ``--人民网`` / ``-新华网`` segments that name a channel or the site."""
    title = clean(title)
    removed_site = False
    while True:
        parts = _TITLE_SEPARATORS.split(title)
        if len(parts) < 2:
            return title
        last = parts[-1]
        names_site = len(last) <= 16 and any(word in last.lower() for word in _SITE_WORDS)
        # once the site name is gone, short segments before it are channel names (_财经_, --时政--)
        is_channel = removed_site and len(last) <= 6
        if not (names_site or is_channel):
            return title
        removed_site = True
        title = re.sub(r"\s*(?:--|——|_|-|\||｜)\s*$", "", title[: title.rfind(last)]).strip()


def best_title(root: etree._Element, candidates: Iterable[str] = ()) -> str:
    """Headline: the first candidate, else og:title / an <h1> that <title> starts with / <title> minus suffix."""
    for candidate in candidates:
        if clean(candidate):
            return clean(candidate)
    page_title = document_title(root)
    for element in root.iter("h1", "h2"):
        text = text_of(element)
        if len(text) >= 4 and page_title.startswith(text):
            return text
    og = meta(root, "og:title", "twitter:title")
    stripped = strip_title_suffix(page_title)
    if og and (not stripped or stripped.startswith(og) or og.startswith(stripped)):
        return strip_title_suffix(og) if len(og) > len(stripped) else og
    return stripped or og


def split_people(text: str) -> list[str]:
    """Names from a byline: prefixes (作者：, 记者, 责任编辑：) and brackets removed, split on 、,;/ and spaces."""
    text = clean(text)
    wrapped = re.fullmatch(r"[（(\[【](.*)[）)\]】]", text)
    # "(责编：牛镛、岳弘彬)": the whole byline in brackets; elsewhere brackets hold notes ("（实习）")
    text = wrapped.group(1) if wrapped else re.sub(r"[（(\[【][^）)\]】]*[）)\]】]", " ", text)
    text = _REPORTER_OF.sub("", _PERSON_PREFIX.sub("", text))
    parts = [part for part in _PEOPLE_SPLIT.split(text) if part]
    # "方 敏": two-character names are often typeset with a space in the middle
    merged: list[str] = []
    for part in parts:
        if len(part) == 1 and merged and len(merged[-1]) == 1:
            merged[-1] += part
        else:
            merged.append(part)
    names: list[str] = []
    for part in merged:
        # 163 appends the editor's staff id: 杜硕_NB12556
        name = re.sub(r"_[A-Za-z]{1,4}\d+$", "", _PERSON_PREFIX.sub("", part)).strip(" :：")
        if (
            name
            and not name.isdigit()
            and not _STAFF_ID.match(name)
            and name not in names
            and len(name) <= 20
            and name.lower() not in NOT_NAMES
        ):
            names.append(name)
    return names


def join_people(names: Iterable[str]) -> str:
    """Names joined by ``、`` (the ArticleItem author format), duplicates dropped."""
    out: list[str] = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return "、".join(out)


def source_from_text(text: str) -> str:
    """The media named after 来源：/稿源： in a byline, else ''."""
    found = _SOURCE_LINE.search(clean(text))
    return found.group(1).strip() if found else ""


def clean_source(text: str) -> str:
    """A source value without its 来源： label and trailing separators."""
    text = re.sub(r"^(?:来源|稿源|来自)\s*[:：]\s*", "", clean(text))
    value = re.split(r"\s+|[|｜]", text, maxsplit=1)[0] if text else ""
    return "" if _DATE_LIKE.match(value) else value


def authors_from_text(text: str) -> list[str]:
    """Authors named after 作者：/记者： and editors after 责任编辑： in a byline."""
    names: list[str] = []
    text = clean(text)
    for pattern in (_AUTHOR_LINE, _EDITOR_LINE):
        for found in pattern.finditer(text):
            names.extend(split_people(found.group(1)))
    return names


def date_from(root: etree._Element, selectors: Sequence[CSSSelector], now: datetime) -> datetime | None:
    """First parseable date in the elements of the first matching selector."""
    for element in select(root, selectors):
        found = parse_date(text_of(element), now) or parse_date(element.get("content") or "", now)
        if found is not None:
            return found
    return None


_DATE_META = (
    "article:published_time",
    "og:release_date",
    "publishdate",
    "pubdate",
    "publish_date",
    "apub:time",
    "datepublished",
    "og:article:published_time",
    "weibo: article:create_at",
    "article:modified_time",
)


def date_from_meta(root: etree._Element, now: datetime) -> datetime | None:
    """Publication date from the usual meta tags."""
    for name in _DATE_META:
        value = meta(root, name)
        if value:
            found = parse_date(value, now)
            if found is not None:
                return found
    for element in root.iter("time"):
        found = parse_date(element.get("datetime") or text_of(element), now)
        if found is not None:
            return found
    return None


_DATE_NEAR = re.compile(
    r"(?:19|20)\d{2}\s*(?:年|[-/.])\s*\d{1,2}\s*(?:月|[-/.])\s*\d{1,2}\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
)


def date_near_title(root: etree._Element, title: str, now: datetime, window: int = 600) -> datetime | None:
    """The first full date in the page text right after the headline (bylines sit under titles)."""
    text = page_text(root)
    start = text.find(title) if title else -1
    region = text[start + len(title) : start + len(title) + window] if start >= 0 else text[:window]
    for found in _DATE_NEAR.finditer(region):
        value = find_date(found.group(0), now)
        if value is not None:
            return value
    return None


def canonical_url(root: etree._Element, url: str) -> str:
    """``link[rel=canonical]`` or ``og:url`` made absolute, when it is http(s) on the same site; else url."""
    candidates = [
        el.get("href") or "" for el in root.iter("link") if (el.get("rel") or "").lower() == "canonical"
    ]
    candidates.append(meta(root, "og:url"))
    base_host = urlsplit(url).hostname or ""
    for candidate in candidates:
        candidate = clean(candidate)
        if not candidate:
            continue
        absolute = urljoin(url, candidate) if url else candidate
        parts = urlsplit(absolute)
        if parts.path in ("", "/") and urlsplit(url).path not in ("", "/"):
            continue  # a template's canonical pointing at the front page (china.com.cn)
        if parts.scheme in ("http", "https") and parts.hostname and _same_site(parts.hostname, base_host):
            return absolute
    return url


def _same_site(host: str, other: str) -> bool:
    if not other:
        return True
    return ".".join(host.split(".")[-2:]) == ".".join(other.split(".")[-2:])


def absolute(base: str, href: str | None) -> str:
    """An absolute http(s) URL for a link, or '' (javascript:, mailto:, #fragments)."""
    href = clean(href)
    if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
        return ""
    joined = urljoin(base, href) if base else href
    if joined.startswith("//"):
        joined = "http:" + joined
    return joined if joined.startswith(("http://", "https://")) else ""
