"""搜狐 sohu.com (``article#mp-editor``)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class SohuArticle(ArticlePage):
    site = "sohu"
    title_selectors = css("div.text-title h1", "h1")
    date_selectors = css("span#news-time", "span.time")
    # the 搜狐号 account publishing the piece is its source
    source_selectors = css("div.user-info h4 a", "div.article-info span[data-role=original-link] a")
    body_selectors = css("article#mp-editor", "article.article")
    noise_selectors = (*ArticlePage.noise_selectors, *css("a#backsohucom", "p.ql-align-center + p:empty"))
    drop_lines = (*ArticlePage.drop_lines,)


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (SohuArticle,)
