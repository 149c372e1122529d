"""Page objects of the 15 websites: pure functions from ``(url, html_text, fetched_at)`` to typed items.

No Scrapy here. ``article_parser_for(url)`` maps a URL's domain (via the site registry) to the site's page
objects, trying each layout version, with the generic extractor as the fallback; ``homepage_parser_for(site)``
and ``ranking_parser_for(url)`` do the same for homepages and ranking lists.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from types import ModuleType

from lxml import etree

from crawlers.items import ArticleItem, HomepageItem, RankingItem
from crawlers.pages import (
    cctv,
    ce,
    chinacomcn,
    chinadaily,
    cnr,
    common,
    cri,
    cyol_youth,
    gmw,
    netease,
    people,
    qq,
    qstheory,
    sina,
    sohu,
    xinhua,
)
from crawlers.pages.article import ArticlePage
from crawlers.pages.common import ParseError
from crawlers.pages.generic import GenericArticle
from crawlers.pages.homepage import HomepagePage, homepage_page_for
from crawlers.pages.plausibility import fallback_extractor, implausible
from crawlers.pages.ranking import RankingParser, ranking_parser_for

log = logging.getLogger(__name__)

__all__ = [
    "SITE_MODULES",
    "ArticleParser",
    "HomepagePage",
    "ParseError",
    "RankingParser",
    "article_parser_for",
    "homepage_parser_for",
    "parse_article",
    "parse_homepage",
    "parse_ranking",
    "ranking_parser_for",
    "site_key_for_url",
]

# Registry site key -> module holding that site's page objects (ARTICLE_PAGES, newest layout first).
SITE_MODULES: dict[str, ModuleType] = {
    "people": people,
    "xinhua": xinhua,
    "chinacomcn": chinacomcn,
    "cctv": cctv,
    "qstheory": qstheory,
    "chinadaily": chinadaily,
    "cnr": cnr,
    "cri": cri,
    "cyol_youth": cyol_youth,
    "gmw": gmw,
    "ce": ce,
    "sina": sina,
    "163": netease,
    "sohu": sohu,
    "qq": qq,
}


def site_key_for_url(url: str) -> str:
    """Registry key of the site owning the URL's host, or ``unknown``."""
    from crawlers.registry import site_for_url

    entry = site_for_url(url) if url else None
    return entry.key if entry is not None else "unknown"


class ArticleParser:
    """Parses the articles of one site: the first layout version whose body container is on the page wins;
    when none matches (or the matching one finds no body) the generic extractor reads the page."""

    def __init__(self, site: str, pages: tuple[type[ArticlePage], ...]) -> None:
        self.site = site
        self.pages = pages

    def __call__(self, url: str, html_text: str, fetched_at: datetime) -> ArticleItem:
        return self.parse(url, html_text, fetched_at)

    def parse(self, url: str, html_text: str, fetched_at: datetime) -> ArticleItem:
        """Read one article page; raises ParseError when neither a site layout nor the generic rules find one."""
        root = common.parse_html(html_text)
        return self.parse_tree(url, root, fetched_at)

    def parse_tree(self, url: str, root: etree._Element, fetched_at: datetime) -> ArticleItem:
        """Like ``parse`` on an already parsed tree."""
        failures: list[str] = []
        for page in self.pages:
            if not page.matches(root):
                continue
            try:
                item = page().parse_tree(url, root, fetched_at)
            except ParseError as exc:
                failures.append(str(exc))
                continue
            reason = implausible(item.body, root)
            if not reason:
                return item
            generic = self._generic(url, root, fetched_at)
            if generic is None or len(generic.body) <= len(item.body):
                return item
            log.warning("%s: %s at %s; the generic extractor read the page", item.extractor, reason, url)
            # the site's own metadata (title, date, source) stays when it found any: its selectors still match
            return replace(
                generic,
                title=item.title or generic.title,
                published_at=item.published_at or generic.published_at,
                source=item.source or generic.source,
                author=item.author or generic.author,
                extractor=fallback_extractor(item.extractor),
            )
        try:
            return GenericArticle(self.site).parse_tree(url, root, fetched_at)
        except ParseError as exc:
            failures.append(str(exc))
            raise ParseError("; ".join(failures)) from exc

    def _generic(self, url: str, root: etree._Element, fetched_at: datetime) -> ArticleItem | None:
        try:
            return GenericArticle(self.site).parse_tree(url, root, fetched_at)
        except ParseError:
            return None


def article_parser_for(url: str) -> ArticleParser:
    """The article parser for a URL's site (generic-only for domains outside the registry)."""
    site = site_key_for_url(url)
    module = SITE_MODULES.get(site)
    pages: tuple[type[ArticlePage], ...] = module.ARTICLE_PAGES if module is not None else ()
    return ArticleParser(site, pages)


def parse_article(url: str, html_text: str, fetched_at: datetime) -> ArticleItem:
    """Shortcut: ``article_parser_for(url).parse(url, html_text, fetched_at)``."""
    return article_parser_for(url).parse(url, html_text, fetched_at)


def homepage_parser_for(site_key: str) -> HomepagePage:
    """The homepage page object of a registry site (the generic homepage rules for unknown keys)."""
    return homepage_page_for(site_key)


def parse_homepage(site_key: str, url: str, html_text: str, fetched_at: datetime) -> HomepageItem:
    """Shortcut: ``homepage_parser_for(site_key).parse(url, html_text, fetched_at)``."""
    return homepage_page_for(site_key).parse(url, html_text, fetched_at)


def parse_ranking(url: str, text: str, fetched_at: datetime) -> RankingItem:
    """Shortcut: ``ranking_parser_for(url).parse(url, text, fetched_at)``."""
    return ranking_parser_for(url).parse(url, text, fetched_at)
