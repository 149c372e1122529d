"""人民法院公告网: court notices (公告), newest first, optionally filtered by keyword or court.

The list page is fetched first (JSESSIONID), then the DataTables endpoint is POSTed with the browser's Origin and
sec-fetch headers (without them the portal answers 200 with empty data). Arguments: keyword, court, max_pages,
page_size.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.portals import rmfygg
from crawlers.spiders.portal_base import PortalSpider
from crawlers.waf import check_blocked


class RmfyggSpider(PortalSpider):
    name = "portal_rmfygg"
    portal = "rmfygg"
    default_base = rmfygg.BASE

    def __init__(
        self, *args: Any, keyword: str = "", court: str = "", page_size: str | int = 10, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.keyword = keyword
        self.court = court
        self.page_size = int(page_size)

    async def start(self) -> AsyncIterator[Any]:
        yield scrapy.Request(
            f"{self.base}{rmfygg.LIST_PAGE}",
            headers=self.headers(Accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
            cookies=self.session_cookies,
            callback=self.parse_session,
        )

    def _list(self, page: int) -> scrapy.FormRequest:
        return scrapy.FormRequest(
            f"{self.base}{rmfygg.LIST_API}",
            formdata=rmfygg.list_form(
                self.keyword, self.court, (page - 1) * self.page_size, self.page_size, page
            ),
            headers=self.headers(
                Origin=self.base,
                Referer=f"{self.base}{rmfygg.LIST_PAGE}",
                **{
                    "X-Requested-With": "XMLHttpRequest",
                    "Sec-Fetch-Site": "same-origin",
                    "Sec-Fetch-Mode": "cors",
                    "Sec-Fetch-Dest": "empty",
                },
            ),
            cookies=self.session_cookies,
            callback=self.parse_list,
            cb_kwargs={"page": page},
        )

    def parse_session(self, response: Response) -> Any:
        # A challenge here stops the portal (guarded raises CloseSpider); any other error page is a failure.
        self.guarded(
            response, lambda: check_blocked(self.portal, response.status, response.body, None, response.url)
        )
        if response.status >= 400:
            self.health.fail(response.url, f"list page answered HTTP {response.status}")
            return
        yield self._list(1)

    def parse_list(self, response: Response, page: int) -> Any:
        result = self.guarded(
            response, lambda: rmfygg.parse_notice_list(response.body, response.url, response.status)
        )
        if result is None:
            return
        if page == 1 and not result.items:
            self.health.note(
                response.url, "no notices: none match, or the portal dropped the session/sec-fetch headers"
            )
        yield from result.items
        if result.total is not None and page * self.page_size < result.total and page < self.max_pages:
            yield self._list(page + 1)
