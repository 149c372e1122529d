"""Saved pages as they come from staff or from disk: gzip unpacked, binary and undecodable files refused.

Each refusal is a ``BadPage`` whose ``zh`` is the one-line Chinese explanation the ``extract`` command prints;
the English message is for engineer logs (and is what a crawl records as the page's failure reason).
"""

from __future__ import annotations

import gzip
import zlib

from crawlers.encoding import decode_html, mojibake_score
from crawlers.pages.common import ParseError

# File signatures of what staff most often pick by mistake instead of a saved web page.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF 文档"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"PK\x03\x04", "ZIP 压缩包（或 Word/Excel 文档）"),
    (b"\xd0\xcf\x11\xe0", "旧版 Office 文档"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"\x7fELF", "可执行程序"),
    (b"MZ", "可执行程序"),
)
# Control bytes (other than tab, newlines, form feed) in the first KiB: text files have none.
_CONTROL = frozenset(range(0x00, 0x09)) | {0x0B, 0x0E, 0x0F} | frozenset(range(0x10, 0x20)) - {0x1B}
_MAX_CONTROL_SHARE = 0.01
# Decoded text with more mojibake than this is in an encoding neither declared nor UTF-8/GB18030.
_MAX_MOJIBAKE = 0.05
_MAX_UNPACKED = 64 * 1024 * 1024


class BadPage(ParseError):
    """Input that is not a readable web page; ``zh`` says why, for staff."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def unpack(raw: bytes) -> bytes:
    """The page bytes of a saved file (gzip unpacked); raises BadPage for empty or corrupt files."""
    if not raw.strip():
        raise BadPage("empty file", "文件为空，没有网页内容")
    if raw[:2] == b"\x1f\x8b":
        try:
            decompressor = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            raw = decompressor.decompress(raw, _MAX_UNPACKED)
            if not decompressor.eof:
                raise EOFError("truncated gzip stream")
        except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise BadPage(f"corrupt gzip: {exc}", "gzip 压缩文件已损坏或不完整，无法解压") from exc
        if not raw.strip():
            raise BadPage("empty file inside gzip", "压缩文件解压后为空，没有网页内容")
    if raw.startswith(b"WARC/"):
        raise BadPage(
            "a WARC archive, not one page", "这是 WARC 抓取档案而不是单个网页，请用 crawl --replay 回放"
        )
    return raw


def decode_page(raw: bytes) -> str:
    """Checked, decoded text of a saved page; raises BadPage for binary, non-HTML and undecodable input."""
    raw = unpack(raw)
    for signature, kind in _SIGNATURES:
        if raw.startswith(signature):
            raise BadPage(f"binary file ({signature!r})", f"这是{kind}，不是网页文件")
    head = raw[:1024]
    if head[:2] not in (b"\xff\xfe", b"\xfe\xff") and sum(
        b in _CONTROL for b in head
    ) > _MAX_CONTROL_SHARE * len(head):
        raise BadPage("binary content", "文件是二进制数据，不是网页文件")
    text, codec = decode_html(raw)
    if mojibake_score(text[:20000]) > _MAX_MOJIBAKE:
        raise BadPage(f"unknown encoding (best guess {codec})", "无法识别文件的文字编码，内容会是乱码")
    if "<" not in text[:65536]:
        raise BadPage("no HTML markup", "文件里没有 HTML 标记，不是网页")
    return text
