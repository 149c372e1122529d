"""Each format read back with an independent reader: the figures are the stored scores, crawled markup is text."""

from __future__ import annotations

import re
import subprocess
import threading
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from tests.reports import fixture_db
from tests.reports.conftest import Rendered
from tests.staff_text import english_phrases, visible_text

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_format_written_in_order(rendered: Rendered) -> None:
    assert list(rendered.paths) == ["html", "pdf", "xlsx", "docx"]
    for p in rendered.paths.values():
        assert p.stat().st_size > 10_000
        assert p.name.startswith("creditwatch-report-320281-2026-10.")
    assert not list(rendered.paths["html"].parent.glob("*.part"))


# --------------------------------------------------------------------------------------------------------- HTML


@pytest.fixture(scope="module")
def html(rendered: Rendered) -> str:
    return rendered.paths["html"].read_text(encoding="utf-8")


def test_html_shows_the_stored_figures(html: str, rendered: Rendered) -> None:
    assert f'id="kpi-total">{rendered.score.total:.2f}<' in html
    for peer in rendered.peers:
        assert f">{peer.total:.2f}<" in html
    # only peers: no prefecture-level city in the ranking of a county-level city
    section = html[html.index("八、同级城市排名") :]
    assert "无锡市" not in section and "苏州市" not in section and "宜兴市" in section
    assert "并列第" in section and "同级城市：江苏省县（市、区）" in section
    assert 'id="reconciliation"' in html and "基础分" in html
    assert "江阴市城市信用状况监测月报" in html


def test_html_has_no_english_a_reader_would_meet(html: str) -> None:
    # the appendix (model parameters and their notes) included
    text = visible_text(html)
    for crawled in (
        fixture_db.SCRIPT_TITLE,
        fixture_db.FORMULA_TITLE,
    ):  # crawled titles are shown as they are
        text = text.replace(crawled, "")
    assert "附录：指数模型的假设参数" in html and english_phrases(text) == []


def test_the_english_detector_finds_english_and_spares_identifiers() -> None:
    assert english_phrases("认定依据: on the homepages of 新浪网 at 10:05") == ["on the homepages of", "at"]
    assert (
        english_phrases("模型 jiangsu2016 v1.0.0 · creditwatch · A1.1 · 320281 · https://x.example/a?b=c")
        == []
    )
    assert english_phrases(visible_text('<p class="x">政府反馈</p><style>p{color:red}</style>')) == []


def test_html_escapes_crawled_titles(html: str) -> None:
    assert ESCAPED in html
    assert "&lt;b&gt;过期原料&lt;/b&gt;" in html
    assert "<script" not in html.lower()
    assert "<b>过期" not in html


def test_html_is_self_contained(html: str) -> None:
    assert "<link" not in html
    assert not re.search(r'(?:src|href)="(?!data:)', html)
    assert html.count('src="data:image/png;base64,') == 3
    assert "<style>" in html and "@page" in html


# ---------------------------------------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdf_text(rendered: Rendered) -> str:
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(rendered.paths["pdf"]), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_pdf_text_has_the_stored_figures(pdf_text: str, rendered: Rendered) -> None:
    text = _squash(pdf_text)
    assert "江阴市城市信用状况监测月报" in text
    assert f"城市信用综合指数为{rendered.score.total:.2f}" in text  # the summary sentence
    for peer in rendered.peers:
        assert f"{peer.total:.2f}" in text
    assert _squash(fixture_db.SCRIPT_TITLE) in text  # literal markup, not interpreted
    assert "张**" in text and fixture_db.PERSON not in text


def test_pdf_embeds_the_cjk_font(rendered: Rendered) -> None:
    out = subprocess.run(
        ["pdffonts", str(rendered.paths["pdf"])], capture_output=True, text=True, check=True
    ).stdout
    fonts = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert fonts, out
    assert any("CJK" in f[0] for f in fonts), out
    # Every font is embedded, and no non-CJK fallback font drew anything.
    assert all("CJK" in f[0] for f in fonts), out
    assert all(f[-5] == "yes" for f in fonts), out


