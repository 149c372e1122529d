"""新浪 sina.com.cn: news/finance (``div.main-title`` + ``div#article``/``#artibody``) and the older
``#artibodyTitle`` layout of tech/ent channels."""

from __future__ import annotations

from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class SinaArticle(ArticlePage):
    site = "sina"
    meta_author = False
    title_selectors = css("h1.main-title", "h1#artibodyTitle", "h1#main_title")
    date_selectors = css("div.date-source span.date", "span#pub_date", "span.time-source")
    source_selectors = css("div.date-source a.source", "div.date-source span.source", "span#media_name")
    author_selectors = css("p.show_author", "p.article-editor")
    body_selectors = css("div#artibody", "div#article")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css(
            "p.show_author", "p.article-editor", "div.img_wrapper", "div.appendQr_wrap", "div.show_statement"
        ),
    )
    paragraph_only = True


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (SinaArticle,)
