"""光明网 gmw.cn: the ``m-title-box``/``u-mainText`` layout (V2, 2018+) and the older ``contentMain`` one."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class GmwArticle(ArticlePage):
    site = "gmw"
    title_selectors = css("h1#articleTitle", "div#articleTitle")
    date_selectors = css("span#pubTime", "span#pubtime_baidu")
    source_selectors = css("span#source", "span#source_baidu")
    author_selectors = css("span#editor_baidu", "div#contentLiability")
    body_selectors = css("div#contentMain", "div#ArticleContent")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div#contentLiability", "div#displaypagenum"))


class GmwArticleV2(ArticlePage):
    site = "gmw"
    version = "V2"
    title_selectors = css("h1.u-title", "div.m-title-box h1")
    date_selectors = css("span.m-con-time")
    source_selectors = css("span.m-con-source")
    author_selectors = css("div.m-editor", "div.liability")
    body_selectors = css("div.u-mainText")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div.m-editor", "div#displaypagenum", "div.liability"),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (GmwArticleV2, GmwArticle)
