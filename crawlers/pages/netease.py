"""网易 163.com (site key ``163``): ``post_main``/``post_body`` (V2, 2021+ www.163.com/dy), ``post_text#endText``
(2016–2020), the 2015 ``ep-main`` layout and the 亦观察 column (``entext``)."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css

_NOISE = css(
    "div.ep-source",
    "div.post_btmshare",
    "div.gg200x300",
    "p.otitle",
    "div.post_statement",
    "div.post_top",
    "div.js_qrcode_wrap",
    "div.post_next",
    "div.post_function",
    "div.post_tie_top",
    "div.ep-share-tip",
)


class NeteaseArticle(ArticlePage):
    site = "163"
    meta_author = False
    title_selectors = css("div.post_content_main h1", "h1#h1title", "h1.ep-h1")
    byline_selectors = css("div.post_time_source", "div.ep-time-soure")
    author_selectors = css("div.ep-source span.ep-editor", "span.ep-editor")
    source_selectors = css("a#ne_article_source", "div.ep-source span.left")
    body_selectors = css("div#endText")
    noise_selectors = (*ArticlePage.noise_selectors, *_NOISE)


class NeteaseArticleV2(ArticlePage):
    site = "163"
    meta_author = False
    version = "V2"
    title_selectors = css("h1.post_title")
    byline_selectors = css("div.post_info")
    author_selectors = css("div.post_author")
    body_selectors = css("div.post_body")
    noise_selectors = (*ArticlePage.noise_selectors, *_NOISE)


class NeteaseColumnArticle(ArticlePage):
    """money.163.com 亦观察 columns (2015)."""

    site = "163"
    meta_author = False
    version = "column"
    title_selectors = css("h2.con1_ltle")
    date_selectors = css("span.con1_date")
    body_selectors = css("div.entext")
    noise_selectors = (*ArticlePage.noise_selectors, *_NOISE)


class NeteaseDyArticle(ArticlePage):
    """dy.163.com 网易号 pages (2019)."""

    site = "163"
    meta_author = False
    version = "dy"
    title_selectors = css("div.article_title h2", "div.title h2", "h2")
    byline_selectors = css("div.share_box p.time")
    body_selectors = css("div#content")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *_NOISE,
        *css("div.statement"),
    )


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (
    NeteaseArticle,
    NeteaseArticleV2,
    NeteaseColumnArticle,
    NeteaseDyArticle,
)
