"""国际在线 cri.cn (``div#abody`` article body)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class CriArticle(ArticlePage):
    site = "cri"
    title_selectors = css("h1#atitle", "div.atitle", "h1")
    byline_selectors = css("div.asource", "span#asource", "div.info")
    author_selectors = css("div.aeditor", "span#aeditor")
    body_selectors = css("div#abody", "div.abody")


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (CriArticle,)
