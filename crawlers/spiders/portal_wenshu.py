"""中国裁判文书网, metadata only (title, court, case number, dates, parties, cause).

The site requires a logged-in SESSION cookie (since about 2020): without `portal_cookies["wenshu"]` the spider
records why and stops. With it, one list query (court, case type s8, date range cprq) is paged and each document's
metadata fetched; the text itself is not stored. Arguments: court, case_type, date_from, date_to, max_pages,
page_size (≤ 1000 results per condition set).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response

from crawlers.portals import wenshu
from crawlers.spiders.portal_base import PortalSpider
from models.base import now


class WenshuSpider(PortalSpider):
    name = "portal_wenshu"
    portal = "wenshu"
    default_base = "https://wenshu.court.gov.cn"

    def __init__(
        self,
        *args: Any,
        court: str = "",
        case_type: str = "",
        date_from: str = "",
        date_to: str = "",
        page_size: str | int = 15,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.court = court
        self.case_type = case_type
        self.date_from = date_from
        self.date_to = date_to
        self.page_size = int(page_size)
        self.rng = random.Random(secrets.randbits(64))

    @property
    def api(self) -> str:
        return f"{self.base}/website/parse/rest.q4w"

    def _conditions(self) -> str:
        cond = []
        if self.case_type:
            cond.append({"key": "s8", "value": self.case_type})
        if self.court:
            cond.append({"key": "s2", "value": self.court})
        if self.date_from or self.date_to:
            cond.append(
                {
                    "key": "cprq",
                    "value": f"{self.date_from or '1990-01-01'} TO {self.date_to or now().date()}",
                }
            )
        return json.dumps(cond, ensure_ascii=False)

    def _post(self, form: dict[str, str], callback: Any, **cb: Any) -> scrapy.FormRequest:
        base = {
            "ciphertext": wenshu.make_ciphertext(rng=self.rng),
            "__RequestVerificationToken": wenshu.request_token(self.rng),
        }
        return scrapy.FormRequest(
            self.api,
            formdata={**form, **base},
            headers=self.headers(
                Origin=self.base, Referer=f"{self.base}/website/wenshu/181217BMTKHNT2W0/index.html"
            ),
            cookies=self.session_cookies,
            callback=callback,
            cb_kwargs=cb,
            dont_filter=True,
        )

    def _list(self, page: int) -> scrapy.FormRequest:
        form = {
            "pageId": secrets.token_hex(16),
            "sortFields": "s50:desc",
            "pageNum": str(page),
            "pageSize": str(self.page_size),
            "queryCondition": self._conditions(),
            "cfg": wenshu.LIST_CFG,
        }
        return self._post(form, self.parse_list, page=page)

    async def start(self) -> AsyncIterator[Any]:
        if not self.cookie:
            self.stop_without_session(
                "中国裁判文书网 requires a logged-in session: put the browser's Cookie header (SESSION=…) in "
                "portal_cookies['wenshu']"
            )
            return
        yield self._list(1)

    def _today(self) -> date:
        return now().date()

    def parse_list(self, response: Response, page: int) -> Any:
        day = self._today()
        result = self.guarded(
            response,
            lambda: wenshu.parse_list(
                wenshu.envelope(response.body, day, response.url, response.status), response.url
            ),
        )
        if result is None:
            return
        for doc_id in result.items:
            yield self._post({"docId": doc_id, "cfg": wenshu.DOC_CFG}, self.parse_doc)
        reachable = min(result.total or 0, 1000)
        if page * self.page_size < reachable and page < self.max_pages:
            yield self._list(page + 1)

    def parse_doc(self, response: Response) -> Any:
        day = self._today()
        item = self.guarded(
            response,
            lambda: wenshu.parse_document(
                wenshu.envelope(response.body, day, response.url, response.status), response.url
            ),
        )
        if item is not None:
            yield item
