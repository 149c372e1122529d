"""搜狐 sohu.com (``article#mp-editor``)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class SohuArticle(ArticlePage):
    site = "sohu"
    title_selectors = css("div.text-title h1", "h1")
    date_selectors = css("span#news-time", "span.time")
    author_selectors = css("div.user-info h4 a", "span.tag a")
    body_selectors = css("article#mp-editor", "article.article")
    noise_selectors = (*ArticlePage.noise_selectors, *css("a#backsohucom", "p.ql-align-center + p:empty"))
    drop_lines = (*ArticlePage.drop_lines,)


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (SohuArticle,)
