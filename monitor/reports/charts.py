"""The report's charts (matplotlib, Agg): index trend, aspect scores, events by domain — PNG bytes.

Chinese labels need a CJK font: Noto Sans CJK SC (Debian's fonts-noto-cjk, installed by scripts/services.sh).
Without it matplotlib draws empty boxes and only warns; here a missing font or a missing glyph is an error,
because a leader's report with boxes in it is worse than no report.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.reports.data import MonthlyReport
from monitor.reports.formatting import DOMAIN_LABELS, domain_label

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN")
DPI = 160
COLOURS = {"line": "#1f4e79", "prev": "#a6a6a6", "now": "#2e75b6", "distrust": "#c0392b", "trust": "#2e8b57"}
# One chart at a time per process: matplotlib's rc settings and Python's warning filters are process-wide, so a
# thread leaving its font context (the console's report worker, the scheduler's report job) would leave another
# drawing boxes mid-chart, its glyph warning caught by neither thread.
_RENDERING = threading.Lock()


class ChartFontError(RuntimeError):
    """No CJK font, or a glyph the font does not have."""


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font, registering the file fontconfig knows if matplotlib does not."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for path in _fc_match_files():
        font_manager.fontManager.addfont(str(path))
        known = {f.name for f in font_manager.fontManager.ttflist}
        for family in CJK_FAMILIES:
            if family in known:
                return family
    raise ChartFontError(
        "no CJK font for the report charts: install Noto Sans CJK (Debian: apt-get install fonts-noto-cjk, "
        "or run scripts/services.sh)"
    )


def _fc_match_files() -> Iterator[Path]:
    if not shutil.which("fc-match"):
        return
    for family in CJK_FAMILIES:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{family}:lang=zh-cn"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if out and Path(out).is_file():
            yield Path(out)


@contextmanager
def _strict_glyphs() -> Iterator[None]:
    """Turn matplotlib's "Glyph … missing from font(s)" warning into an error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        if "missing from" in str(w.message) and "Glyph" in str(w.message):
            raise ChartFontError(f"chart text has a glyph the font cannot draw: {w.message}")
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _png(draw: Callable[[], Figure]) -> bytes:
    with _RENDERING:
        family = cjk_font()  # inside the lock too: its first call may register a font file
        with (
            matplotlib.rc_context(
                {
                    "font.family": "sans-serif",
                    "font.sans-serif": [family, "DejaVu Sans"],
                    "axes.unicode_minus": False,
                }
            ),
            _strict_glyphs(),
        ):
            fig = draw()
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def trend_chart(report: MonthlyReport) -> bytes:
    """The composite index over the last 12 months, each point labelled with two decimals."""

    def draw() -> Figure:
        fig = _figure(7.2, 2.8)
        ax = fig.add_subplot()
        labels = [
            f"{int(p.month[5:])}月" if p.month[5:] != "01" else f"{p.month[:4]}年1月" for p in report.trend
        ]
        xs = list(range(len(report.trend)))
        ys = [p.total if p.total is not None else float("nan") for p in report.trend]
        ax.plot(xs, ys, marker="o", color=COLOURS["line"], linewidth=2)
        for x, p in zip(xs, report.trend, strict=True):
            if p.total is not None:
                # A label above a dip would sit on the line coming down into it: put it below instead.
                near = [ys[i] for i in (x - 1, x + 1) if 0 <= i < len(ys) and ys[i] == ys[i]]
                below = bool(near) and p.total < sum(near) / len(near)
                ax.annotate(
                    f"{p.total:.2f}",
                    (x, p.total),
                    textcoords="offset points",
                    xytext=(0, -13 if below else 7),
                    ha="center",
                    fontsize=8,
                    weight="bold" if x == len(xs) - 1 else "normal",
                )
        ax.set_xticks(xs, labels, fontsize=8)
        known = [y for y in ys if y == y]
        if known:
            lo, hi = min(known), max(known)
            pad = max((hi - lo) * 0.25, 0.3)
            ax.set_ylim(lo - pad, hi + pad)
        else:
            ax.text(0.5, 0.5, "暂无数据", transform=ax.transAxes, ha="center", va="center", fontsize=14)
        ax.set_ylabel("综合指数")
        ax.set_title(f"{report.city_name}城市信用综合指数走势（近12个月）", fontsize=11)
        ax.grid(axis="y", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        return fig

    return _png(draw)


def aspect_chart(report: MonthlyReport) -> bytes:
    """Score rate (points / maximum) of each scored aspect, this month against last month."""

    def draw() -> Figure:
        rows = [a for a in report.aspects if a.role in ("score", "basic") and a.share is not None]
        fig = _figure(7.2, max(2.2, 0.5 * len(rows) + 1.0))
        ax = fig.add_subplot()
        if not rows:
            ax.text(0.5, 0.5, "暂无数据", transform=ax.transAxes, ha="center", va="center", fontsize=14)
            ax.set_axis_off()
            return fig
        ys = list(range(len(rows)))[::-1]
        now = [(a.share or 0.0) * 100 for a in rows]
        prev = [(a.previous_share if a.previous_share is not None else 0.0) * 100 for a in rows]
        h = 0.38
        ax.barh([y + h / 2 for y in ys], prev, height=h, color=COLOURS["prev"], label="上月")
        bars = ax.barh([y - h / 2 for y in ys], now, height=h, color=COLOURS["now"], label="本月")
        for bar, v in zip(bars, now, strict=True):
            ax.text(
                bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, f"{v:.1f}%", va="center", fontsize=8
            )
        ax.set_yticks(ys, [a.name for a in rows], fontsize=9)
        ax.set_xlim(0, 110)
        ax.set_xlabel("得分率（%）")
        ax.set_title("分项得分率（本月与上月）", fontsize=11, loc="left")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return fig

    return _png(draw)


def domain_chart(report: MonthlyReport) -> bytes:
    """Distrust and trust events of the month in the four domains."""

    def draw() -> Figure:
        fig = _figure(7.2, 2.6)
        ax = fig.add_subplot()
        codes = list(DOMAIN_LABELS)
        distrust = [sum(d.distrust for d in report.domain_counts if d.domain == c) for c in codes]
        trust = [sum(d.trust for d in report.domain_counts if d.domain == c) for c in codes]
        xs = list(range(len(codes)))
        w = 0.38
        b1 = ax.bar([x - w / 2 for x in xs], distrust, width=w, color=COLOURS["distrust"], label="失信事件")
        b2 = ax.bar([x + w / 2 for x in xs], trust, width=w, color=COLOURS["trust"], label="守信事件")
        for bars in (b1, b2):
            for bar in bars:
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_height(),
                    str(int(bar.get_height())),
                    ha="center",
                    va="bottom",
                    fontsize=8,
                )
        ax.set_xticks(xs, [domain_label(c) for c in codes])
        top = max([*distrust, *trust, 1])
        ax.set_ylim(0, top * 1.25 + 0.5)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("事件数（件）")
        ax.set_title("本月失信与守信事件（按四大领域）", fontsize=11)
        ax.legend(fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        if not any(distrust) and not any(trust):
            ax.text(0.5, 0.5, "本月暂无事件", transform=ax.transAxes, ha="center", va="center", fontsize=12)
        return fig

    return _png(draw)


@dataclass(frozen=True)
class Charts:
    trend: bytes
    aspects: bytes
    domains: bytes


def render_charts(report: MonthlyReport) -> Charts:
    return Charts(trend_chart(report), aspect_chart(report), domain_chart(report))
