"""A local HTTP server (127.0.0.1, random port) answering like the portals, from the constructed responses.

Behaviour follows PORTALS.md: 信用中国 answers a 瑞数 412 page when `block` is set; zxgk answers `error` unless the
captcha code is right; 人民法院公告网 answers empty data without the session cookie from the list page or without
the Origin header; 裁判文书网 answers "please log in" without its SESSION cookie and encrypts `result` with the
day as IV.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from config.settings import TZ
from crawlers.portals import wenshu
from models.base import now
from tests.portals.conftest import constructed

CAPTCHA = "AB12"
WENSHU_SESSION = "SESSION=test-session"
WENSHU_KEY = "k" * 12 + "0123456789ab"

CREDITCHINA_RECORDS = {
    "江阴市澄江建材有限公司": "constructed_creditchina_records_jiancai.json",
    "江阴市某镇人民政府": "constructed_creditchina_records_zhenzf.json",
    "无锡锡南物流有限公司": "constructed_creditchina_records_wuliu.json",
}


@dataclass
class FakePortals:
    block_creditchina: bool = False
    requests: list[tuple[str, str]] = field(default_factory=list)
    base: str = ""


def _answer(
    fp: FakePortals, method: str, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str, bytes, dict[str, str]]:
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()} if body else {}
    path = parts.path
    cookie = headers.get("cookie", "")
    js = "application/json;charset=UTF-8"
    # 信用中国
    if path.startswith("/private-api/"):
        if fp.block_creditchina:
            return 412, "text/html", constructed("constructed_ruishu_412.html"), {}
        if path.endswith("typeNameAndCountSearch"):
            return 200, js, constructed(f"constructed_creditchina_names_p{q.get('page', '1')}.json"), {}
        if path.endswith("typeSourceSearch"):
            name = CREDITCHINA_RECORDS.get(q.get("keyword", ""))
            if name:
                return 200, js, constructed(name), {}
            return 200, js, '{"status":1,"message":"成功","data":{"total":0,"list":[]}}'.encode(), {}
    # 中国执行信息公开网
    if path == "/shixin/searchSX.do" and method == "POST":
        if form.get("pCode") != CAPTCHA:
            return 200, "text/html", constructed("constructed_zxgk_captcha_error.txt"), {}
        return 200, js, constructed("constructed_zxgk_search.json"), {}
    if path == "/shixin/disDetailNew":
        if q.get("pCode") != CAPTCHA:
            return 200, "text/html", b"error", {}
        return 200, js, constructed(f"constructed_zxgk_detail_{q.get('id')}.json"), {}
    # 人民法院公告网
    if path == "/web/rmfyportal/noticeinfo" and method == "GET":
        return (
            200,
            "text/html",
            b"<html><body>list</body></html>",
            {"Set-Cookie": "JSESSIONID=abc123; Path=/"},
        )
    if path == "/web/rmfyportal/noticeinfo" and method == "POST":
        if (
            "JSESSIONID=abc123" not in cookie
            or not headers.get("origin")
            or not headers.get("sec-fetch-site")
        ):
            return 200, js, b'{"iTotalRecords":0,"data":[]}', {}
        return 200, js, constructed("constructed_rmfygg_list.json"), {}
    # 裁判文书网
    if path == "/website/parse/rest.q4w" and method == "POST":
        if WENSHU_SESSION not in cookie:
            return 200, js, '{"code":9,"description":"请登录后查看"}'.encode(), {}
        if not form.get("ciphertext") or len(form.get("__RequestVerificationToken", "")) != 24:
            return 200, js, '{"code":-12,"description":"参数错误"}'.encode(), {}
        name = (
            "constructed_wenshu_doc_decrypted.json"
            if "docId" in form
            else "constructed_wenshu_list_decrypted.json"
        )
        plain = constructed(name).decode("utf-8")
        doc = {
            "code": 1,
            "description": "",
            "secretKey": WENSHU_KEY,
            "result": wenshu.encrypt(plain, WENSHU_KEY, now().astimezone(TZ).date()),
        }
        return 200, js, json.dumps(doc).encode(), {}
    # a provincial credit site (TRS)
    site = {
        "/col/col1/index.html": "constructed_creditsite_column.html",
        "/col/col1/index_1.html": "constructed_creditsite_column_1.html",
        "/col/col1/202404/t20240402_1.html": "constructed_creditsite_blacklist_2024q1.html",
        "/col/col1/202401/t20240105_9.html": "constructed_creditsite_blacklist_2023q4.html",
    }
    if path in site:
        return 200, "text/html; charset=utf-8", constructed(site[path]), {}
    return 404, "text/plain", b"not found", {}


@contextmanager
def serve(fp: FakePortals | None = None) -> Iterator[FakePortals]:
    """Run the fake portals on a random port for the duration of the block."""
    portals = fp or FakePortals()

    class Handler(BaseHTTPRequestHandler):
        def _go(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            portals.requests.append((self.command, self.path))
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            status, ctype, out, extra = _answer(portals, self.command, self.path, body, hdrs)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(out)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(out)

        do_GET = _go
        do_POST = _go

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    portals.base = f"http://127.0.0.1:{server.server_address[1]}"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield portals
    finally:
        server.shutdown()
        server.server_close()
