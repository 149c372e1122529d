"""A scripted fault server for the crawl fault tests: an HTTP proxy on 127.0.0.1 (random port) that answers each
real-site URL with the behaviour a test scripts for it (`Fault`), and counts every request.

The production spiders reach it through the replay-proxy mechanism (``REPLAY_PROXY``): they request the real URLs
(``http://www.people.com.cn/...``) and the proxy answers for them; ``https://`` URLs arrive through a CONNECT
tunnel that the proxy ends with a throw-away certificate (as the replay server does). Every page it serves is hand-made by the tests
(no saved page has these faults); unknown URLs get a plain 404, robots.txt an allow-all file.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from crawlers.replay import _tls_context

ALLOW_ALL = b"User-agent: *\nAllow: /\n"


@dataclass
class Fault:
    """How one URL answers. Faults apply in this order: errors first, then delay, then the response's shape."""

    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    """Answer `fail_status` this many times before the real response."""
    fail_status: int = 503
    delay: float = 0.0
    """Seconds to wait before answering (a slow page)."""
    hang: bool = False
    """Never answer: keep the connection open until the client gives up (or the server stops)."""
    truncate_at: int | None = None
    """Declare the full Content-Length, send only this many body bytes, then drop the connection."""
    chunked_drop_at: int | None = None
    """Send the body chunked (no Content-Length) and drop the connection after this many bytes."""
    chunked: bool = False
    """Send the body chunked, without a Content-Length (a size check cannot happen up front)."""
    redirect_to: str | None = None
    """Answer 302 to this URL."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FaultProxy
    _tunnel_host: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_CONNECT(self) -> None:
        host, _, port = self.path.partition(":")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        tls = _tls_context(host).wrap_socket(self.connection, server_side=True)
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        self._tunnel_host = host if port in ("", "443") else f"{host}:{port}"
        self.close_connection = False  # go on reading requests, now from inside the tunnel

    def do_GET(self) -> None:
        if self.path.startswith("http"):
            url = self.path
        elif self._tunnel_host:
            url = f"https://{self._tunnel_host}{self.path}"
        else:
            url = f"http://{self.headers.get('Host')}{self.path}"
        srv = self.server
        n = srv.count(url)
        fault = srv.faults.get(url)
        try:
            if fault is None:
                if url.endswith("/robots.txt"):
                    self._send(200, ALLOW_ALL, "text/plain", {})
                else:
                    self._send(404, b"no such page", "text/plain", {})
                return
            self._answer(fault, n)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (timeouts, size limit)

    def _answer(self, fault: Fault, n: int) -> None:
        if n <= fault.fail_first:
            self._send(fault.fail_status, b"<html><body>Service Unavailable</body></html>", "text/html", {})
            return
        if fault.hang:
            # Hold the connection without a byte until the client times out and closes it.
            self.server.stopping.wait(60)
            self.close_connection = True
            return
        if fault.delay:
            self.server.stopping.wait(fault.delay)
        if fault.redirect_to:
            self._send(302, b"", "text/html", {"Location": fault.redirect_to})
            return
        if fault.truncate_at is not None:
            self._head(
                fault.status, fault.content_type, {**fault.headers, "Content-Length": str(len(fault.body))}
            )
            self.wfile.write(fault.body[: fault.truncate_at])
            self.wfile.flush()
            self._drop()
            return
        if fault.chunked or fault.chunked_drop_at is not None:
            self._head(fault.status, fault.content_type, {**fault.headers, "Transfer-Encoding": "chunked"})
            limit = fault.chunked_drop_at if fault.chunked_drop_at is not None else len(fault.body)
            for i in range(0, limit, 16384):
                piece = fault.body[i : min(i + 16384, limit)]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            if fault.chunked_drop_at is not None:
                self.wfile.flush()
                self._drop()
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        self._send(fault.status, fault.body, fault.content_type, fault.headers)

    def _head(self, status: int, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self._head(status, content_type, {"Content-Length": str(len(body)), **headers})
        self.wfile.write(body)
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the connection mid-body, as a crashed upstream or a cut line would."""
        self.close_connection = True
        self.connection.close()


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, faults: dict[str, Fault] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.faults: dict[str, Fault] = dict(faults or {})
        self.hits: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="fault-proxy", daemon=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, size limits) are part of the script, not server errors."""

    def count(self, url: str) -> int:
        with self._lock:
            self.hits[url] += 1
            return self.hits[url]

    def served(self, urls: set[str] | None = None) -> int:
        """How many requests were answered in all (or for `urls`)."""
        with self._lock:
            return sum(v for k, v in self.hits.items() if urls is None or k in urls)

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


def wait_until(predicate: Any, timeout: float, step: float = 0.05) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
