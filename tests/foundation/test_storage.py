from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, inspect, select, update
from sqlalchemy.orm import Session

import models
from config.settings import TZ
from models import Article, Division, Fetch, IndexScore, Site
from monitor.setup import init_database
from storage import migrate
from storage.db import make_engine, session_scope
from storage.repository import archive_fetch, fetch_body, known_article_urls, load_divisions, sync_sites
from storage.upsert import upsert, upsert_rows


def _check_schema(url: str) -> None:
    init_database(url)
    init_database(url)  # a second run is harmless
    eng = make_engine(url)
    try:
        tables = set(inspect(eng).get_table_names())
        assert set(models.Base.metadata.tables) <= tables
        with session_scope(eng) as s:
            assert s.scalar(select(func.count()).select_from(Division)) == 3339
            assert s.scalar(select(func.count()).select_from(Site)) == 15
            jy = s.get(Division, "320281")
            assert jy is not None and jy.name == "江阴市" and jy.parent_code == "320200"
    finally:
        eng.dispose()


def test_migrations_on_sqlite(tmp_path):
    _check_schema(f"sqlite:///{tmp_path / 'cw.db'}")


@pytest.mark.postgres
def test_migrations_on_postgresql(pg_url):
    _check_schema(pg_url)


def test_migrations_match_the_models(tmp_path):
    """The single migration head produces exactly the schema the ORM declares (no forgotten migration)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    url = f"sqlite:///{tmp_path / 'cw.db'}"
    migrate.upgrade(url)
    assert len(migrate.heads()) == 1
    eng = make_engine(url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    eng.dispose()
    assert diff == []


def test_upserts_are_idempotent(db_session: Session):
    sync_sites(db_session, [{"key": "people", "name": "人民网", "domains": ["people.com.cn"]}])
    sync_sites(db_session, [{"key": "people", "name": "人民网", "domains": ["people.com.cn", "people.cn"]}])
    sites = db_session.scalars(select(Site)).all()
    assert len(sites) == 1 and sites[0].domains == ["people.com.cn", "people.cn"]

    at = datetime(2024, 5, 1, 9, 30, tzinfo=TZ)
    ids = set()
    for _ in range(2):
        fid = archive_fetch(
            db_session,
            url="http://x.cn/a",
            final_url="http://x.cn/a",
            status=200,
            headers={},
            body=b"<p>hi</p>",
            fetched_at=at,
        )
        ids.add(fid)
    assert db_session.scalar(select(func.count()).select_from(Fetch)) == 1
    assert len(ids) == 1  # the second call finds the stored row's id
    f = db_session.get(Fetch, ids.pop())
    assert f is not None and fetch_body(f) == b"<p>hi</p>"

    vals = {
        "url": "http://x.cn/a",
        "title": "标题",
        "body": "正文",
        "extractor": "generic",
        "published_at": at,
    }
    a1 = upsert(db_session, Article, vals, key=["url"])
    a2 = upsert(db_session, Article, {**vals, "title": "新标题"}, key=["url"])
    assert a1.id == a2.id and a2.title == "新标题"
    assert known_article_urls(db_session, ["http://x.cn/a", "http://x.cn/b"]) == {"http://x.cn/a"}

    score = {
        "model_name": "m",
        "model_version": "1",
        "division_code": "320281",
        "month": "2024-05",
        "total": 86.5,
        "computed_at": at,
    }
    upsert(db_session, IndexScore, score, key=["model_name", "model_version", "division_code", "month"])
    upsert(
        db_session,
        IndexScore,
        {**score, "total": 86.7},
        key=["model_name", "model_version", "division_code", "month"],
    )
    rows = db_session.scalars(select(IndexScore)).all()
    assert [r.total for r in rows] == [86.7]


def test_bulk_upsert_rows_updates_chosen_columns_and_honours_overrides(db_session: Session):
    at = datetime(2024, 5, 1, 9, 30, tzinfo=TZ)
    key = ["model_name", "model_version", "division_code", "month"]
    base = {"model_name": "m", "model_version": "1", "month": "2024-05", "computed_at": at}
    rows: list[dict[str, Any]] = [
        {**base, "division_code": f"32{n:04d}", "total": 80.0 + n, "rank": n} for n in range(7)
    ]
    assert upsert_rows(db_session, IndexScore, rows, key, batch=3) == 7  # three batches
    again = [{**r, "total": r["total"] + 1, "rank": 99} for r in rows]
    upsert_rows(db_session, IndexScore, again, key, update=["total"], batch=3)
    stored = db_session.scalars(select(IndexScore).order_by(IndexScore.division_code)).all()
    assert len(stored) == 7
    assert [(s.total, s.rank) for s in stored] == [(81.0 + n, n) for n in range(7)]  # rank not in `update`
    # an override keeps the stored value where the new row has none (as portal exits are kept)
    none = [{**r, "rank": None} for r in rows[:2]]
    upsert_rows(
        db_session,
        IndexScore,
        none,
        key,
        update=["rank"],  # alone this would blank the stored ranks; the override keeps them
        overrides=lambda excluded: {"rank": func.coalesce(excluded["rank"], IndexScore.__table__.c.rank)},
    )
    db_session.expire_all()
    assert [s.rank for s in db_session.scalars(select(IndexScore).order_by(IndexScore.division_code))][
        :2
    ] == [0, 1]
    assert upsert_rows(db_session, IndexScore, [], key) == 0


def test_tampered_archive_is_refused(db_session: Session):
    fid = archive_fetch(
        db_session,
        url="http://x.cn/b",
        final_url="http://x.cn/b",
        status=200,
        headers={},
        body=b"evidence",
        fetched_at=datetime(2024, 5, 1, tzinfo=TZ),
    )
    f = db_session.get(Fetch, fid)
    assert f is not None
    f.sha256 = "0" * 64
    with pytest.raises(ValueError, match="sha256"):
        fetch_body(f)


def test_datetimes_come_back_in_shanghai_time_and_naive_ones_are_refused(db_session: Session):
    utc_noon = datetime(2024, 5, 1, 4, 0, tzinfo=UTC)
    upsert(
        db_session,
        Article,
        {"url": "u", "title": "t", "extractor": "x", "published_at": utc_noon},
        key=["url"],
    )
    db_session.commit()
    a = db_session.scalars(select(Article)).one()
    assert a.published_at == utc_noon and a.published_at.utcoffset() == timedelta(hours=8)
    assert a.published_at.hour == 12
    with pytest.raises(Exception, match="naive datetime"):
        upsert(
            db_session,
            Article,
            {"url": "v", "title": "t", "extractor": "x", "published_at": datetime(2024, 5, 1)},
            key=["url"],
        )


def test_division_load_is_idempotent(db_session: Session):
    assert load_divisions(db_session) == 3339
    assert load_divisions(db_session) == 0


def test_division_load_stores_every_gazetteer_row(db_session: Session):
    from models import Division
    from nlp.gazetteer import get_gazetteer

    load_divisions(db_session)
    stored = {
        d.code: (d.name, d.level, d.parent_code, d.aliases) for d in db_session.scalars(select(Division))
    }
    expected = {d.code: (d.name, d.level, d.parent_code, "|".join(d.aliases)) for d in get_gazetteer().all()}
    assert stored == expected
    # A partial table (an older gazetteer) is completed and corrected, not duplicated.
    db_session.execute(delete(Division).where(Division.level == "county"))
    db_session.execute(update(Division).where(Division.code == "320200").values(name="旧名"))
    assert load_divisions(db_session) == 3339
    assert {
        d.code: (d.name, d.level, d.parent_code, d.aliases) for d in db_session.scalars(select(Division))
    } == expected
