"""`creditwatch demo` end to end: the bundled recording crawled, the hand-made 江阴 scenario flagged as a major
distrust event with its feedback, one alert in the outbox, the index scored and the four reports written."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from monitor.demo import DEMO_MONTH, run_demo
from tests.demo.environment import demo_environment
from tests.staff_text import english_phrases, visible_text

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_env():
    # run_demo points the process settings at its own database and outbox; give them back afterwards.
    with demo_environment():
        yield


def test_demo_runs_the_whole_job(tmp_path, demo_env):
    summary = run_demo(tmp_path / "demo")
    out = summary.out
    crawls = {c["spider"]: c for c in summary.crawls}
    assert set(crawls) == {"homepage", "ranking", "articles"} and all(c["ok"] for c in crawls.values())
    assert crawls["articles"]["items"] >= 50

    (major,) = summary.major_events
    assert "江阴" in major["title"] and major["city"] == "320281"
    for site in ("新浪网", "搜狐网", "中青在线"):
        assert site in major["reason"]
    assert major["feedback_links"] == 1

    assert summary.alerts["sent"] == 1
    (alert_file,) = (out / "outbox").iterdir()
    assert "江阴" in alert_file.read_text(encoding="utf-8")

    cities = {s["city"]: s for s in summary.scores}
    jiangyin = cities["320281"]
    assert 70 <= jiangyin["total"] <= 100
    # Each city is ranked within its peer set: 江阴 among the county-level units, never among prefectures.
    assert jiangyin["peer_set"] == "320000:county" and cities["320200"]["peer_set"] == "320000:prefecture"
    for key in ("320000:county", "320000:prefecture"):
        members = [s for s in summary.scores if s["peer_set"] == key]
        assert min(s["rank"] for s in members) == 1
        # Ranks follow totals within the set; tied cities share a rank (1, 1, 3 ...).
        by_total = sorted(members, key=lambda s: -s["total"])
        for a, b in pairwise(by_total):
            assert (a["rank"] == b["rank"]) if a["total"] == b["total"] else (a["rank"] < b["rank"])

    for fmt in ("html", "pdf", "xlsx", "docx"):
        report = out / "reports" / DEMO_MONTH / f"creditwatch-report-320281-{DEMO_MONTH}.{fmt}"
        assert report.is_file() and report.stat().st_size > 5000, fmt
    html = (out / "reports" / DEMO_MONTH / f"creditwatch-report-320281-{DEMO_MONTH}.html").read_text(
        encoding="utf-8"
    )
    assert f"{jiangyin['total']:.2f}" in html
    assert "江阴一食品企业使用过期原料生产糕点被立案调查" in html
    # Staff read the report and the alert: no English phrase in either (identifiers and URLs aside).
    assert english_phrases(visible_text(html)) == []
    alert = json.loads(alert_file.read_text(encoding="utf-8"))
    assert english_phrases("\n".join([alert["subject"], *alert["lines"]])) == []
    peers = html[html.index("八、同级城市排名") :]
    assert "同级城市：江苏省县（市、区）" in peers and "宜兴市" in peers and "无锡市" not in peers
    assert 'id="reconciliation"' in html and "基础分" in html
    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["major_events"][0]["id"] == major["id"]
