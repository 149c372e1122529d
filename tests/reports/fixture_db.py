"""A fixture database for the report tests: six Jiangsu cities, 13 months of index scores computed by the real
scoring engine (so the stored JSON has the engine's exact shape), events with a major one and its feedback, homepage
and ranking evidence, and portal records including a natural person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Appearance,
    Article,
    Event,
    EventArticle,
    EventStatus,
    FeedbackLink,
    FeedbackStatus,
    HomepageSnapshot,
    ListKind,
    PortalRecord,
    RankingEntry,
    RankingSnapshot,
    Site,
)
from scoring.datatypes import (
    CityMonthInputs,
    FeedbackItem,
    MajorEvent,
    TrustEvent,
    month_index,
    month_of_index,
)
from scoring.engine import score_city
from scoring.model import load_model
from scoring.ranking import rank_in_peer_sets
from scoring.store import store_results

MONTH = "2026-10"
HOME = "320281"  # 江阴市
# 江阴 and two other county-level cities (ranked among themselves), five prefecture-level cities (ranked apart).
CITIES = ["320281", "320100", "320200", "320500", "320600", "321300", "320282", "320581"]
# 常熟 gets 宜兴's figures: a tie on the total, which the report must show as 并列.
TWINS = {"320581": "320282"}
MODEL = "jiangsu2016"
SCRIPT_TITLE = "江阴某食品厂<b>过期原料</b>流入学校食堂<script>alert(1)</script>"
FORMULA_TITLE = '=HYPERLINK("http://evil.example/","点击")江阴某建筑公司拖欠农民工工资'
PERSON = "张三丰"
TRUST_TITLE = "江阴市入选全国守信激励创新试点城市"
COMPANY = "江阴市澄东化工有限公司"


@dataclass(frozen=True)
class Fixture:
    major_id: int
    formula_id: int
    months: list[str]


def _at(month: str, day: int, hour: int = 9) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), day, hour, 0, tzinfo=TZ)


def _inputs(
    code: str, month: str, i: int, majors: tuple[MajorEvent, ...], trust: tuple[TrustEvent, ...] = ()
) -> CityMonthInputs:
    """Deterministic, city- and month-dependent figures; the home city lacks one manual input (A3.1)."""
    k = CITIES.index(TWINS.get(code, code))
    metrics = {
        "articles.trust": 40.0 + 6 * k + i,
        "articles.distrust": 12.0 + 2 * k - (i % 4),
        "events.distrust": 8.0 + k + (i % 3),
        "articles.institution": 10.0 + 2 * k + i // 2,
        "institution.domains": float(2 + k % 3),
        "institution.subdomains": float(4 + k + i % 5),
        "events.institution": float(3 + k),
        "portal.double_publicity": 1500.0 + 300 * k + 20 * i,
        "portal.blacklist": 30.0 + 5 * k - i,
        "portal.gov_dishonest": float(k % 2),
    }
    manual = {"A4.1": 70.0 + 3 * k + i, "legal_entities": 40000.0 + 5000 * k}
    if code != HOME:
        manual["A3.1"] = 1.0
    return CityMonthInputs(
        division_code=code,
        month=month,
        name="",
        metrics=metrics,
        manual=manual,
        major_events=majors if code == HOME else (),
        trust_events=trust if code == HOME else (),
    )


def build(session: Session) -> Fixture:
    sites = {
        key: Site(key=key, name=name, kind="news", domains=[dom])
        for key, name, dom in [
            ("people", "人民网", "people.com.cn"),
            ("xinhua", "新华网", "news.cn"),
            ("sina", "新浪网", "sina.com.cn"),
            ("qq", "腾讯网", "qq.com"),
        ]
    }
    session.add_all(sites.values())
    session.flush()

    def article(site: str, n: int, title: str, when: datetime) -> Article:
        a = Article(
            site_id=sites[site].id,
            url=f"https://{sites[site].domains[0]}/a/{n}.html",
            title=title,
            published_at=when,
            body="正文",
            extractor="test",
        )
        session.add(a)
        return a

    # The major event of the month: on three homepages and second in a ranking list, answered within a day.
    seen = _at(MONTH, 12, 8)
    major = Event(
        title=SCRIPT_TITLE,
        kind="distrust",
        domain="society",
        subdomain="医药卫生",
        division_code=HOME,
        first_seen=seen,
        last_seen=seen + timedelta(days=2),
        status=EventStatus.MAJOR,
        major_since=seen + timedelta(hours=5),
        major_reason="3个网站首页同时出现",
    )
    formula = Event(
        title=FORMULA_TITLE,
        kind="distrust",
        domain="business",
        subdomain="工程建设",
        division_code=HOME,
        first_seen=_at(MONTH, 20),
        last_seen=_at(MONTH, 21),
        status=EventStatus.MAJOR,
        major_since=_at(MONTH, 21),
        major_reason="排行榜第1名",
    )
    session.add_all([major, formula])
    session.flush()
    arts = [article(s, n, SCRIPT_TITLE, seen) for n, s in enumerate(["people", "xinhua", "sina"], start=1)]
    arts.append(article("qq", 9, FORMULA_TITLE, _at(MONTH, 20)))
    session.flush()
    for a in arts[:3]:
        session.add(EventArticle(event_id=major.id, article_id=a.id))
    session.add(EventArticle(event_id=formula.id, article_id=arts[3].id))
    for n, a in enumerate(arts[:3]):
        snap = HomepageSnapshot(
            site_id=a.site_id, url="https://home/", captured_at=seen + timedelta(hours=1 + n)
        )
        snap.appearances.append(
            Appearance(position=2 + n, block="要闻", title=a.title, url=a.url, article_id=a.id)
        )
        session.add(snap)
    rank = RankingSnapshot(
        site_id=sites["sina"].id,
        list_name="新闻排行·24小时点击",
        period="24h",
        url="https://r/",
        captured_at=seen + timedelta(hours=4),
    )
    rank.entries.append(RankingEntry(rank=2, title=SCRIPT_TITLE, url=arts[2].url, article_id=arts[2].id))
    rank2 = RankingSnapshot(
        site_id=sites["qq"].id,
        list_name="热点排行",
        period="day",
        url="https://r2/",
        captured_at=_at(MONTH, 21),
    )
    rank2.entries.append(RankingEntry(rank=1, title=FORMULA_TITLE, url=arts[3].url, article_id=arts[3].id))
    session.add_all([rank, rank2])
    answer = article("people", 20, "江阴市市场监管局通报食品厂事件调查处理情况", seen + timedelta(hours=20))
    session.flush()
    session.add(
        FeedbackLink(
            event_id=major.id,
            article_id=answer.id,
            delay_hours=20.0,
            score=0.9,
            status=FeedbackStatus.CONFIRMED,
            reviewed_by="staff",
            reviewed_at=seen + timedelta(days=1),
        )
    )

    # Other events of the month (and one of the month before, which must not count).
    others = [
        ("distrust", "business", "生产", HOME),
        ("distrust", "business", "生产", HOME),
        ("distrust", "society", "劳动用工", HOME),
        ("trust", "government", "守信践诺", HOME),
        ("trust", "government", "守信践诺", HOME),
        ("trust", "judiciary", "法院", HOME),
        ("distrust", "business", "价格", "320200"),  # another city: not in 江阴's report
    ]
    for n, (kind, domain, sub, code) in enumerate(others):
        session.add(
            Event(
                title=f"事件{n}",
                kind=kind,
                domain=domain,
                subdomain=sub,
                division_code=code,
                first_seen=_at(MONTH, 3 + n),
                last_seen=_at(MONTH, 4 + n),
            )
        )
    session.add(
        Event(
            title="上月事件",
            kind="distrust",
            domain="business",
            subdomain="生产",
            division_code=HOME,
            first_seen=_at("2026-09", 10),
            last_seen=_at("2026-09", 11),
        )
    )

    # Portal records: a company (named), a natural person (masked), a government body, an exit this month.
    records = [
        (
            ListKind.BLACKLIST,
            COMPANY,
            "企业法人",
            "91320281MA1X2Y3Z4K",
            False,
            date(2026, 10, 8),
            None,
            "环境违法\x0b被列入严重失信主体名单",
        ),
        (
            ListKind.DISHONEST_DEBTOR,
            PERSON,
            "自然人",
            "3202811975****1234",
            False,
            date(2026, 10, 15),
            None,
            f"被执行人{PERSON}有履行能力而拒不履行生效法律文书确定义务",
        ),
        (
            ListKind.DISHONEST_DEBTOR,
            "江阴市某镇人民政府",
            "机关法人",
            None,
            True,
            date(2026, 3, 1),
            None,
            "违反财产报告制度",
        ),
        (
            ListKind.BLACKLIST,
            "江阴市旧账贸易有限公司",
            "企业法人",
            "91320281MA1A2B3C4D",
            False,
            date(2025, 5, 1),
            date(2026, 10, 20),
            "拖欠税款",
        ),
    ]
    for n, (kind, name, etype, code, gov, decided, removed, reason) in enumerate(records):
        session.add(
            PortalRecord(
                dedup_key=f"k{n}",
                list_kind=kind,
                entity_name=name,
                entity_type=etype,
                credit_code=code,
                is_government=gov,
                authority="江阴市人民法院",
                case_number=f"(2026)苏0281执{n}号",
                reason=reason,
                decided_on=decided,
                removed_on=removed,
                region_code=HOME,
                source="import:test.xlsx",
            )
        )
    session.flush()

    # 13 months of scores from the real engine.
    model = load_model(MODEL)
    last = month_index(MONTH)
    months = [month_of_index(last - 12 + i) for i in range(13)]
    for i, month in enumerate(months):
        majors: tuple[MajorEvent, ...] = ()
        if month == MONTH:
            majors = (
                MajorEvent(
                    ref=str(major.id),
                    title=major.title,
                    month=MONTH,
                    domain="society",
                    homepage_count=3,
                    feedback=(
                        FeedbackItem(
                            ref="feedback:1",
                            label=answer.title,
                            month=MONTH,
                            delay_hours=20.0,
                            url=answer.url,
                        ),
                    ),
                ),
                MajorEvent(
                    ref=str(formula.id), title=formula.title, month=MONTH, domain="business", homepage_count=3
                ),
            )
        # An important trust event two months before the report month: it still earns a (decayed) bonus.
        trust = (TrustEvent(ref="t1", title=TRUST_TITLE, month=months[10]),) if i >= 10 else ()
        results = rank_in_peer_sets(
            [score_city(model, _inputs(c, month, i, majors, trust)) for c in CITIES], model
        )
        store_results(session, results, computed_at=_at(month, 28))
    session.commit()
    return Fixture(major_id=major.id, formula_id=formula.id, months=months)
