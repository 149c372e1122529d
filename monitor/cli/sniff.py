"""What a file really is, judged by its first bytes, before any parser sees it.

An export renamed to .xlsx, a truncated download or an HTML error page saved as a spreadsheet otherwise ends in
a parser's traceback deep inside openpyxl or gzip. `require()` refuses such a file with one Chinese line naming
what was expected and what was found."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from monitor.cli.errors import CliError

LABELS = {
    "xlsx": "XLSX 表格",
    "zip": "ZIP 压缩包",
    "gzip": "gzip 压缩文件",
    "warc": "WARC 归档",
    "html": "HTML 网页",
    "csv": "CSV 文本",
    "empty": "空文件",
    "unknown": "无法识别的内容",
}
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<div", b"<!--")


def sniff(path: Path) -> str:
    """One of: xlsx, zip, gzip, warc, html, csv, empty, unknown — from the content, never the name."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return "unknown"  # a zip header on a truncated or corrupt archive
        return "xlsx" if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names) else "zip"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as gz:
                inner = gz.read(4096)
        except (OSError, EOFError):
            return "unknown"
        return "warc" if inner.startswith(b"WARC/") else "gzip"
    if head.startswith(b"WARC/"):
        return "warc"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if any(text.startswith(m) for m in _HTML_MARKERS) or b"<html" in text[:1024]:
        return "html"
    if b"\x00" in head:
        return "unknown"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 4096-byte boundary
            try:
                head.decode("gb18030")
            except UnicodeDecodeError:
                return "unknown"
    return "csv"


def require(path: Path, *kinds: str) -> str:
    """`path`'s kind if it is one of `kinds`; otherwise a CliError saying what was expected and found."""
    try:
        kind = sniff(path)
    except OSError as exc:
        raise CliError(f"无法读取文件 {path}：{exc.strerror or exc}", 1) from exc
    if kind not in kinds:
        expected = "或".join(LABELS[k] for k in kinds)
        raise CliError(
            f"{path.name} 应为{expected}，但内容是{LABELS.get(kind, kind)}（文件可能已损坏或改过扩展名）"
        )
    return kind
