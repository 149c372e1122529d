"""中国网 china.com.cn."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class ChinaComCnArticle(ArticlePage):
    site = "chinacomcn"
    title_selectors = css("h1.article_title", "h1.artTitle", "h1#artTitle")
    byline_selectors = css("div.inform", "div.pub_date", "span#pubtime_baidu")
    author_selectors = css("div.article div.editor", "div.editor")
    body_selectors = css("div.article", "div#artbody", "div#fontzoom")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div.editor", "div.pcaddDom", "div.article_title_tips"),
    )
    paragraph_only = True


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (ChinaComCnArticle,)
