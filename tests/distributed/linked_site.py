"""A local test website (hand-made, no saved page covers this): pages /p/N.html link to 2N+1 and 2N+2, so a crawl
fans out; every hit is counted so tests can tell a duplicate fetch from a lost one."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LinkedSite:
    def __init__(self, pages: int, delay: float = 0.0) -> None:
        self.pages = pages
        self.delay = delay
        self.hits: Counter[str] = Counter()
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if path == "/_hits":
                    with site._lock:
                        body = json.dumps(dict(site.hits)).encode()
                    return self._send(200, body, "application/json")
                if path.startswith("/p/") and path.endswith(".html"):
                    n = int(path[3:-5])
                    if 0 <= n < site.pages:
                        with site._lock:
                            site.hits[path] += 1
                        time.sleep(site.delay)
                        links = "".join(
                            f'<a href="/p/{k}.html">第{k}页</a>'
                            for k in (2 * n + 1, 2 * n + 2)
                            if k < site.pages
                        )
                        html = f"<html><head><title>页面{n}</title></head><body><h1>页面{n}</h1>{links}</body></html>"
                        return self._send(200, html.encode("utf-8"), "text/html; charset=utf-8")
                self._send(404, b"not found", "text/plain")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LinkedSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
