"""新华网 xinhuanet.com / news.cn: the 2016–2020 ``h-news``/``p-detail`` layout and the 2021+ ``detail`` layout
(V2); 2012 provincial pages fall back to the generic rules."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class XinhuaArticle(ArticlePage):
    site = "xinhua"
    title_selectors = css("div.h-title", "div.h-news h1", "h1#title")
    date_selectors = css("div.h-info span.h-time", "span.h-time")
    source_selectors = css("div.h-info span.sub-src", "div.h-info span:not(.h-time)")
    author_selectors = css("div.p-tags span.p-jc")
    body_selectors = css("div#p-detail")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div.p-tags", "div#p-detail-share", "div.zan-wap", "div.tadd"),
    )


class XinhuaArticleV2(ArticlePage):
    site = "xinhua"
    version = "V2"
    title_selectors = css("div.head-line h1 span.title", "div.head-line h1", "h1 span.title", "h1#title")
    date_selectors = css("div.header-time", "div.info span.time", "span.time")
    byline_selectors = css("div.header div.source", "div.info div.source")
    author_selectors = css("div#articleEdit span.editor")
    body_selectors = css("div#detail", "span#detailContent")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div#articleEdit", "div.lib-foot", "div.page-Article"),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (XinhuaArticleV2, XinhuaArticle)
