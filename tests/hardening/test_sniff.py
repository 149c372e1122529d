"""Input files are judged by content: real recordings, pages and corpus files, and spreadsheets written by
openpyxl, each recognised whatever its name; damaged ones are refused before a parser runs."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from monitor.cli.errors import CliError
from monitor.cli.sniff import require, sniff

ROOT = Path(__file__).resolve().parents[2]
DEMO_WARC = ROOT / "crawlers" / "data" / "demo.warc.gz"


def _xlsx(path: Path) -> Path:
    wb = Workbook()
    wb.active.append(["行政相对人名称", "决定日期"])
    wb.save(path)
    return path


def test_real_files_are_recognised_by_content(tmp_path: Path, shared_dir: Path) -> None:
    page = next((shared_dir / "fixtures" / "pages").rglob("*.html"))
    corpus = next((shared_dir / "corpus").rglob("*.csv.gz"))
    plain_zip = tmp_path / "bundle.zip"
    with zipfile.ZipFile(plain_zip, "w") as zf:
        zf.writestr("readme.txt", "说明")
    csv = tmp_path / "export.csv"
    csv.write_text("名称,日期\n江阴某公司,2026-10-09\n", encoding="gb18030")
    assert sniff(DEMO_WARC) == "warc"
    assert sniff(page) == "html"
    assert sniff(corpus) == "gzip"
    assert sniff(_xlsx(tmp_path / "t.xlsx")) == "xlsx"
    assert sniff(plain_zip) == "zip"
    assert sniff(csv) == "csv"


def test_names_do_not_matter(tmp_path: Path) -> None:
    disguised = tmp_path / "report.html"  # a spreadsheet with a web page's name
    _xlsx(disguised)
    assert sniff(disguised) == "xlsx"
    recording = tmp_path / "recording.xlsx"
    shutil.copyfile(DEMO_WARC, recording)
    assert sniff(recording) == "warc"


def test_damaged_files_are_unknown_or_empty(tmp_path: Path) -> None:
    good = _xlsx(tmp_path / "good.xlsx").read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good[: len(good) // 2])  # a download that stopped half-way
    bad_gzip = tmp_path / "cut.warc.gz"
    bad_gzip.write_bytes(DEMO_WARC.read_bytes()[:10])
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert sniff(cut) == "unknown"
    assert sniff(bad_gzip) == "unknown"
    assert sniff(binary) == "unknown"
    assert sniff(empty) == "empty"


def test_require_names_what_was_expected_and_found(tmp_path: Path) -> None:
    page = tmp_path / "list.xlsx"
    page.write_text("<!DOCTYPE html><html><head><title>登录</title></head></html>", encoding="utf-8")
    with pytest.raises(CliError) as exc:
        require(page, "xlsx", "csv")
    assert "应为XLSX 表格或CSV 文本" in exc.value.message and "HTML 网页" in exc.value.message
    assert require(DEMO_WARC, "warc") == "warc"
    plain = tmp_path / "x.gz"
    plain.write_bytes(gzip.compress(b"hello"))
    assert require(plain, "gzip", "html") == "gzip"
