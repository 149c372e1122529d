"""Portal spiders end to end against local fake portals: what reached the database (records, the archive,
parser health), and blocks or missing sessions reported without a crash.

Every crawl runs in its own process (the reactor cannot restart); the scenarios run in parallel once per module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import Base, CrawlStat, Fetch, PortalRecord
from models.portal import ListKind
from storage.db import make_engine
from storage.repository import fetch_body
from tests.portals.fake_portals import CAPTCHA, WENSHU_SESSION, FakePortals, serve

PORTALS = ("creditchina", "zxgk", "rmfygg", "wenshu", "creditsite")


@dataclass
class Run:
    engine: Engine
    portals: FakePortals


Job = tuple[str, dict[str, str], dict[str, Any]]


def job(
    workdir: Path, fp: FakePortals, spider: str, args: dict[str, str], cookies: dict[str, str] | None = None
) -> Job:
    """A crawl writing to `workdir`/cw.db against the fake portals `fp`."""
    settings: dict[str, Any] = {
        "CREDITWATCH_DATABASE_URL": f"sqlite:///{workdir / 'cw.db'}",
        "PORTAL_BASE_URLS": {p: fp.base for p in PORTALS},
        "PORTAL_COOKIES": cookies or {},
        "DOWNLOAD_DELAY": 0,
        "LOG_LEVEL": "WARNING",
    }
    return spider, args, settings


def run_jobs(jobs: list[Job], workdir: Path) -> None:
    """The crawls side by side in one new process (the reactor cannot restart inside pytest)."""
    spec = workdir / "jobs.json"
    spec.write_text(json.dumps(jobs, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITWATCH_PORTAL")}
    # Scrapy's cookie jar asks tldextract for the public suffix list: use its bundled snapshot, no download.
    env["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    env["TLDEXTRACT_CACHE"] = str(workdir / "tld")
    cmd = [sys.executable, "-m", "crawlers.portals.run", "--jobs", str(spec)]
    proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]


def _site_config(workdir: Path, fp: FakePortals) -> str:
    cfg = workdir / "sites.yaml"
    cfg.write_text(
        "sites:\n"
        "  - key: testsite\n    name: 信用测试\n    verified: true\n    columns:\n"
        f"      - name: 红黑榜\n        url: {fp.base}/col/col1/index.html\n        list_kind: blacklist\n"
        "        item: 'div.list li'\n        date: span\n        title_filter: 黑名单\n",
        encoding="utf-8",
    )
    return str(cfg)


CC_ARGS = {"kind": "blacklist", "keyword": "江阴", "page_size": "2"}
ZX_ARGS = {"party": "江阴", "captcha_id": "x" * 32}
SCENARIOS: dict[str, Callable[[Path, FakePortals], Job]] = {
    "creditchina": lambda d, fp: job(d, fp, "portal_creditchina", CC_ARGS),
    "creditchina_twice": lambda d, fp: job(d, fp, "portal_creditchina", CC_ARGS),
    "creditchina_blocked": lambda d, fp: job(d, fp, "portal_creditchina", CC_ARGS),
    "zxgk_no_captcha": lambda d, fp: job(d, fp, "portal_zxgk", {"party": "江阴"}),
    "zxgk_bad_captcha": lambda d, fp: job(d, fp, "portal_zxgk", {**ZX_ARGS, "captcha_code": "ZZZZ"}),
    "zxgk": lambda d, fp: job(
        d, fp, "portal_zxgk", {**ZX_ARGS, "captcha_code": CAPTCHA}, {"zxgk": "JSESSIONID=b"}
    ),
    "rmfygg": lambda d, fp: job(d, fp, "portal_rmfygg", {"keyword": "江阴"}),
    "wenshu_no_session": lambda d, fp: job(d, fp, "portal_wenshu", {"court": "江苏省江阴市人民法院"}),
    "wenshu": lambda d, fp: job(
        d, fp, "portal_wenshu", {"court": "江苏省江阴市人民法院"}, {"wenshu": WENSHU_SESSION}
    ),
    "wenshu_expired": lambda d, fp: job(d, fp, "portal_wenshu", {}, {"wenshu": "SESSION=expired"}),
    "creditsite": lambda d, fp: job(d, fp, "portal_creditsite", {"config": _site_config(d, fp)}),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    root = tmp_path_factory.mktemp("portal_crawls")
    with ExitStack() as stack:
        out: dict[str, Run] = {}
        jobs: list[Job] = []
        for name, make in SCENARIOS.items():
            workdir = root / name
            workdir.mkdir()
            fp = stack.enter_context(serve(FakePortals(block_creditchina=name == "creditchina_blocked")))
            engine = make_engine(f"sqlite:///{workdir / 'cw.db'}")
            Base.metadata.create_all(engine)
            out[name] = Run(engine, fp)
            jobs.append(make(workdir, fp))
        run_jobs(jobs, root)
        # The same crawl again into the same database: nothing may be duplicated.
        run_jobs(
            [SCENARIOS["creditchina_twice"](root / "creditchina_twice", out["creditchina_twice"].portals)],
            root,
        )
        yield out
        for r in out.values():
            r.engine.dispose()


def _records(engine: Engine) -> list[PortalRecord]:
    with Session(engine) as s:
        return list(s.scalars(select(PortalRecord).order_by(PortalRecord.entity_name)))


def _stat(engine: Engine) -> CrawlStat:
    with Session(engine) as s:
        return s.scalars(select(CrawlStat).order_by(CrawlStat.id.desc()).limit(1)).one()


def _fetches(engine: Engine) -> list[Fetch]:
    with Session(engine) as s:
        return list(s.scalars(select(Fetch)))


def test_creditchina_blacklist_by_region(runs: dict[str, Run]) -> None:
    engine = runs["creditchina"].engine
    recs = _records(engine)
    assert [(r.entity_name, r.region_code, r.is_government) for r in recs] == [
        ("无锡锡南物流有限公司", "320200", False),
        ("江阴市某镇人民政府", "320281", True),
        ("江阴市澄江建材有限公司", "320281", False),
    ]
    assert all(r.list_kind is ListKind.BLACKLIST and r.source == "creditchina" for r in recs)
    stat = _stat(engine)
    # 2 name pages + 3 record answers, nothing failed
    assert (stat.site_key, stat.responses, stat.items, stat.failures, stat.waf_challenges) == (
        "creditchina",
        5,
        3,
        0,
        0,
    )
    fetches = _fetches(engine)
    assert len(fetches) == 5 and all(f.spider == "portal_creditchina" and f.error is None for f in fetches)
    assert any("typeNameAndCountSearch" in f.url and b'"total":3' in fetch_body(f) for f in fetches)


def test_creditchina_recrawl_is_idempotent(runs: dict[str, Run]) -> None:
    engine = runs["creditchina_twice"].engine
    assert len(_records(engine)) == 3
    with Session(engine) as s:
        assert len(list(s.scalars(select(CrawlStat)))) == 2  # one health row per crawl


def test_creditchina_challenge_stops_the_portal_and_is_reported(runs: dict[str, Run]) -> None:
    run = runs["creditchina_blocked"]
    assert len(run.portals.requests) == 1  # stopped at the first challenge, no retries against the firewall
    assert _records(run.engine) == []
    stat = _stat(run.engine)
    assert (stat.waf_challenges, stat.items) == (1, 0)
    assert "$_ts" in stat.errors[0]["reason"]
    (fetch,) = _fetches(run.engine)
    assert fetch.status == 412 and fetch.error and "$_ts" in fetch.error


def test_zxgk_without_captcha_says_so_and_stops(runs: dict[str, Run]) -> None:
    run = runs["zxgk_no_captcha"]
    assert run.portals.requests == []
    stat = _stat(run.engine)
    assert stat.failures == 1 and "captcha" in stat.errors[0]["reason"]


def test_zxgk_wrong_captcha_is_a_block(runs: dict[str, Run]) -> None:
    engine = runs["zxgk_bad_captcha"].engine
    stat = _stat(engine)
    assert stat.waf_challenges == 1 and "captcha rejected" in stat.errors[0]["reason"]
    assert _records(engine) == []


def test_zxgk_search_and_details(runs: dict[str, Run]) -> None:
    engine = runs["zxgk"].engine
    recs = _records(engine)
    assert [(r.entity_name, r.is_government, r.region_code, r.entity_type) for r in recs] == [
        ("张某某", False, "320281", "自然人"),
        ("江阴市某镇人民政府", True, "320281", "法人或其他组织"),
    ]
    assert recs[1].region_evidence and recs[1].region_evidence.startswith("court")
    assert (_stat(engine).items, _stat(engine).responses) == (2, 3)


def test_rmfygg_gets_the_session_first(runs: dict[str, Run]) -> None:
    run = runs["rmfygg"]
    assert [m for m, _ in run.portals.requests] == ["GET", "POST"]
    recs = _records(run.engine)
    assert {(r.entity_name, r.region_code) for r in recs} == {
        ("江阴市澄江建材有限公司", "320281"),
        ("无锡锡南物流有限公司", "320200"),
    }
    assert all(r.list_kind is ListKind.COURT_NOTICE for r in recs)


def test_wenshu_without_session_says_so(runs: dict[str, Run]) -> None:
    run = runs["wenshu_no_session"]
    assert run.portals.requests == []
    stat = _stat(run.engine)
    assert stat.failures == 1 and "logged-in session" in stat.errors[0]["reason"]


def test_wenshu_with_session_reads_metadata(runs: dict[str, Run]) -> None:
    (rec,) = _records(runs["wenshu"].engine)
    assert rec.list_kind is ListKind.JUDGMENT
    assert (rec.case_number, rec.region_code) == ("（2024）苏0281民初100号", "320281")
    assert "qwContent" not in rec.raw


def test_wenshu_session_expired_is_a_block(runs: dict[str, Run]) -> None:
    stat = _stat(runs["wenshu_expired"].engine)
    assert stat.waf_challenges == 1 and "login session required" in stat.errors[0]["reason"]


def test_credit_site_column_with_trs_pages(runs: dict[str, Run]) -> None:
    run = runs["creditsite"]
    paths = [p for _, p in run.portals.requests]
    assert (
        "/col/col1/index_1.html" in paths and "/col/col1/202404/t20240402_2.html" not in paths
    )  # red list filtered
    recs = _records(run.engine)
    assert [(r.entity_name, r.region_code, str(r.decided_on)) for r in recs] == [
        ("江阴市新桥纺织有限公司", "320281", "2024-03-28"),
        ("江阴市澄江建材有限公司", "320281", "2024-03-15"),
        ("苏州某某贸易有限公司", "320500", "2023-12-20"),
    ]
    assert all(r.source == "creditsite:testsite" for r in recs)
    stat = _stat(run.engine)
    assert (stat.site_key, stat.failures, stat.items) == ("creditsite:testsite", 0, 3)
