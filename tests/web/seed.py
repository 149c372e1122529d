"""A small, realistic console database: a major food-safety event in 江阴 with homepage and ranking evidence and
a proposed feedback link, a trust event, a crawled title carrying <script>, other cities, parser health, job runs,
an index scored by the real scoring engine, and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import TZ
from crawlers.registry import registry
from models import (
    Appearance,
    Article,
    CityAttribution,
    Classification,
    CrawlStat,
    Division,
    Event,
    EventArticle,
    EventStatus,
    FeedbackLink,
    HomepageSnapshot,
    IndexScore,
    JobRun,
    RankingEntry,
    RankingSnapshot,
    Role,
    User,
)
from monitor.web.accounts import hash_password
from storage.repository import site_by_key, sync_sites

PASSWORD = "correct-horse-9"
XSS_TITLE = '<script>alert("xss")</script>江阴某公司拖欠工资<img src=x onerror=alert(1)>'
MONTH = "2026-10"
FILLER = 34  # events in 无锡市 beyond the first page of the feed

DIVISIONS = [
    ("320000", "江苏省", "province", None),
    ("320200", "无锡市", "prefecture", "320000"),
    ("320281", "江阴市", "county", "320200"),
    ("321300", "宿迁市", "prefecture", "320000"),
]


@dataclass
class Seeded:
    major_event: int
    trust_event: int
    xss_event: int
    suqian_event: int
    feedback_link: int
    review_article: int


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 10, day, hour, 0, tzinfo=TZ)


def seeded_score(engine: Engine, code: str = "320281") -> IndexScore:
    """The stored index of `code` for the seeded month (2026-10), detached from its session."""
    with Session(engine) as s:
        row = s.scalars(
            select(IndexScore).where(IndexScore.division_code == code, IndexScore.month == "2026-10")
        ).one()
        s.expunge(row)
        return row


def seed(session: Session, password_hash: str | None = None) -> Seeded:
    """Fill an empty, migrated database; `password_hash` (of PASSWORD) lets tests skip argon2's cost."""
    password_hash = password_hash or hash_password(PASSWORD)
    for code, name, level, parent in DIVISIONS:
        session.add(Division(code=code, name=name, level=level, parent_code=parent, aliases=""))
    sync_sites(session, (e.model_dump() for e in registry()))
    session.flush()
    people, xinhua, sina = (site_by_key(session, k) for k in ("people", "xinhua", "sina"))
    assert people and xinhua and sina

    def article(
        site_id: int, n: str, title: str, day: int, kind: str, domain: str | None, conf: float, city: str
    ) -> Article:
        a = Article(
            site_id=site_id,
            url=f"https://example.{n}.cn/2026/10/{n}.html",
            title=title,
            published_at=at(day),
            source="人民网",
            body=f"{title}。正文第一段。\n正文第二段。",
            extractor="test",
        )
        session.add(a)
        session.flush()
        session.add(
            Classification(
                article_id=a.id, model_version="v1", kind=kind, domain=domain, subdomain=None, confidence=conf
            )
        )
        session.add(
            CityAttribution(article_id=a.id, division_code=city, level="county", evidence="江阴", weight=1.0)
        )
        return a

    def event(
        title: str, kind: str, domain: str | None, city: str, day: int, arts: list[Article], **kw: object
    ) -> Event:
        e = Event(
            title=title,
            kind=kind,
            domain=domain,
            division_code=city,
            first_seen=at(day),
            last_seen=at(day, 18),
            **kw,
        )
        session.add(e)
        session.flush()
        for a in arts:
            session.add(EventArticle(event_id=e.id, article_id=a.id))
        return e

    food = [
        article(
            people.id, "food1", "江阴一食品厂使用过期原料被查处", 10, "distrust", "business", 0.93, "320281"
        ),
        article(xinhua.id, "food2", "江阴食品厂过期原料事件调查", 10, "distrust", "business", 0.91, "320281"),
        article(sina.id, "food3", "江阴过期原料食品厂被责令停产", 11, "distrust", "business", 0.88, "320281"),
    ]
    major = event(
        "江阴一食品厂使用过期原料被查处",
        "distrust",
        "business",
        "320281",
        10,
        food,
        subdomain="食品",
        status=EventStatus.MAJOR,
        major_since=at(10, 12),
        major_reason="出现在 3 个网站首页",
    )
    for site, a in zip((people, xinhua, sina), food, strict=True):
        snap = HomepageSnapshot(site_id=site.id, url=f"https://{site.key}.example/", captured_at=at(10, 12))
        session.add(snap)
        session.flush()
        session.add(
            Appearance(
                snapshot_id=snap.id, position=3, block="要闻", title=a.title, url=a.url, article_id=a.id
            )
        )
    rank = RankingSnapshot(
        site_id=people.id,
        list_name="新闻排行·24小时点击",
        period="24h",
        url="https://people.example/rank",
        captured_at=at(11),
    )
    session.add(rank)
    session.flush()
    session.add(
        RankingEntry(
            snapshot_id=rank.id,
            rank=2,
            title=food[0].title,
            url=food[0].url,
            value=52311,
            article_id=food[0].id,
        )
    )
    reply = article(
        people.id,
        "reply",
        "江阴市市场监管局通报食品厂过期原料事件处置情况",
        11,
        "feedback",
        "business",
        0.8,
        "320281",
    )
    link = FeedbackLink(event_id=major.id, article_id=reply.id, delay_hours=22.0, score=0.82)
    session.add(link)

    trust = event(
        "江阴获评全国诚信建设示范城市",
        "trust",
        "government",
        "320281",
        12,
        [
            article(
                xinhua.id, "trust1", "江阴获评全国诚信建设示范城市", 12, "trust", "government", 0.95, "320281"
            )
        ],
    )
    xss = event(
        XSS_TITLE,
        "distrust",
        "society",
        "320281",
        13,
        [article(sina.id, "xss", XSS_TITLE, 13, "distrust", "society", 0.9, "320281")],
    )
    suqian = event(
        "宿迁一建筑公司拖欠农民工工资",
        "distrust",
        "society",
        "321300",
        5,
        [article(sina.id, "sq1", "宿迁一建筑公司拖欠农民工工资", 5, "distrust", "society", 0.9, "321300")],
    )
    for i in range(FILLER):
        a = article(people.id, f"wx{i}", f"无锡信用动态第{i}期", 1 + i % 9, "other", None, 0.9, "320200")
        event(a.title, "other", None, "320200", 1 + i % 9, [a])
    unsure = article(xinhua.id, "unsure", "江阴某景区门票价格引发游客投诉", 14, "other", None, 0.41, "320200")

    session.add_all(
        [
            CrawlStat(
                run_id="r1",
                spider="homepage",
                site_key="people",
                started_at=at(14),
                finished_at=at(14, 10),
                responses=3,
                items=40,
            ),
            CrawlStat(
                run_id="r1",
                spider="homepage",
                site_key="sina",
                started_at=at(14),
                finished_at=at(14, 10),
                responses=3,
                items=20,
                empty_bodies=12,
                missing_dates=1,
            ),
            JobRun(
                job_id="crawl-homepage",
                outcome="executed",
                scheduled_at=at(14),
                recorded_at=at(14, 10),
                duration_s=42.0,
                detail="首页 homepage-20261014T100000-3f9a1c：响应 48 个，条目 40 条，用时 42 秒",
            ),
            JobRun(
                job_id="crawl-article",
                outcome="skipped",
                scheduled_at=at(14),
                recorded_at=at(14),
                detail="上次运行尚未结束，本次跳过",
            ),
        ]
    )
    for role in Role:
        session.add(User(username=role.value, password_hash=password_hash, role=role, active=True))
    session.flush()
    _score(session)
    session.commit()
    return Seeded(major.id, trust.id, xss.id, suqian.id, link.id, unsure.id)


def _score(session: Session) -> None:
    """The October index of three cities, by the real engine (gives the city pages and reports their data)."""
    from scoring.model import load_model
    from scoring.store import compute_month, store_results

    model = load_model("jiangsu2016")
    store_results(
        session, compute_month(session, model, MONTH, ["320281", "320200", "321300"]), computed_at=at(31)
    )
    session.flush()
