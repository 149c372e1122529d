"""求是网 qstheory.cn: text articles and 求是视频 pages (a short description under the player)."""

from __future__ import annotations

from lxml import etree

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class QstheoryArticle(ArticlePage):
    site = "qstheory"
    title_selectors = css("div.inner h1", "h1")
    byline_selectors = css("div.inner span.appellation", "span.appellation", "div.pubtime")
    body_selectors = css("div.text", "div.highlight", "div#detail")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div.fs-text", "div.editor"))


class QstheoryVideoPage(ArticlePage):
    """求是视频 pages: the abstract under the player is the body (some have none)."""

    site = "qstheory"
    version = "video"
    title_selectors = css("section.sp_sl h1")
    body_selectors = css("section.sp_sl div.abs", "section.sp_sl div.shipin")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div#videoArea", "div.bdsharebuttonbox"))
    allow_empty_body = True

    @classmethod
    def matches(cls, root: etree._Element) -> bool:
        return bool(css("section.sp_sl h1")[0](root))


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (QstheoryArticle, QstheoryVideoPage)
