"""中国执行信息公开网 失信被执行人: search (searchSX.do) and detail (disDetailNew).

Every search needs a captcha solved by a person (captchaNew.do → pCode). Arguments: party (pName), card (pCardNum),
court (searchCourtName), captcha_id and captcha_code from the operator's browser session, max_pages. Without them
the spider records why and stops; a rejected captcha (body `error`) is reported as a block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from crawlers.portals import zxgk
from crawlers.spiders.portal_base import PortalSpider


class ZxgkSpider(PortalSpider):
    name = "portal_zxgk"
    portal = "zxgk"
    default_base = zxgk.BASE

    def __init__(
        self,
        *args: Any,
        party: str = "",
        card: str = "",
        court: str = "",
        captcha_id: str = "",
        captcha_code: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.p_name = party
        self.card = card
        self.court = court
        self.captcha_id = captcha_id
        self.captcha_code = captcha_code

    def _search(self, page: int) -> scrapy.FormRequest:
        form = {
            "pName": self.p_name,
            "pCardNum": self.card,
            "pProvince": "0",
            "selectCourtId": "0",
            "searchCourtName": self.court or "全国法院（包含地方各级法院）",
            "selectCourtArrange": "1",
            "pCode": self.captcha_code,
            "captchaId": self.captcha_id,
            "currentPage": str(page),
        }
        return scrapy.FormRequest(
            f"{self.base}/shixin/searchSX.do",
            formdata=form,
            headers=self.headers(Referer=f"{self.base}/shixin/"),
            cookies=self.session_cookies,
            callback=self.parse_search,
            cb_kwargs={"page": page},
        )

    async def start(self) -> AsyncIterator[Any]:
        if not (self.captcha_id and self.captcha_code):
            self.stop_without_session(
                "中国执行信息公开网 needs a captcha for every search (captchaNew.do → pCode): pass captcha_id and "
                "captcha_code solved in a browser, with that browser's cookie in portal_cookies['zxgk']"
            )
            return
        if not (self.p_name or self.card):
            self.stop_without_session(
                "中国执行信息公开网 search needs a name (pName) or an ID/credit code (pCardNum)"
            )
            return
        yield self._search(1)

    def parse_search(self, response: Response, page: int) -> Any:
        result = self.guarded(
            response, lambda: zxgk.parse_search(response.body, response.url, response.status)
        )
        if result is None:
            return
        for hit in result.items:
            q = urlencode(
                {
                    "id": hit.id,
                    "caseCode": hit.case_code,
                    "pCode": self.captcha_code,
                    "captchaId": self.captcha_id,
                }
            )
            yield scrapy.Request(
                f"{self.base}/shixin/disDetailNew?{q}",
                headers=self.headers(Referer=f"{self.base}/shixin/"),
                cookies=self.session_cookies,
                callback=self.parse_detail,
            )
        if result.pages is not None and page < result.pages and page < self.max_pages:
            yield self._search(page + 1)

    def parse_detail(self, response: Response) -> Any:
        item = self.guarded(response, lambda: zxgk.parse_detail(response.body, response.url, response.status))
        if item is not None:
            yield item
