"""央视网 cctv.com: news.cctv.com / m.news.cctv.com articles (``cnt_bd``) and tv.cctv.com video pages."""

from __future__ import annotations

from lxml import etree

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class CctvArticle(ArticlePage):
    site = "cctv"
    title_selectors = css("div.cnt_bd h1", "div.title_area h1", "h1")
    byline_selectors = css("div.function span.info", "div.info1", "p.info")
    author_selectors = css("div.relevance span#zb", "span#zb")
    body_selectors = css("div.cnt_bd", "div#text_area", "div.content_area")
    noise_selectors = (*ArticlePage.noise_selectors, *css("div.function", "h1", "div.o-tit", "div.bjzhs"))
    paragraph_only = True


class CctvVideoPage(ArticlePage):
    """tv.cctv.com programme pages: the description under the player is the body."""

    site = "cctv"
    version = "video"
    title_selectors = css("div.cnt_nav h3", "div.tit h3")
    byline_selectors = css("div.cnt_nav p.info", "p.info")
    body_selectors = css("div.video_brief", "div.cnt_nav p.text", "div.cnt_nav p.brief")
    allow_empty_body = True

    @classmethod
    def matches(cls, root: etree._Element) -> bool:
        return bool(css("div.cnt_nav h3")[0](root))


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (CctvArticle, CctvVideoPage)
