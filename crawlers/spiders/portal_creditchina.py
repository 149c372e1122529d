"""信用中国: 黑名单, 红名单, 重点关注名单, 行政许可/行政处罚, by region keyword (江阴) or by entity name.

Arguments: kind (blacklist|redlist|watchlist|permit|penalty), keyword (region or name for the name listing),
entity (one entity name: its records directly), max_pages, page_size. The private API answers only inside a browser
session (瑞数 + 加速乐): without `portal_cookies["creditchina"]` the first challenge stops the crawl and is reported.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.portals import creditchina as cc
from crawlers.spiders.portal_base import PortalSpider
from models.portal import ListKind


class CreditChinaSpider(PortalSpider):
    name = "portal_creditchina"
    portal = "creditchina"
    default_base = "https://public.creditchina.gov.cn"

    def __init__(
        self,
        *args: Any,
        kind: str = "blacklist",
        keyword: str = "",
        entity: str = "",
        page_size: str | int = 10,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = ListKind(kind)
        if self.kind not in cc.TYPE_OF_KIND:
            raise ValueError(f"kind {kind!r}: 信用中国 serves {', '.join(k.value for k in cc.TYPE_OF_KIND)}")
        self.type_name = cc.TYPE_OF_KIND[self.kind]
        self.keyword = keyword
        self.entity = entity
        self.page_size = int(page_size)

    def _api(self) -> str:
        return f"{self.base}/private-api/"

    def _headers(self) -> dict[str, str]:
        return self.headers(
            Referer="https://www.creditchina.gov.cn/", Origin="https://www.creditchina.gov.cn"
        )

    def _names_request(self, page: int) -> scrapy.Request:
        params = {
            "keyword": self.keyword,
            "type": self.type_name,
            "searchState": 2 if self.keyword else 1,
            "entityType": "1,2,3,7",
            "page": page,
            "pageSize": self.page_size,
        }
        return scrapy.Request(
            cc.url_for("typeNameAndCountSearch", params, self._api()),
            headers=self._headers(),
            cookies=self.session_cookies,
            callback=self.parse_names,
            cb_kwargs={"page": page},
        )

    def _records_request(self, name: str, page: int) -> scrapy.Request:
        params = {
            "source": "",
            "type": self.type_name,
            "searchState": 1,
            "entityType": 1,
            "scenes": "defaultscenario",
            "keyword": name,
            "tyshxydm": "",
            "page": page,
            "pageSize": self.page_size,
        }
        return scrapy.Request(
            cc.url_for("typeSourceSearch", params, self._api()),
            headers=self._headers(),
            cookies=self.session_cookies,
            callback=self.parse_records,
            cb_kwargs={"name": name, "page": page},
        )

    async def start(self) -> AsyncIterator[Any]:
        if not self.cookie:
            self.logger.warning(
                "信用中国: no portal_cookies['creditchina']; anonymous requests usually meet a 412 challenge"
            )
        if self.entity:
            yield self._records_request(self.entity, 1)
        else:
            yield self._names_request(1)

    def parse_names(self, response: Response, page: int) -> Any:
        result = self.guarded(
            response, lambda: cc.parse_name_list(response.body, response.url, response.status)
        )
        if result is None:
            return
        for name in result.items:
            yield self._records_request(name, 1)
        if result.total is not None and page * self.page_size < result.total and page < self.max_pages:
            yield self._names_request(page + 1)

    def parse_records(self, response: Response, name: str, page: int) -> Any:
        result = self.guarded(
            response,
            lambda: cc.parse_type_source(
                response.body, self.kind, response.url, response.status, entity_name=name
            ),
        )
        if result is None:
            return
        yield from result.items
        if result.total is not None and page * self.page_size < result.total and page < self.max_pages:
            yield self._records_request(name, page + 1)
