"""The HTML report: one self-contained file (CSS inline, charts as data-URI PNG), rendered by Jinja2.

Autoescape is on for every template: event titles, feedback labels and portal reasons are crawled text and may
carry markup or script.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from monitor.reports import formatting as fmt
from monitor.reports.charts import Charts
from monitor.reports.data import MonthlyReport

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _trend_class(x: float | int | None) -> str:
    if x is None or round(x, 2) == 0:
        return ""
    return "up" if x > 0 else "down"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its extension: crawled text is untrusted
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters.update(
        idx=fmt.index_value,
        idx_short=lambda x: "—" if x is None else f"{x:.2f}",
        pts=fmt.points,
        signed=fmt.signed,
        pct=fmt.percent,
        pct0=lambda x: "—" if x is None else f"{x * 100:.0f}%",
        when=fmt.when,
        hours=fmt.hours,
        domain=fmt.domain_label,
        role=lambda r: fmt.ROLE_LABELS.get(r, r),
        source=lambda s: fmt.SOURCE_LABELS.get(s, s),
        rank_move=fmt.rank_move,
        month_title=fmt.month_title,
        trend_class=_trend_class,
        apath=fmt.assumption_path,
        plain=fmt.plain_number,
        icode=fmt.indicator_code,
    )
    return env


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(report: MonthlyReport, charts: Charts) -> str:
    """The report as one HTML document."""
    template = environment().get_template("report.html")
    return template.render(
        r=report,
        charts={
            "trend": data_uri(charts.trend),
            "aspects": data_uri(charts.aspects),
            "domains": data_uri(charts.domains),
        },
        summary=fmt.summary_lines(report),
        manual_missing=sum(1 for m in report.missing_inputs if m.source == "manual"),
    )
