"""The replay server: serves WARC recordings on 127.0.0.1 as an HTTP proxy, so spiders fetch the real URLs unchanged.

A spider routed through it (``request.meta["proxy"]``, set by ``crawlers.middlewares.ReplayProxyMiddleware``)
gets the recorded bytes, status and headers for every recorded URL:

* plain HTTP: the proxy request carries the absolute URL (``GET http://www.people.com.cn/ HTTP/1.1``);
* HTTPS: the client opens a ``CONNECT`` tunnel; the server answers it with TLS itself (a throw-away self-signed
  certificate made for that host; Scrapy does not verify the issuer) and serves the recorded response inside the tunnel.

Lookup is exact first, then fuzzy the way web-archive replay tools do it: the other scheme (http/https), then
the URL without volatile query parameters (dates, callbacks, cache-busters). An unknown URL gets a 404 marked
``X-Replay: miss`` (recorded by the crawl as "not in the recording", not as a site failure); ``/robots.txt``
falls back to allow-all when the recording has none. Every hit carries ``Memento-Datetime`` (the capture time),
which the spiders use as the fetch time so a replayed crawl stores what the recording saw, when it saw it.

    with ReplayServer([Path("crawlers/data/demo.warc.gz")]) as server:
        run_crawl("homepage", replay_proxy=server.proxy_url)
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from crawlers.warc import RecordedResponse, read_warc

log = logging.getLogger(__name__)

# Query parameters that change on every request of a hot list or JSONP call; ignored by the fuzzy lookup.
VOLATILE_PARAMS = frozenset(("_", "callback", "cb", "jsoncallback", "t", "ts", "timestamp", "top_time", "js_var",
                             "r", "rnd", "random", "nocache"))  # fmt: skip
ALLOW_ALL_ROBOTS = b"User-agent: *\nDisallow:\n"
INDEX_PATH = "/__replay__/index.json"


def _fuzzy_key(url: str) -> str:
    parts = urlsplit(url)
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in VOLATILE_PARAMS
    )
    host = (parts.hostname or "").lower()
    path = parts.path or "/"
    return urlunsplit(("", host, path, urlencode(query), ""))


def swap_scheme(url: str) -> str:
    if url.startswith("https://"):
        return "http://" + url[len("https://") :]
    if url.startswith("http://"):
        return "https://" + url[len("http://") :]
    return url


class ReplayIndex:
    """Recorded responses by URL; when a URL was captured more than once, the latest capture wins."""

    def __init__(self, records: Iterable[RecordedResponse]) -> None:
        self.exact: dict[str, RecordedResponse] = {}
        self.fuzzy: dict[str, RecordedResponse] = {}
        for rec in records:
            for table, key in ((self.exact, rec.url), (self.fuzzy, _fuzzy_key(rec.url))):
                old = table.get(key)
                if old is None or rec.date >= old.date:
                    table[key] = rec

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> ReplayIndex:
        records: list[RecordedResponse] = []
        for path in paths:
            records.extend(read_warc(Path(path)))
        return cls(records)

    def __len__(self) -> int:
        return len(self.exact)

    def urls(self) -> list[str]:
        return sorted(self.exact)

    def lookup(self, url: str) -> RecordedResponse | None:
        """The recording for `url`: exact, other scheme, then without volatile query parameters."""
        return self.exact.get(url) or self.exact.get(swap_scheme(url)) or self.fuzzy.get(_fuzzy_key(url))


_CERT_LOCK = threading.Lock()
_CERT_DIR: Path | None = None
_CONTEXTS: dict[str, ssl.SSLContext] = {}


def _tls_context(host: str) -> ssl.SSLContext:
    """A server TLS context with a throw-away self-signed certificate for `host` (made once per host and
    process), so the client's hostname check passes even though nothing verifies the issuer."""
    global _CERT_DIR
    with _CERT_LOCK:
        context = _CONTEXTS.get(host)
        if context is not None:
            return context
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "replay")])
        try:
            alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            alt = x509.DNSName(host)
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .sign(key, hashes.SHA256())
        )
        if _CERT_DIR is None:
            _CERT_DIR = Path(tempfile.mkdtemp(prefix="cw-replay-"))
        stem = hashlib.sha1(host.encode()).hexdigest()[:16]
        cert_path, key_path = _CERT_DIR / f"{stem}.crt", _CERT_DIR / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert_path), str(key_path))
        _CONTEXTS[host] = context
        return context


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    _tunnel_host: str | None = None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("replay: " + format, *args)

    def _target_url(self) -> str:
        if self.path.startswith(("http://", "https://")):
            return self.path
        if self._tunnel_host:
            return f"https://{self._tunnel_host}{self.path}"
        return f"http://{self.headers.get('Host', '')}{self.path}"

    def do_CONNECT(self) -> None:
        host, _, port = self.path.partition(":")
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            tls = _tls_context(host).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("replay: TLS handshake for %s failed: %s", self.path, exc)
            self.close_connection = True
            return
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = tls.makefile("wb")
        self._tunnel_host = host if port in ("", "443") else f"{host}:{port}"
        # http.server's loop goes on reading requests, now from inside the tunnel.
        self.close_connection = False

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve(head=False)

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, head: bool) -> None:
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)
        self.wfile.flush()

    def _serve(self, head: bool) -> None:
        url = self._target_url()
        parts = urlsplit(url)
        if parts.path == INDEX_PATH and parts.hostname in ("127.0.0.1", "localhost"):
            body = json.dumps(self.server.index.urls(), ensure_ascii=False).encode()
            self._send(
                200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))], body, head
            )
            return
        rec = self.server.index.lookup(url)
        if rec is None:
            self.server.count(url, hit=False)
            if parts.path == "/robots.txt":
                body = ALLOW_ALL_ROBOTS
                self._send(200, [("Content-Type", "text/plain"), ("Content-Length", str(len(body))),
                                 ("X-Replay", "default-robots")], body, head)  # fmt: skip
                return
            body = f"not in the recording: {url}\n".encode()
            headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                       ("X-Replay", "miss")]  # fmt: skip
            self._send(404, headers, body, head)
            return
        self.server.count(url, hit=True)
        headers = [
            *rec.headers,
            ("X-Replay", "hit"),
            ("Memento-Datetime", format_datetime(rec.date.astimezone(UTC), usegmt=True)),
        ]
        self._send(rec.status, headers, rec.body, head)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], index: ReplayIndex) -> None:
        super().__init__(address, _Handler)
        self.index = index
        self._lock = threading.Lock()
        self.hits = 0
        self.misses: list[str] = []

    def count(self, url: str, hit: bool) -> None:
        with self._lock:
            if hit:
                self.hits += 1
            else:
                self.misses.append(url)


