"""中国日报网 chinadaily.com.cn: Chinese (cn.chinadaily, ``div#Content``) and English pages."""

from __future__ import annotations

from lxml import etree

from crawlers.pages import common
from crawlers.pages.article import ArticlePage
from crawlers.pages.common import css


class ChinaDailyArticle(ArticlePage):
    site = "chinadaily"
    title_selectors = css("h1.dabiaoti", "div.lft_art h1", "div.main_art h1", "h1")
    date_selectors = css("div#pubtime", "div.fenx div.xinf-le:not(#source)")
    source_selectors = css("div#source")
    byline_selectors = css("div.fenx", "span.info_l")
    body_selectors = css("div#Content")
    noise_selectors = (
        *ArticlePage.noise_selectors,
        *css("div#div_currpage", "div.selectpage", "table", "div.wzfx"),
    )

    def author(self, root: etree._Element, byline: str) -> str:
        # The editor sits in the body's last block (【责任编辑：严玉洁】), the byline only names the source.
        names = common.authors_from_text(
            " ".join(common.text_of(el) for el in common.select(root, self.body_selectors))
        )
        return common.join_people(names) or super().author(root, byline)


ARTICLE_PAGES: tuple[type[ArticlePage], ...] = (ChinaDailyArticle,)