def _title_cells(png: Path, n: int) -> list[list[list[bool]]]:
    """The first line of dark ink on the page (the h1 title), cut into `n` full-width character cells."""
    page = Image.open(png).convert("L")
    top = page.crop((0, 0, page.size[0], int(page.size[1] * 0.12)))
    w, h = top.size

    def ink(x: int, y: int) -> bool:
        return top.getpixel((x, y)) < 140  # type: ignore[operator]

    rows = [y for y in range(h) if any(ink(x, y) for x in range(w))]
    assert rows, "no ink at the top of page 1"
    y0 = y1 = rows[0]
    for y in rows[1:]:
        if y != y1 + 1:
            break
        y1 = y
    cols = [x for x in range(w) if any(ink(x, y) for y in range(y0, y1 + 1))]
    x0, x1 = cols[0], cols[-1]
    width = (x1 - x0 + 1) / n
    return [
        [
            [ink(x, y) for x in range(int(x0 + i * width), int(x0 + i * width) + int(width) - 1)]
            for y in range(y0, y1 + 1)
        ]
        for i in range(n)
    ]


def _difference(a: list[list[bool]], b: list[list[bool]]) -> float:
    total = sum(len(r) for r in a)
    return sum(p != q for ra, rb in zip(a, b, strict=True) for p, q in zip(ra, rb, strict=False)) / total


def test_pdf_first_page_draws_chinese_glyphs(rendered: Rendered, tmp_path: Path) -> None:
    """Missing glyphs print as identical boxes (tofu); real glyphs differ, except where a character repeats.
    The title 江阴市城市信用状况监测月报 has 市 at positions 2 and 4."""
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "100",
            "-f",
            "1",
            "-l",
            "1",
            "-gray",
            "-png",
            str(rendered.paths["pdf"]),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    title = "江阴市城市信用状况监测月报"
    cells = _title_cells(next(tmp_path.glob("p*.png")), len(title))
    assert all(any(any(r) for r in c) for c in cells), "a character cell without ink"
    same = _difference(cells[2], cells[4])
    others = [
        _difference(cells[i], cells[j])
        for i in range(len(title))
        for j in range(i + 1, len(title))
        if title[i] != title[j]
    ]
    assert min(others) > 0.15, "distinct characters drawn alike: missing-glyph boxes?"
    assert same < min(others)


# --------------------------------------------------------------------------------------------------------- DOCX


@pytest.fixture(scope="module")
def docx(rendered: Rendered):  # type: ignore[no-untyped-def]
    return Document(str(rendered.paths["docx"]))


def test_docx_headings_are_real_headings(docx) -> None:  # type: ignore[no-untyped-def]
    headings = [p.text for p in docx.paragraphs if p.style.name.startswith("Heading")]
    for h in ["一、本月概况", "二、综合指数走势", "三、分项得分", "四、重大失信事件", "八、同级城市排名"]:
        assert h in headings
    assert f"1. {fixture_db.SCRIPT_TITLE}" in headings  # literal, escaped by the XML writer
    assert docx.paragraphs[0].style.name == "Title"
    assert len(docx.inline_shapes) == 3


def test_docx_tables_hold_the_stored_figures(docx, rendered: Rendered) -> None:  # type: ignore[no-untyped-def]
    kpi = docx.tables[0]
    assert kpi.rows[1].cells[0].text == f"{rendered.score.total:.2f}"
    peers = next(
        t for t in docx.tables if [c.text for c in t.rows[0].cells][:3] == ["排名", "城市", "综合指数"]
    )
    got = [(r.cells[1].text, r.cells[2].text, r.cells[0].text) for r in peers.rows[1:]]
    stored = sorted(rendered.peers, key=lambda s: (s.rank, s.division_code))
    from monitor.reports.data import city_name

    ranks = [s.rank for s in stored]
    assert got == [
        (
            city_name(s.division_code),
            f"{s.total:.2f}",
            ("并列" if ranks.count(s.rank) > 1 else "") + f"第{s.rank}位",
        )
        for s in stored
    ]
    assert any(text.startswith("并列") for _, _, text in got)
    composition = next(t for t in docx.tables if [c.text for c in t.rows[0].cells] == ["项目", "分值"])
    values = [r.cells[1].text.replace("−", "-") for r in composition.rows[1:]]
    assert composition.rows[1].cells[0].text == "基础分" and values[0] == "80.00"
    assert f"{sum(float(v) for v in values[:-1]):.2f}" == values[-1] == f"{rendered.score.total:.2f}"
    body = "\n".join(c.text for t in docx.tables for r in t.rows for c in r.cells)
    assert "张**" in body and fixture_db.PERSON not in body


