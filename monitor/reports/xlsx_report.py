"""The spreadsheet report (openpyxl): one sheet per table, numbers stored as numbers with number formats.

Text cells are forced to the string type: a crawled title beginning with "=" must stay text, never a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from config.settings import TZ
from monitor.reports import formatting as fmt
from monitor.reports.data import MonthlyReport

INDEX = "0.00"  # index values and points: two decimals, always
SIGNED = "+0.00;-0.00;0.00"
INT = "0"
PCT = "0.0%"
WHEN = "yyyy-mm-dd hh:mm"
DAY = "yyyy-mm-dd"
_HEAD_FILL = PatternFill("solid", fgColor="E8EEF5")
_SUBJECT_FILL = PatternFill("solid", fgColor="FFF3C4")


def _cell_value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.astimezone(TZ).replace(
            tzinfo=None
        )  # Excel has no time zones; the report is in Asia/Shanghai
    if isinstance(v, str):
        return fmt.xml_safe(v)
    return v


def _write(ws: Worksheet, row: int, values: Sequence[Any], formats: Sequence[str | None]) -> None:
    for col, (v, f) in enumerate(zip(values, formats, strict=True), start=1):
        cell = ws.cell(row=row, column=col, value=_cell_value(v))
        if isinstance(v, str):
            cell.data_type = "s"  # never a formula, whatever the crawled text starts with
        if f and v is not None and not isinstance(v, str):
            cell.number_format = f
        cell.alignment = Alignment(vertical="top", wrap_text=isinstance(v, str) and len(v) > 30)


def _sheet(
    wb: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    formats: Sequence[str | None],
    widths: Sequence[int],
    empty: str = fmt.NO_DATA,
) -> Worksheet:
    ws = wb.create_sheet(title)
    for col, (h, w) in enumerate(zip(headers, widths, strict=True), start=1):
        c = ws.cell(row=1, column=col, value=h)
        c.font = Font(bold=True)
        c.fill = _HEAD_FILL
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = "A2"
    for i, row in enumerate(rows, start=2):
        _write(ws, i, row, formats)
    if not rows:
        ws.cell(row=2, column=1, value=empty)
    return ws


def render_xlsx(report: MonthlyReport) -> bytes:
    """The report as an XLSX workbook."""
    r = report
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "概要"
    items: list[tuple[str, Any, str | None]] = [
        ("城市", r.city_name, None),
        ("行政区划代码", r.city_code, None),
        ("月份", r.month, None),
        ("指数模型", r.model_title or r.model_name, None),
        ("模型版本", f"{r.model_name} v{r.model_version}" if r.model_version else r.model_name, None),
        ("综合指数", r.total if r.total is not None else fmt.NO_DATA, INDEX),
        ("同级排名", r.rank if r.rank is not None else fmt.NO_DATA, INT),
        ("名次", r.rank_label if r.rank is not None else fmt.NO_DATA, None),
        ("同级城市", r.peer_set_label or fmt.NO_DATA, None),
        ("同级城市数", r.peer_count, INT),
        ("上月综合指数", r.previous_total, INDEX),
        ("较上月", r.change, SIGNED),
        ("上月排名", r.previous_rank, INT),
        ("排名变化（正数为上升）", r.rank_change, "+0;-0;0"),
        ("本月重大失信事件", len(r.major_events), INT),
        ("本月失信事件", r.distrust_events, INT),
        ("本月守信事件", r.trust_events, INT),
        ("待补录人工数据", sum(1 for m in r.missing_inputs if m.source == "manual"), INT),
        ("生成时间", r.generated_at, WHEN),
    ]
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 60
    for i, (label, value, f) in enumerate(items, start=1):
        summary.cell(row=i, column=1, value=label).font = Font(bold=True)
        _write(summary, i, [label, value], [None, f])
    row = len(items) + 2
    for line in [*fmt.summary_lines(r), *r.notes]:
        _write(summary, row, ["说明", line], [None, None])
        row += 1

    _sheet(
        wb,
        "指数走势",
        ["月份", "综合指数", "排名"],
        [(p.month, p.total, p.rank) for p in r.trend],
        [None, INDEX, INT],
        [10, 12, 8],
    )
    if r.reconciliation:
        _sheet(
            wb,
            "指数构成",
            ["项目", "分值"],
            [
                (
                    line.name if line.code in ("BASE", "CLIP", "VETO") else f"{line.code} {line.name}",
                    line.value,
                )
                for line in r.reconciliation
            ]
            + [("综合指数（上列之和）", r.total)],
            [None, INDEX],
            [28, 12],
        )
    _sheet(
        wb,
        "分项得分",
        ["代码", "方面", "类型", "权重", "得分", "满分", "得分率", "对指数贡献", "上月贡献", "较上月"],
        [
            (
                a.code,
                a.name,
                fmt.ROLE_LABELS.get(a.role, a.role),
                a.weight,
                a.points,
                a.max_points if a.role in ("score", "basic") else None,
                a.share,
                a.contribution,
                a.previous_contribution,
                a.change,
            )
            for a in r.aspects
        ],
        [None, None, None, "0%", INDEX, INDEX, PCT, SIGNED, SIGNED, SIGNED],
        [8, 22, 8, 8, 9, 9, 9, 12, 11, 10],
    )
    _sheet(
        wb,
        "重大失信事件",
        [
            "编号",
            "事件",
            "领域",
            "细分领域",
            "首次发现",
            "认定为重大",
            "认定依据",
            "报道网站",
            "首页网站数",
            "首页证据",
            "排行榜证据",
            "扣分",
            "反馈抵扣",
            "净影响",
            "政府反馈",
        ],
        [
            (
                e.ref,
                e.title,
                fmt.domain_label(e.domain),
                e.subdomain or "",
                e.first_seen,
                e.major_since,
                e.reason or "",
                "、".join(e.sites),
                len({s.site for s in e.homepages}),
                "；".join(
                    f"{s.site}「{s.where}」第{s.position}条 {fmt.when(s.seen_at)}" for s in e.homepages
                ),
                "；".join(f"{s.site}「{s.where}」第{s.position}名 {fmt.when(s.seen_at)}" for s in e.rankings),
                e.deduction,
                e.offset,
                e.net,
                "；".join(
                    f"{f.kind}：{f.label}（{'已确认' if f.confirmed else '待确认'}）" for f in e.feedback
                ),
            )
            for e in r.major_events
        ],
        [None, None, None, None, WHEN, WHEN, None, None, INT, None, None, INDEX, INDEX, SIGNED, None],
        [6, 40, 10, 10, 16, 16, 24, 20, 10, 40, 30, 8, 9, 9, 40],
        empty="本月未发生重大失信事件",
    )
    _sheet(
        wb,
        "事件分布",
        ["领域", "细分领域", "失信事件", "守信事件"],
        [(fmt.domain_label(d.domain), d.subdomain or "", d.distrust, d.trust) for d in r.domain_counts],
        [None, None, INT, INT],
        [12, 18, 10, 10],
    )
    _sheet(
        wb,
        "重要守信事件",
        ["编号", "事件", "月份", "本月加分"],
        [(t.ref, t.title, t.month, t.bonus) for t in r.trust_highlights],
        [None, None, None, INDEX],
        [8, 50, 10, 10],
        empty="计分窗口内没有重要守信事件" if r.has_score else fmt.NO_DATA,
    )
    _sheet(
        wb,
        "黑名单",
        ["名单", "月末在册", "本月新增", "本月移出"],
        [
            *((f.label, f.active, f.new, f.exited) for f in r.lists),
            *([("政府机构失信被执行人（月末在册）", r.gov_dishonest, None, None)] if r.lists else []),
        ],
        [None, INT, INT, INT],
        [30, 10, 10, 10],
    )
    _sheet(
        wb,
        "新增名单主体",
        ["主体（自然人已隐去）", "名单", "列入机关", "事由", "日期"],
        [(p.name, p.list_label, p.authority or "", p.reason or "", p.decided_on) for p in r.new_entries],
        [None, None, None, None, DAY],
        [28, 14, 24, 40, 12],
        empty="本月无新增",
    )
    _sheet(
        wb,
        "待补录数据",
        ["代码", "数据项", "来源", "单位", "所属指标", "所属方面"],
        [
            (m.code, m.name, fmt.SOURCE_LABELS.get(m.source, m.source), m.unit, m.indicator, m.aspect)
            for m in r.missing_inputs
        ],
        [None] * 6,
        [16, 28, 10, 10, 36, 20],
        empty="无" if r.has_score else fmt.NO_DATA,
    )
    peers = _sheet(
        wb,
        "同级排名",
        ["排名", "名次", "城市", "行政区划代码", "综合指数", "上月指数", "较上月", "上月排名"],
        [
            (p.rank, p.rank_label, p.name, p.code, p.total, p.previous_total, p.change, p.previous_rank)
            for p in r.peers
        ],
        [INT, None, None, None, INDEX, INDEX, SIGNED, INT],
        [6, 12, 14, 12, 10, 10, 9, 9],
    )
    for i, p in enumerate(r.peers, start=2):
        if p.is_subject:
            for cell in peers[i]:
                cell.fill = _SUBJECT_FILL
    _sheet(
        wb,
        "模型假设",
        ["参数", "取值", "依据说明"],
        [
            (
                fmt.assumption_path(a.path, r.model_name),
                a.value if isinstance(a.value, int | float | str) else str(a.value),
                a.note,
            )
            for a in r.assumptions
        ],
        [None, "General", None],
        [46, 10, 80],
    )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
