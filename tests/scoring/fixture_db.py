"""A small but complete month in the database: articles, events (one major with feedback), institutions, portal
records and manual inputs for 无锡市 (320200) and 江阴市 (320281, a county-level city of 无锡), plus 苏州市."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Appearance,
    Article,
    CityAttribution,
    Classification,
    Division,
    Event,
    EventArticle,
    EventStatus,
    FeedbackLink,
    FeedbackStatus,
    HomepageSnapshot,
    Institution,
    ListKind,
    ManualInput,
    PortalRecord,
    Site,
)

MONTH = "2024-06"


def t(y: int, m: int, d: int, h: int = 10) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


def build(session: Session) -> dict[str, int]:
    """Fill the database; returns ids the tests refer to."""
    session.add_all(
        [
            Division(code="320000", name="江苏省", level="province"),
            Division(code="320200", name="无锡市", level="prefecture", parent_code="320000"),
            Division(code="320281", name="江阴市", level="county", parent_code="320200"),
            Division(code="320500", name="苏州市", level="prefecture", parent_code="320000"),
        ]
    )
    sites = [Site(key=f"s{i}", name=f"site {i}", domains=[f"s{i}.cn"]) for i in range(5)]
    session.add_all(sites)
    session.flush()

    def article(
        n: int, title: str, when: datetime, kind: str, domain: str | None, sub: str | None, city: str
    ) -> Article:
        a = Article(url=f"http://s0.cn/{n}", title=title, published_at=when, extractor="test", body="")
        session.add(a)
        session.flush()
        session.add(
            Classification(
                article_id=a.id, model_version="t", kind=kind, domain=domain, subdomain=sub, confidence=0.9
            )
        )
        session.add(
            CityAttribution(article_id=a.id, division_code=city, level="county", evidence="江阴", weight=1.0)
        )
        return a

    trust = [
        article(i, f"江阴诚信典型{i}", t(2024, 1 + i % 6, 3), "trust", "business", "金融", "320281")
        for i in range(6)
    ]
    distrust = [
        article(10 + i, f"江阴失信{i}", t(2024, 5, 2 + i), "distrust", "society", "医药卫生", "320281")
        for i in range(2)
    ]
    court = article(20, "江阴法院失信", t(2024, 6, 1), "distrust", "judiciary", "法院", "320281")
    article(21, "江阴出台信用办法", t(2024, 3, 1), "institution", "government", "政府诚信体系建设", "320281")
    article(22, "苏州诚信", t(2024, 6, 5), "trust", "business", "金融", "320500")
    article(23, "too old", t(2023, 6, 30), "trust", "business", "金融", "320281")  # outside the window
    fb_article = article(
        24, "江阴市政府回应食品事件", t(2024, 5, 3), "feedback", "society", "医药卫生", "320281"
    )

    major = Event(
        title="江阴食品安全事件", kind="distrust", domain="society", subdomain="医药卫生", division_code="320281",
        first_seen=t(2024, 5, 2), last_seen=t(2024, 5, 9), status=EventStatus.MAJOR, major_since=t(2024, 5, 2, 18),
        major_reason="homepages of 4 sites",
    )  # fmt: skip
    normal = Event(title="江阴法院失信", kind="distrust", domain="judiciary", division_code="320281",
                   first_seen=t(2024, 6, 1), last_seen=t(2024, 6, 1))  # fmt: skip
    star = Event(title="江阴诚信典型", kind="trust", domain="business", division_code="320281",
                 first_seen=t(2024, 4, 3), last_seen=t(2024, 4, 3))  # fmt: skip
    session.add_all([major, normal, star])
    session.flush()
    session.add_all(
        [EventArticle(event_id=major.id, article_id=a.id) for a in distrust]
        + [
            EventArticle(event_id=normal.id, article_id=court.id),
            EventArticle(event_id=star.id, article_id=trust[3].id),
        ]
    )
    for i, site in enumerate(sites[:4]):  # the major event on 4 homepages, the trust event on 3
        snap = HomepageSnapshot(site_id=site.id, url=f"http://s{i}.cn/", captured_at=t(2024, 5, 2, 20))
        session.add(snap)
        session.flush()
        session.add(
            Appearance(
                snapshot_id=snap.id,
                position=1,
                block="要闻",
                title="x",
                url=distrust[0].url,
                article_id=distrust[0].id,
            )
        )
        if i < 3:
            session.add(
                Appearance(
                    snapshot_id=snap.id,
                    position=2,
                    block="要闻",
                    title="y",
                    url=trust[3].url,
                    article_id=trust[3].id,
                )
            )
    inst = Institution(title="江阴市食品安全信用管理办法", division_code="320281", domain="society", subdomain="医药卫生",
                       published_at=t(2024, 6, 10), url="http://gov.cn/inst")  # fmt: skip
    session.add(inst)
    session.flush()
    session.add_all(
        [
            FeedbackLink(
                event_id=major.id, article_id=fb_article.id, delay_hours=15.0, status=FeedbackStatus.CONFIRMED
            ),
            FeedbackLink(
                event_id=major.id, institution_id=inst.id, delay_hours=900.0, status=FeedbackStatus.CONFIRMED
            ),
        ]
    )
    records = [
        (ListKind.BLACKLIST, "某公司", date(2023, 1, 5), None, False),
        (ListKind.BLACKLIST, "某二公司", date(2024, 6, 5), None, False),
        (ListKind.BLACKLIST, "退出公司", date(2023, 1, 5), date(2024, 6, 20), False),
        (ListKind.DISHONEST_DEBTOR, "某镇政府", date(2024, 2, 1), None, True),
        (ListKind.PENALTY, "某店", date(2024, 4, 1), None, False),
        (ListKind.BLACKLIST, "later", date(2024, 7, 2), None, False),  # after the month
    ]
    for i, (kind, name, decided, removed, gov) in enumerate(records):
        session.add(PortalRecord(dedup_key=f"k{i}", list_kind=kind, entity_name=name, decided_on=decided, removed_on=removed,
                                 is_government=gov, region_code="320281", source="import:test.xlsx"))  # fmt: skip
    session.add_all(
        [
            ManualInput(
                model_name="jiangsu2016",
                indicator_code="legal_entities",
                division_code="320281",
                month="2024-01",
                value=100000,
            ),
            ManualInput(
                model_name="jiangsu2016",
                indicator_code="A4.1",
                division_code="320281",
                month="2024-05",
                value=80,
            ),
            ManualInput(
                model_name="jiangsu2016",
                indicator_code="A4.1",
                division_code="320281",
                month="2024-06",
                value=90,
            ),
            ManualInput(
                model_name="jiangsu2016",
                indicator_code="A4.1",
                division_code="320281",
                month="2024-07",
                value=10,
            ),
        ]
    )
    session.flush()
    return {"major": major.id, "star": star.id, "court_article": court.id}
