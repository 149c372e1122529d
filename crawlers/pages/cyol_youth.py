"""中青在线 cyol.com and its sister site 中国青年网 youth.cn (TRS pages)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class YouthArticle(ArticlePage):
    site = "cyol_youth"
    title_selectors = css("div.page_title h1", "div.l_tit", "div.page_bt p.pbt", "h1")
    date_selectors = css("span#pubtime_baidu", "span#page_right", "p.pwz")
    source_selectors = css("span#source_baidu")
    byline_selectors = css("p.pwz", "div.page_title", "div.l_time")
    author_selectors = css("span#editor_baidu")
    body_selectors = css("div.TRS_Editor", "div.article_content", "div#container")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div.youth-copyright01"),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (YouthArticle,)
