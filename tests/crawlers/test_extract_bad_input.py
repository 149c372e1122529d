"""`creditwatch extract` on input that is not a readable page: one Chinese line on stderr, non-zero exit."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from config.settings import TZ
from crawlers.pages import ParseError, common, parse_article
from crawlers.pages.groundtruth import read_bytes
from monitor.cli import crawl_extract

PAGE = "xinhua/trafilatura/archive.org.he.xinhuanet.com.25340717.html.gz"  # a real GBK page


def _app() -> typer.Typer:
    app = typer.Typer()
    crawl_extract.register(app)
    app.command("noop")(lambda: None)  # two commands: Typer keeps "extract" as a sub-command name
    return app


def _run(path: Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), ["extract", str(path)])
    return result.exit_code, result.stdout, result.stderr


def _cases(tmp: Path) -> dict[str, tuple[Path, str]]:
    real = read_bytes(PAGE)  # (read_bytes unpacks the stored .gz)
    cases = {
        "empty": (b"", "文件为空"),
        "blank": (b"  \n\t\n", "文件为空"),
        "png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "PNG 图片"),
        "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 4, "PDF 文档"),
        "random binary": (bytes((i * 151 + 7) % 256 for i in range(4096)), "二进制数据"),
        "truncated gz": (gzip.compress(real)[:400], "gzip 压缩文件已损坏或不完整"),
        "corrupt gz": (
            b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate data at all",
            "gzip 压缩文件已损坏或不完整",
        ),
        "empty gz": (gzip.compress(b""), "解压后为空"),
        "warc": (b"WARC/1.0\r\nWARC-Type: warcinfo\r\n\r\n", "WARC 抓取档案"),
        "unknown encoding": (
            "<html><body><p>信用中国城市信用监测</p></body></html>".encode("utf-16-le") * 5,
            "",
        ),
        "big5 misread": (
            b"<html><body><p>"
            + ("台灣信用資訊公開與聯合懲戒機制說明" * 40).encode("big5")
            + b"</p></body></html>",
            "文字编码",
        ),
        "plain text": ("这是一段说明文字，没有任何网页标记。\n".encode() * 20, "没有 HTML 标记"),
        "no article": (b"<html><head><title>x</title></head><body></body></html>", "没有找到文章正文"),
        "page fine": (real, ""),
        "page fine gz": (gzip.compress(real), ""),
    }
    out = {}
    for name, (data, message) in cases.items():
        path = tmp / f"{name.replace(' ', '_')}.html"
        path.write_bytes(data)
        out[name] = (path, message)
    return out


def test_bad_input_gets_one_clear_chinese_line_and_a_non_zero_exit(tmp_path: Path) -> None:
    for name, (path, message) in _cases(tmp_path).items():
        code, stdout, stderr = _run(path)
        if name.startswith("page fine"):
            assert code == 0 and json.loads(stdout)["title"], name
            continue
        lines = stderr.strip().splitlines()
        assert code == 1, (name, stdout, stderr)
        assert stdout == "", name  # nothing printed as if it were an article
        assert len(lines) == 1 and lines[0].startswith(f"extract: {path}: "), (name, stderr)
        assert message in lines[0], (name, lines[0])
        detail = lines[0].split(": ", 2)[2]
        assert any("\u4e00" <= char <= "\u9fff" for char in detail), (name, detail)
        assert "Traceback" not in stderr and "Aborted" not in stderr


def test_missing_file_is_refused_by_the_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["extract", str(tmp_path / "nope.html")])
    assert result.exit_code != 0


def test_binary_response_in_a_crawl_is_a_parse_failure() -> None:
    """The crawl records a ParseError as the page's failure and goes on; a binary body must raise one."""
    text = bytes((i * 151 + 7) % 256 for i in range(4096)).decode("latin-1")
    with pytest.raises(ParseError, match="binary"):
        common.parse_html(text)
    with pytest.raises(ParseError):
        parse_article("http://www.example.gov.cn/a.html", text, datetime(2025, 1, 1, tzinfo=TZ))
