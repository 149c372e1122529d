"""央广网 cnr.cn (TRS pages: ``div.article-content`` / ``div.TRS_Editor``)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class CnrArticle(ArticlePage):
    site = "cnr"
    title_selectors = css("div.article-header h1", "h1")
    byline_selectors = css("div.article-header div.source", "div.source")
    author_selectors = css("div.editor")
    body_selectors = css("div.article-content", "div.TRS_Editor", "div.article-body")


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (CnrArticle,)
