"""Labels and number formats shared by every output format, so HTML, PDF, DOCX and XLSX say the same thing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from config.settings import TZ
from models.vocabulary import (
    ASPECT_ROLE_LABELS,
    DOMAIN_LABELS,
    NO_DATA,
    SOURCE_LABELS,
    domain_label,
    indicator_code,
    parameter_label,
)

if TYPE_CHECKING:
    from monitor.reports.data import MonthlyReport

# The words come from models.vocabulary (one vocabulary for every surface); these names are what the formats use.
ROLE_LABELS = ASPECT_ROLE_LABELS
__all__ = ["DOMAIN_LABELS", "NO_DATA", "ROLE_LABELS", "SOURCE_LABELS", "domain_label", "indicator_code"]

# Characters XML 1.0 (DOCX, XLSX) cannot hold; crawled titles sometimes carry them (form feeds, stray NULs).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def index_value(x: float | None) -> str:
    """Index values always carry two decimals: ranks turn on the second decimal."""
    return NO_DATA if x is None else f"{x:.2f}"


def points(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def signed(x: float | None) -> str:
    """+0.35 / −0.12 / 0.00 (a real minus sign reads better in print)."""
    if x is None:
        return "—"
    if round(x, 2) == 0:
        return "0.00"
    return f"+{x:.2f}" if x > 0 else f"−{abs(x):.2f}"


def rank_text(rank: int | None, of: int | None, is_tied: bool = False) -> str:
    if rank is None:
        return NO_DATA
    return ("并列" if is_tied else "") + f"第{rank}位" + (f"（共{of}个）" if of else "")


def rank_move(change: int | None) -> str:
    """Positive change = moved up."""
    if change is None:
        return "—"
    if change == 0:
        return "持平"
    return f"上升{change}位" if change > 0 else f"下降{-change}位"


def percent(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def month_title(month: str) -> str:
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


def when(dt: datetime | None) -> str:
    return "—" if dt is None else dt.astimezone(TZ).strftime("%Y-%m-%d %H:%M")


def hours(h: float | None) -> str:
    if h is None:
        return "—"
    return f"{h:.0f}小时" if h < 72 else f"{h / 24:.1f}天"


def xml_safe(text: str | None) -> str:
    """Text as DOCX/XLSX can store it: illegal control characters dropped, nothing else changed."""
    return "" if text is None else _XML_ILLEGAL.sub("", text)


def summary_lines(report: MonthlyReport) -> list[str]:
    """The opening paragraph of every format: what moved, what hurt, what the office still has to do."""
    lines: list[str] = []
    city = report.city_name
    if report.total is None:
        lines.append(f"{month_title(report.month)}{city}暂无综合指数数据。")
    else:
        text = f"{month_title(report.month)}{city}城市信用综合指数为 {report.total:.2f}"
        if report.change is not None:
            text += "，较上月" + (
                "持平"
                if report.change == 0
                else f"{'上升' if report.change > 0 else '下降'} {abs(report.change):.2f}"
            )
        if report.rank is not None:
            peers = report.peer_set_label or "同级城市"
            text += f"，在{peers}（{report.peer_count or '—'}个）中{report.rank_label}"
            if report.rank_change:
                text += f"（{rank_move(report.rank_change)}）"
        lines.append(text + "。")
    n_major = len(report.major_events)
    if n_major:
        ded = sum(e.deduction or 0.0 for e in report.major_events)
        off = sum(e.offset or 0.0 for e in report.major_events)
        answered = sum(1 for e in report.major_events if any(f.confirmed for f in e.feedback))
        lines.append(
            f"本月新增重大失信事件 {n_major} 件，扣分 {ded:.2f}，政府反馈抵扣 {off:.2f}；"
            f"{answered} 件已有经确认的政府反馈。"
        )
    else:
        lines.append("本月未发生重大失信事件。")
    lines.append(f"本月监测到失信事件 {report.distrust_events} 件、守信事件 {report.trust_events} 件。")
    manual = [m for m in report.missing_inputs if m.source == "manual"]
    if manual:
        lines.append(f"尚有 {len(manual)} 项人工录入数据缺失，按模型规定计分，请尽快补录。")
    return lines


def assumption_path(path: str, model: str) -> str:
    """'jiangsu2016.aspects[A1].weight' → 'A1 权重': the model is named once above the table, the parameter in words."""
    return parameter_label(path[len(model) + 1 :] if path.startswith(model + ".") else path)


def plain_number(value: object) -> str:
    """5000.0 → 5000, 0.25 → 0.25; anything else as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:g}" if abs(value) < 1e15 else str(value)
