"""Charts: Chinese text in a CJK font, and a missing glyph is an error, not a silent box."""

from __future__ import annotations

import io
import warnings
from dataclasses import replace

import pytest
from PIL import Image
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitor.reports import charts
from monitor.reports.data import MonthlyReport, build_report
from tests.reports import fixture_db

pytestmark = pytest.mark.filterwarnings("error:Glyph.*missing:UserWarning")


@pytest.fixture(scope="module")
def report(report_engine: tuple[Engine, fixture_db.Fixture]) -> MonthlyReport:
    with Session(report_engine[0]) as s:
        return build_report(s, fixture_db.MONTH, fixture_db.HOME)


def test_cjk_font_is_found() -> None:
    assert "CJK" in charts.cjk_font() or "Han" in charts.cjk_font()


def test_charts_render_without_missing_glyphs(report: MonthlyReport) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rendered = charts.render_charts(report)
    assert not [w for w in caught if "Glyph" in str(w.message)]
    for png in (rendered.trend, rendered.aspects, rendered.domains):
        img = Image.open(io.BytesIO(png))
        assert img.format == "PNG" and img.size[0] > 800


def test_a_glyph_the_font_lacks_is_an_error(report: MonthlyReport) -> None:
    # Noto Sans CJK has no emoji: matplotlib would draw a box and only warn.
    bad = replace(report, city_name="江阴市\U0001f600")
    with pytest.raises(charts.ChartFontError, match="glyph"):
        charts.trend_chart(bad)


def test_empty_report_charts_say_no_data(db_session: Session) -> None:
    empty = build_report(db_session, "2024-01", fixture_db.HOME)
    rendered = charts.render_charts(empty)
    assert all(len(png) > 1000 for png in (rendered.trend, rendered.aspects, rendered.domains))


def test_missing_font_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(charts, "CJK_FAMILIES", ("No Such Font SC",))
    monkeypatch.setattr(charts, "_fc_match_files", lambda: iter(()))
    charts.cjk_font.cache_clear()
    try:
        with pytest.raises(charts.ChartFontError, match="fonts-noto-cjk"):
            charts.cjk_font()
    finally:
        charts.cjk_font.cache_clear()


def test_charts_rendered_in_several_threads_keep_their_font(report: MonthlyReport) -> None:
    """The console's report workers and the scheduler's report job render in threads of one process, while
    matplotlib's settings and Python's warning filters are process-wide: one thread leaving its font context
    must not leave another drawing boxes (or failing) mid-chart."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = [f.result() for f in [pool.submit(charts.render_charts, report) for _ in range(12)]]
    assert len({r.trend for r in results}) == 1  # the same picture every time
