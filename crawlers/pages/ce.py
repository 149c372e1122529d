"""中国经济网 ce.cn (TRS pages: ``#articleTitle``, ``div.laiyuan`` byline, ``div.TRS_Editor`` body)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class CeArticle(ArticlePage):
    site = "ce"
    title_selectors = css("h1#articleTitle", "div#articleTitle")
    date_selectors = css("span#articleTime")
    source_selectors = css("span#articleSource")
    author_selectors = css("span#articleAuthor")
    body_selectors = css("div#articleText div.TRS_Editor", "div.TRS_Editor", "div#articleText")


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (CeArticle,)
