"""腾讯 qq.com: new.qq.com/news.qq.com ``rain/a`` pages (V2, ``content-article``) and the older ``/a/`` pages
(``Cnt-Main-Article-QQ``)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class QqArticle(ArticlePage):
    site = "qq"
    title_selectors = css("div.hd h1", "div.qq_article h1")
    date_selectors = css("span.a_time", "span.pubTime", "span.article-time")
    source_selectors = css("span.a_source", "span.where", "span.color-a-1")
    author_selectors = css("div#QQeditor", "div.QQeditor", "div.qq_editor")
    body_selectors = css("div#Cnt-Main-Article-QQ")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div.rv-root-v2", "div.rv-js-root", "script"))
    paragraph_only = True


class QqArticleV2(ArticlePage):
    site = "qq"
    version = "V2"
    title_selectors = css("div.content-article ~ h1", "div.LEFT h1", "div.article-title h1", "h1:not(.title)")
    date_selectors = css("p.media-meta span", "span.article-time")
    source_selectors = css("div.media-info p.media-name", "a.author")
    body_selectors = css("div#ArticleContent", "div.content-article")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css(
            "div.article-status",
            "div.statement",
            "div#ArticleAuthor",
            "div#Status",
            "div#ArticleBottom",
            "h1",
        ),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (QqArticleV2, QqArticle)
