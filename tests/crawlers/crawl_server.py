"""A local test web server for crawl tests: answers as an HTTP proxy for real-looking URLs (127.0.0.1, random port).

Each URL maps to a `Resource`: fixed bytes, a burst of errors before success, a delay, a redirect, a WAF page.
Every request is logged so tests can assert what was (not) fetched.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Resource:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    """Answer 500 this many times before the real response."""
    delay: float = 0.0
    redirect_to: str | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CrawlTestServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        url = self.path if self.path.startswith("http") else f"http://{self.headers.get('Host')}{self.path}"
        srv = self.server
        with srv.lock:
            srv.log.append(url)
            srv.hits[url] += 1
            n = srv.hits[url]
        res = srv.resources.get(url)
        if res is None:
            self._send(404, b"no such page", "text/plain", {})
            return
        if res.delay:
            time.sleep(res.delay)
        if n <= res.fail_first:
            self._send(500, b"temporary failure", "text/plain", {})
            return
        if res.redirect_to:
            self._send(302, b"", "text/plain", {"Location": res.redirect_to})
            return
        self._send(res.status, res.body, res.content_type, res.headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)


class CrawlTestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, resources: dict[str, Resource]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.resources = resources
        self.lock = threading.Lock()
        self.log: list[str] = []
        self.hits: Counter[str] = Counter()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> CrawlTestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()
            self.hits.clear()
