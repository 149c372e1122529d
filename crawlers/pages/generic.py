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
from crawlers.pages import common
from crawlers.pages.article import ArticlePage
from crawlers.pages.common import ParseError

# A paragraph block shorter than this is more likely a teaser list than an article.
_MIN_DENSE_CHARS = 80
_MIN_GENERIC_CHARS = 20
_WORD = re.compile(r"\w")
# Footers and side bars also hold <p> runs (copyright lines, contact blocks).
_CHROME = re.compile(r"foot|copyright|banquan|nav|sidebar|comment|related|recommend", re.I)


def _link_chars(element: etree._Element) -> int:
    return sum(len(common.text_of(a)) for a in element.iter("a"))


def densest_container(root: etree._Element) -> etree._Element | None:
    """The element whose direct ``<p>`` children hold the most non-link text (ties: the first)."""
    best: tuple[int, etree._Element] | None = None
    for element in root.iter("div", "article", "section", "td", "main", "span"):
        paragraphs = [child for child in element if child.tag == "p"]
        if not paragraphs or _CHROME.search(f"{element.get('class') or ''} {element.get('id') or ''}"):
            continue
        score = sum(len(common.text_of(p)) - _link_chars(p) for p in paragraphs)
        if best is None or score > best[0]:
            best = (score, element)
    if best is None or best[0] < _MIN_DENSE_CHARS:
        return None
    return best[1]


class GenericArticle(ArticlePage):
    """Any news article; ``site`` is the registry key of the URL's domain (or ``unknown``)."""

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
        return ArticleItem(**{**item.to_dict(), "site": self._site, "published_at": item.published_at})

    def paragraphs(self, root: etree._Element) -> list[str]:
        container = densest_container(root)
        if container is not None:
            lines: list[str] = []
            for child in container:
                if child.tag in ("p", "h2", "h3", "h4", "blockquote", "figure", "center"):
                    lines.extend(common.blocks(child, self.noise_selectors))
            return lines
        lines = trafilatura_paragraphs(root)
        # a few stray words (or a run of markup debris) are what trafilatura finds on pages without an article
        words = sum(len(_WORD.findall(line)) for line in lines)
        return lines if words >= _MIN_GENERIC_CHARS else []


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
