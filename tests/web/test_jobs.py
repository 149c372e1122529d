"""The jobs the scheduler runs, against a seeded database chosen by settings (as `creditwatch serve` does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from config.settings import get_settings
from crawlers.run import CrawlSummary
from models import Alert, AlertStatus, IndexScore
from monitor import jobs
from monitor.web import create_app
from storage.db import get_engine, make_engine
from tests.web.conftest import csrf_of, login


@pytest.fixture
def configured(db_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings point at a copy of the seeded database, with a file channel writing into tmp_path/outbox."""
    monkeypatch.setenv("CREDITWATCH_DATABASE_URL", f"sqlite:///{db_file}")
    monkeypatch.setenv("CREDITWATCH_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CREDITWATCH_ALERT_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("CREDITWATCH_ALERT_CHANNELS", json.dumps([{"name": "本地发件箱", "kind": "file"}]))
    monkeypatch.setenv("CREDITWATCH_PEER_CITIES", json.dumps(["320200", "321300"]))
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield tmp_path / "outbox"
    get_engine.cache_clear()
    get_settings.cache_clear()


def _summary(spider: str, returncode: int = 0, responses: int = 5) -> CrawlSummary:
    return CrawlSummary(
        spider=spider, run_id=f"{spider}-1", returncode=returncode, seconds=1.0, peak_rss_mb=50.0,
        stats={"downloader/response_count": responses}, sites={"people": {"items": 3}}, log_tail="tail of the log",
    )  # fmt: skip


def test_crawl_job_runs_the_crawler_and_fails_on_a_failed_crawl(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawlers.run

    calls: list[tuple[str, dict[str, Any]]] = []

    def fake(spider: str, **kw: Any) -> CrawlSummary:
        calls.append((spider, kw))
        return outcome[spider]

    monkeypatch.setattr(crawlers.run, "run_crawl", fake)
    outcome = {
        "homepage": _summary("homepage"),
        "ranking": _summary("ranking", responses=0),
        "articles": _summary("articles", responses=0),
    }
    assert jobs.crawl("homepage") == "homepage homepage-1: 5 responses, 3 items, 1 s"
    assert calls[0][1]["init_db"] is False and calls[0][1]["timeout"] == jobs.CRAWL_TIMEOUT_S
    with pytest.raises(RuntimeError, match="no site answered"):
        jobs.crawl("ranking")
    assert "0 responses" in jobs.crawl("articles")  # nothing new to fetch is a quiet run, not a failure
    outcome["homepage"] = _summary("homepage", returncode=1)
    with pytest.raises(RuntimeError, match="exit 1: tail of the log"):
        jobs.crawl("homepage")


def test_processing_scoring_and_alert_jobs_on_the_configured_database(configured: Path) -> None:
    assert jobs.process().startswith("{'classified': ")
    assert jobs.score_recent().startswith("scored ")
    eng = make_engine(get_settings().database_url)
    with Session(eng) as s:
        months = set(s.scalars(select(IndexScore.month)))
        assert len(months) >= 2  # the seeded October plus the month scored now
    # A test alert queued from the admin page goes out through the outbox on the next dispatch.
    app = create_app(eng, get_settings())
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        token = csrf_of(login(c, "admin").get("/admin").text)
        assert (
            c.post(
                "/admin/channels/%E6%9C%AC%E5%9C%B0%E5%8F%91%E4%BB%B6%E7%AE%B1/test",
                data={"csrf_token": token},
            ).status_code
            == 303
        )
    # Processing queued the seeded major event's alert for the channel too: both go out.
    assert jobs.dispatch_alerts().startswith("sent 2, failed 0")
    with Session(eng) as s:
        sent = {(a.kind, a.status) for a in s.scalars(select(Alert))}
        assert sent == {("major", AlertStatus.SENT), ("test", AlertStatus.SENT)}
    written = list(configured.rglob("*"))
    assert any(p.is_file() and "测试告警" in p.read_text(encoding="utf-8") for p in written)
    eng.dispose()
