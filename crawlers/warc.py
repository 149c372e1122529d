"""WARC files: writing live responses (`creditwatch record`) and reading recordings (replay server, demo builder).

Bodies are stored decoded (no Content-Encoding/Transfer-Encoding) with a matching Content-Length, so a
recording replays byte-for-byte what the spider parsed, whatever compression the live server used.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from config.settings import TZ

# Headers describing the transfer, not the content: dropped because the stored body is already decoded.
_TRANSFER_HEADERS = frozenset(("content-encoding", "transfer-encoding", "content-length", "connection"))
# Extra WARC header marking records whose URL was not known and had to be inferred (demo recording).
INFERRED_HEADER = "WARC-Creditwatch-Url-Inferred"
SOURCE_HEADER = "WARC-Creditwatch-Source"

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 304: "Not Modified", 403: "Forbidden",
            404: "Not Found", 412: "Precondition Failed", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 521: "Web Server Is Down"}  # fmt: skip


@dataclass(slots=True)
class RecordedResponse:
    """One recorded HTTP response."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: datetime
    """Capture time (WARC-Date), timezone-aware."""
    warc_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def clean_headers(headers: Iterable[tuple[str, str]], body_len: int) -> list[tuple[str, str]]:
    """Headers for a decoded body: transfer headers removed, Content-Length set to the stored length."""
    out = [(k, v) for k, v in headers if k.lower() not in _TRANSFER_HEADERS]
    out.append(("Content-Length", str(body_len)))
    return out


def _warc_date(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("WARC dates must be timezone-aware")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcRecorder:
    """Appends response records to a gzip-compressed WARC file; safe to call from several threads."""

    def __init__(self, target: Path | BinaryIO) -> None:
        if isinstance(target, Path):
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fh: BinaryIO = target.open("wb")
            self._owned = True
        else:
            self._fh = target
            self._owned = False
        self._writer = WARCWriter(self._fh, gzip=True)
        self._lock = threading.Lock()
        self.count = 0

    def write_info(self, info: dict[str, str]) -> None:
        """A warcinfo record describing the recording (software, purpose, ...)."""
        with self._lock:
            self._writer.write_record(self._writer.create_warcinfo_record("creditwatch", info))

    def write_response(
        self,
        url: str,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        extra: dict[str, str] | None = None,
    ) -> None:
        """One response record; `body` is the decoded payload."""
        http_headers = StatusAndHeaders(
            f"{status} {_REASONS.get(status, 'Status')}",
            clean_headers(headers, len(body)),
            protocol="HTTP/1.1",
        )
        warc_headers = {"WARC-Date": _warc_date(fetched_at), **(extra or {})}
        with self._lock:
            record = self._writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )  # fmt: skip
            self._writer.write_record(record)
            self.count += 1

    def close(self) -> None:
        with self._lock:
            self._fh.flush()
            if self._owned:
                self._fh.close()

    def __enter__(self) -> WarcRecorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parse_date(value: str | None) -> datetime:
    if not value:
        return datetime.now(TZ)
    text = value.replace("Z", "+00:00")
    return datetime.fromisoformat(text).astimezone(TZ)


def read_warc(path: Path) -> Iterator[RecordedResponse]:
    """Every response record of a WARC file (gzip or not), in file order."""
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI")
            status = int(record.http_headers.get_statuscode() or 0)
            # content_stream() undoes chunking and gzip, whatever the recording tool kept.
            body = record.content_stream().read()
            headers = clean_headers(record.http_headers.headers, len(body))
            yield RecordedResponse(
                url=url,
                status=status,
                headers=headers,
                body=body,
                date=_parse_date(record.rec_headers.get_header("WARC-Date")),
                warc_headers=dict(record.rec_headers.headers),
            )
