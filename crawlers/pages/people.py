"""人民网 people.com.cn: the 2020+ ``rm_txt`` layout (V2) and the older ``text_title``/``rwb_zw`` layout."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class PeopleArticle(ArticlePage):
    site = "people"
    title_selectors = css("div.text_title h1", "div.title h1", "h1#p_title")
    byline_selectors = css("div.text_title div.box01 div.fl", "div.box01 div.fl", "p.sou")
    author_selectors = css("div.text_title p.author", "p.author", "div.edit")
    body_selectors = css("div#rwb_zw", "div.box_con", "div#p_content")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div.zdfy", "center table", "div.box_pic"))


class PeopleArticleV2(ArticlePage):
    site = "people"
    version = "V2"
    title_selectors = css("div.rm_txt div.col-1 h1", "div.rm_txt h1")
    byline_selectors = css("div.rm_txt div.channel div.col-1-1", "div.channel div.col-1-1")
    author_selectors = css("div.rm_txt div.author", "div.rm_txt_con div.edit", "div.edit")
    body_selectors = css("div.rm_txt_con")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div.edit", "div.paper_num", "span#paper_num", "div.zdfy"),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (PeopleArticleV2, PeopleArticle)