class ReplayServer:
    """Serves WARC recordings on 127.0.0.1 (random port by default) in a background thread.

    `proxy_url` is what a client uses as its HTTP proxy; `hits` and `misses` count what was asked.
    """

    def __init__(
        self, warcs: Iterable[Path | str] | ReplayIndex, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.index = (
            warcs if isinstance(warcs, ReplayIndex) else ReplayIndex.from_files(Path(p) for p in warcs)
        )
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ReplayServer:
        if self._server is not None:
            return self
        self._server = _Server(self._address, self.index)
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        log.info("replay server on %s with %d recorded URLs", self.proxy_url, len(self.index))
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("replay server not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hits(self) -> int:
        return self._server.hits if self._server else 0

    @property
    def misses(self) -> list[str]:
        return list(self._server.misses) if self._server else []


def serve_forever(warcs: list[Path], port: int = 0) -> None:
    """Run a replay server in the foreground (``python -m crawlers.replay FILE.warc.gz ...``)."""
    server = ReplayServer(warcs, port=port).start()
    print(f"replaying {len(server.index)} URLs; proxy {server.proxy_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def wait_for_port(port: int, timeout: float = 5.0) -> None:
    """Block until something listens on 127.0.0.1:`port` (helper for callers starting the server elsewhere)."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if datetime.now(UTC) > deadline:
                raise
            threading.Event().wait(0.05)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Serve WARC recordings as an HTTP proxy on 127.0.0.1.")
    parser.add_argument("warcs", nargs="+", type=Path)
    parser.add_argument("--port", type=int, default=0)
    ns = parser.parse_args()
    serve_forever(ns.warcs, ns.port)