def test_docx_sets_an_east_asian_font(docx) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml.ns import qn

    fonts = docx.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia"))


# --------------------------------------------------------------------------------------------------------- XLSX


@pytest.fixture(scope="module")
def workbook(rendered: Rendered):  # type: ignore[no-untyped-def]
    return load_workbook(rendered.paths["xlsx"])


def test_xlsx_one_sheet_per_table(workbook) -> None:  # type: ignore[no-untyped-def]
    assert workbook.sheetnames == [
        "概要",
        "指数走势",
        "指数构成",
        "分项得分",
        "重大失信事件",
        "事件分布",
        "重要守信事件",
        "黑名单",
        "新增名单主体",
        "待补录数据",
        "同级排名",
        "模型假设",
    ]


def test_xlsx_numbers_are_numbers(workbook, rendered: Rendered) -> None:  # type: ignore[no-untyped-def]
    summary = {row[0].value: row[1] for row in workbook["概要"].iter_rows() if row[0].value}
    total = summary["综合指数"]
    assert total.value == rendered.score.total and total.data_type == "n" and total.number_format == "0.00"
    assert summary["同级排名"].value == rendered.score.rank
    trend = list(workbook["指数走势"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 12 and trend[-1] == (fixture_db.MONTH, rendered.score.total, rendered.score.rank)
    peers = workbook["同级排名"]
    rows = [(r[3].value, r[4].value, r[0].value) for r in peers.iter_rows(min_row=2)]
    stored = sorted(rendered.peers, key=lambda s: (s.rank, s.division_code))
    assert rows == [(s.division_code, s.total, s.rank) for s in stored]
    assert all(r[4].number_format == "0.00" for r in peers.iter_rows(min_row=2))
    composition = [r for r in workbook["指数构成"].iter_rows(min_row=2, values_only=True)]
    assert composition[0] == ("基础分", 80.0) and composition[-1][1] == rendered.score.total
    assert round(sum(v for _, v in composition[:-1]), 2) == rendered.score.total
    aspects = {r[0].value: r for r in workbook["分项得分"].iter_rows(min_row=2)}
    for code, a in rendered.score.aspects.items():
        assert aspects[code][4].value == a["points"] and aspects[code][4].number_format == "0.00"


def test_xlsx_text_is_never_a_formula(workbook) -> None:  # type: ignore[no-untyped-def]
    titles = {r[1].value: r[1] for r in workbook["重大失信事件"].iter_rows(min_row=2)}
    assert fixture_db.SCRIPT_TITLE in titles
    formula = titles[fixture_db.FORMULA_TITLE]
    assert formula.data_type == "s"
    names = [r[0] for r in workbook["新增名单主体"].iter_rows(min_row=2, values_only=True)]
    assert "张**" in names and fixture_db.PERSON not in str(list(workbook["新增名单主体"].values))


def test_the_glyph_check_catches_tofu(tmp_path: Path) -> None:
    """The same check on a PDF rendered without any CJK font (fontconfig limited to matplotlib's DejaVu) fails."""
    import sys

    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    (tmp_path / "fonts.conf").write_text(
        f'<?xml version="1.0"?><fontconfig><dir>{fonts}</dir><cachedir>{tmp_path / "cache"}</cachedir></fontconfig>'
    )
    script = (
        "import sys; from weasyprint import HTML; HTML(string='<style>@page{margin:0}</style>"
        '<h1 style="font-size:19pt;margin:70px">江阴市城市信用状况监测月报</h1>\').write_pdf(sys.argv[1])'
    )
    env = {"FONTCONFIG_FILE": str(tmp_path / "fonts.conf"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "tofu.pdf")], env=env, check=True)
    subprocess.run(
        ["pdftoppm", "-r", "100", "-gray", "-png", str(tmp_path / "tofu.pdf"), str(tmp_path / "t")],
        check=True,
    )
    title = "江阴市城市信用状况监测月报"
    cells = _title_cells(next(tmp_path.glob("t*.png")), len(title))
    others = [
        _difference(cells[i], cells[j]) for i in range(13) for j in range(i + 1, 13) if title[i] != title[j]
    ]
    assert min(others) < 0.05  # boxes: what test_pdf_first_page_draws_chinese_glyphs rejects


def test_no_data_renders_every_format(db_session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """An empty database: every format is written and says 暂无数据 instead of failing, in Chinese only (the note on
    the missing index says who computes it, not which command to type)."""
    from monitor.reports import write_reports

    paths = {
        p.suffix[1:]: p
        for p in write_reports(db_session, "2024-01", "320281", "html,pdf,xlsx,docx", tmp_path)
    }
    html = paths["html"].read_text(encoding="utf-8")
    assert "暂无数据" in html and "尚无" in html and english_phrases(visible_text(html)) == []
    pdf = subprocess.run(
        ["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "暂无数据" in pdf
    doc = Document(str(paths["docx"]))
    assert any("暂无数据" in c.text for t in doc.tables for r in t.rows for c in r.cells)
    wb = load_workbook(paths["xlsx"])
    assert wb["概要"]["B6"].value == "暂无数据" and wb["同级排名"]["A2"].value == "暂无数据"


def test_control_characters_are_dropped_where_xml_forbids_them(rendered: Rendered, workbook) -> None:  # type: ignore[no-untyped-def]
    # The fixture's blacklist reason carries a vertical tab: XLSX/DOCX writers refuse it; the report drops it.
    reasons = [r[3] for r in workbook["新增名单主体"].iter_rows(min_row=2, values_only=True)]
    assert "环境违法被列入严重失信主体名单" in reasons


def test_two_writers_of_one_report_each_write_a_whole_file(
    report_engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The monthly job and a console request may write the same report at once: both reach the rename before either
    renames (a barrier in Path.replace), and both succeed, leaving one whole file and no temporary one."""
    from sqlalchemy.orm import Session

    from monitor.reports import write_reports

    eng, _ = report_engine
    barrier = threading.Barrier(2, timeout=60)
    real_replace = Path.replace

    def replace_together(self: Path, target: str | Path) -> Path:
        barrier.wait()
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace_together)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with Session(eng) as s:
                write_reports(s, fixture_db.MONTH, fixture_db.HOME, "html", tmp_path)
        except BaseException as exc:  # collected: an exception in a thread would otherwise pass silently
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == [
        f"creditwatch-report-{fixture_db.HOME}-{fixture_db.MONTH}.html"
    ]
    page = next(tmp_path.iterdir())
    assert page.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert page.stat().st_mode & 0o777 == 0o644


def test_xlsx_and_docx_have_no_english_a_reader_would_meet(workbook, docx) -> None:  # type: ignore[no-untyped-def]
    """Sheet names, headings, labels and notes of the workbook and the Word document, like the HTML's."""
    texts = [ws.title for ws in workbook.worksheets]
    texts += [
        c
        for ws in workbook.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if isinstance(c, str)
    ]
    texts += [p.text for p in docx.paragraphs]
    texts += [c.text for t in docx.tables for r in t.rows for c in r.cells]
    crawled = (fixture_db.SCRIPT_TITLE, fixture_db.FORMULA_TITLE, "'" + fixture_db.FORMULA_TITLE)
    assert "概要" in texts and len(texts) > 50
    found = {t: english_phrases(t, crawled) for t in texts}
    assert {t: p for t, p in found.items() if p} == {}
