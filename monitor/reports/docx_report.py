"""The Word report (python-docx): real headings and editable tables, so the office can adapt it for leaders.

East-Asian text takes the font named in `w:eastAsia`, not the Latin one; every style used gets it explicitly, or
Word falls back to a font that may not be installed on the reader's machine.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table

from monitor.reports import formatting as fmt
from monitor.reports.charts import Charts
from monitor.reports.data import MonthlyReport

# Word on the office's Windows machines has 微软雅黑; LibreOffice on Linux maps it to Noto Sans CJK via fontconfig.
EAST_ASIA_FONT = "Microsoft YaHei"
LATIN_FONT = "Calibri"


def _set_fonts(style_or_run: object, size: float | None = None) -> None:
    font = style_or_run.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    if size:
        font.size = Pt(size)
    element = style_or_run.element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    # Theme fonts would win over the explicit ones in headings.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]


def _shade(cell: object, colour: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour)
    tcpr.append(shd)


def _table(
    doc: DocumentObject,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    highlight: Sequence[int] = (),
) -> Table:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        cell = table.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(h)
        run.bold = True
        _shade(cell, "E8EEF5")
    # Repeat the header row on every page.
    trpr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)
    for n, row in enumerate(rows):
        cells = table.add_row().cells
        for i, value in enumerate(row):
            cells[i].text = fmt.xml_safe(value)
            if i in numeric:
                cells[i].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if n in highlight:
                _shade(cells[i], "FFF3C4")
                for run in cells[i].paragraphs[0].runs:
                    run.bold = True
    for row_ in table.rows:
        for cell in row_.cells:
            for p in cell.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                for run in p.runs:
                    run.font.size = Pt(9)
    return table


def _para(doc: DocumentObject, text: str, *, italic: bool = False, size: float | None = None) -> None:
    p = doc.add_paragraph()
    run = p.add_run(fmt.xml_safe(text))
    run.italic = italic
    if size:
        run.font.size = Pt(size)
    if italic:
        run.font.color.rgb = RGBColor(0x88, 0x88, 0x88)


def _picture(doc: DocumentObject, png: bytes) -> None:
    doc.add_picture(io.BytesIO(png), width=Cm(16.5))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER


def render_docx(report: MonthlyReport, charts: Charts) -> bytes:
    """The report as a Word document."""
    r = report
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(1.8)
    _set_fonts(doc.styles["Normal"], 10.5)
    for name, size in (("Title", 20), ("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 11)):
        _set_fonts(doc.styles[name], size)

    doc.add_heading(f"{r.city_name}城市信用状况监测月报", level=0)
    model = r.model_title or r.model_name
    version = f"（{r.model_name} v{r.model_version}）" if r.model_version else ""
    _para(
        doc,
        f"{fmt.month_title(r.month)} · 行政区划代码 {r.city_code} · 指数模型 {model}{version} · 生成于 {fmt.when(r.generated_at)}",
        size=9,
    )
    _table(
        doc,
        ["综合指数", "同级排名", "较上月", "排名变化", "重大失信事件", "待补录数据"],
        [
            [
                fmt.index_value(r.total),
                f"{'并列' if r.rank_tied else ''}{r.rank} / {r.peer_count or '—'}" if r.rank else fmt.NO_DATA,
                fmt.signed(r.change),
                fmt.rank_move(r.rank_change),
                str(len(r.major_events)),
                str(sum(1 for m in r.missing_inputs if m.source == "manual")),
            ]
        ],
    )

    doc.add_heading("一、本月概况", level=1)
    for line in fmt.summary_lines(r):
        doc.add_paragraph(line, style="List Bullet")
    for note in r.notes:
        _para(doc, note, italic=True)

    doc.add_heading("二、综合指数走势", level=1)
    _picture(doc, charts.trend)
    _table(
        doc,
        ["月份", "综合指数", "排名"],
        [[p.month, fmt.index_value(p.total), str(p.rank or "—")] for p in r.trend],
        numeric=(1, 2),
    )

    doc.add_heading("三、分项得分", level=1)
    if r.reconciliation:
        _para(doc, "指数构成：基础分加各方面贡献（保留两位小数）即为综合指数。", size=9)
        _table(
            doc,
            ["项目", "分值"],
            [
                [
                    line.name if line.code in ("BASE", "CLIP", "VETO") else f"{line.code} {line.name}",
                    f"{line.value:.2f}" if i == 0 else fmt.signed(line.value),
                ]
                for i, line in enumerate(r.reconciliation)
            ]
            + [["综合指数", fmt.index_value(r.total)]],
            numeric=(1,),
            highlight=[len(r.reconciliation)],
        )
    if r.aspects:
        _table(
            doc,
            ["方面", "类型", "得分", "满分", "得分率", "对指数贡献", "较上月"],
            [
                [
                    f"{a.code} {a.name}",
                    fmt.ROLE_LABELS.get(a.role, a.role),
                    fmt.points(a.points),
                    fmt.points(a.max_points) if a.role in ("score", "basic") else "—",
                    fmt.percent(a.share),
                    fmt.signed(a.contribution),
                    fmt.signed(a.change),
                ]
                for a in r.aspects
            ],
            numeric=(2, 3, 4, 5, 6),
        )
        _picture(doc, charts.aspects)
    else:
        _para(doc, "暂无数据：本月没有分项得分。", italic=True)

    doc.add_heading("四、重大失信事件", level=1)
    if r.major_deduction_total is not None:
        _para(
            doc,
            f"计分窗口内重大失信事件扣分合计 {fmt.points(r.major_deduction_total)}，政府反馈抵扣合计 "
            f"{fmt.points(r.major_offset_total)}（含往月事件，按时间衰减）。",
            size=9,
        )
    if not r.major_events:
        _para(doc, "本月未发生重大失信事件。")
    for i, e in enumerate(r.major_events, start=1):
        doc.add_heading(fmt.xml_safe(f"{i}. {e.title}"), level=2)
        feedback = (
            "\n".join(
                f"{f.kind}：{f.label}（{'已确认' if f.confirmed else '待确认'}，发现后 {fmt.hours(f.delay_hours)}）"
                for f in e.feedback
            )
            or "尚无政府反馈"
        )
        _table(
            doc,
            ["项目", "内容"],
            [
                ["领域", fmt.domain_label(e.domain) + (f" · {e.subdomain}" if e.subdomain else "")],
                ["首次发现", fmt.when(e.first_seen)],
                ["认定为重大", fmt.when(e.major_since) + (f"（{e.reason}）" if e.reason else "")],
                ["报道网站", "、".join(e.sites) or "—"],
                [
                    "首页证据",
                    "；".join(
                        f"{s.site}首页「{s.where}」第{s.position}条（{fmt.when(s.seen_at)}）"
                        for s in e.homepages
                    )
                    or "—",
                ],
                [
                    "排行榜证据",
                    "；".join(
                        f"{s.site}「{s.where}」第{s.position}名（{fmt.when(s.seen_at)}）" for s in e.rankings
                    )
                    or "—",
                ],
                [
                    "扣分 / 抵扣",
                    f"扣 {fmt.points(e.deduction)} · 反馈抵扣 {fmt.points(e.offset)} · 净影响 {fmt.signed(e.net)}",
                ],
                ["政府反馈", feedback],
            ],
        )

    doc.add_heading("五、失信与守信事件分布", level=1)
    _picture(doc, charts.domains)
    if r.domain_counts:
        _table(
            doc,
            ["领域", "细分领域", "失信事件", "守信事件"],
            [
                [fmt.domain_label(d.domain), d.subdomain or "—", str(d.distrust), str(d.trust)]
                for d in r.domain_counts
            ]
            + [["合计", "", str(r.distrust_events), str(r.trust_events)]],
            numeric=(2, 3),
        )
    else:
        _para(doc, "暂无数据：本月没有归属本市的失信或守信事件。", italic=True)

    doc.add_heading("重要守信事件（计分窗口内）", level=3)
    if r.trust_highlights:
        _table(
            doc,
            ["事件", "月份", "本月加分"],
            [[t.title, t.month, fmt.points(t.bonus)] for t in r.trust_highlights],
            numeric=(2,),
        )
    else:
        _para(doc, "计分窗口内没有重要守信事件。" if r.has_score else "暂无数据。", italic=not r.has_score)

    doc.add_heading("六、黑名单记录情况", level=1)
    if r.lists:
        _table(
            doc,
            ["名单", "月末在册", "本月新增", "本月移出"],
            [[f.label, str(f.active), str(f.new), str(f.exited)] for f in r.lists],
            numeric=(1, 2, 3),
        )
        _para(doc, f"政府机构失信被执行人（月末在册）：{r.gov_dishonest} 个。")
        if r.new_entries:
            doc.add_heading("本月新增名单主体", level=3)
            _table(
                doc,
                ["主体", "名单", "列入机关", "事由", "日期"],
                [
                    [p.name, p.list_label, p.authority or "—", p.reason or "—", str(p.decided_on or "—")]
                    for p in r.new_entries
                ],
            )
            _para(doc, "自然人姓名已隐去（仅保留姓氏）。", size=8.5)
    else:
        _para(doc, "暂无数据：没有本市的信用门户名单记录。", italic=True)

    doc.add_heading("七、待补录数据", level=1)
    if r.missing_inputs:
        _table(
            doc,
            ["数据项", "代码", "来源", "单位", "所属指标"],
            [
                [
                    m.name,
                    fmt.indicator_code(m.code) or "—",
                    fmt.SOURCE_LABELS.get(m.source, m.source),
                    m.unit or "—",
                    m.indicator,
                ]
                for m in r.missing_inputs
            ],
        )
    else:
        _para(doc, "本月计分所需数据均已齐全。" if r.has_score else "暂无数据。", italic=not r.has_score)

    doc.add_heading("八、同级城市排名", level=1)
    if r.peers:
        _para(
            doc,
            f"同级城市：{r.peer_set_label or '与本市一同计分的城市'}，共 {len(r.peers)} 个。"
            "综合指数相同（两位小数）者并列，下一名次顺延。",
            size=9,
        )
        _table(
            doc,
            ["排名", "城市", "综合指数", "上月指数", "较上月", "上月排名"],
            [
                [
                    p.rank_label,
                    p.name,
                    fmt.index_value(p.total),
                    "—" if p.previous_total is None else f"{p.previous_total:.2f}",
                    fmt.signed(p.change),
                    p.previous_rank_label,
                ]
                for p in r.peers
            ],
            numeric=(0, 2, 3, 4, 5),
            highlight=[i for i, p in enumerate(r.peers) if p.is_subject],
        )
    else:
        _para(doc, "暂无数据：本月没有同级城市的指数。", italic=True)

    doc.add_page_break()
    doc.add_heading("附录：指数模型的假设参数", level=1)
    _para(
        doc,
        f"公开文件未给出以下权重、扣分与抵扣幅度，均为本系统的配置假设（模型 {r.model_name}"
        f"{' v' + r.model_version if r.model_version else ''}），解读指数时请一并参考。",
        size=9,
    )
    if r.assumptions:
        _table(
            doc,
            ["参数", "取值", "依据说明"],
            [
                [fmt.assumption_path(a.path, r.model_name), fmt.plain_number(a.value), a.note]
                for a in r.assumptions
            ],
            numeric=(1,),
        )
    else:
        _para(doc, "暂无数据。", italic=True)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
