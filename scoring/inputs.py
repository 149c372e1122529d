"""The database adapter: gathers `CityMonthInputs` for a set of cities and one month under one model.

City matching: an item attributed to a county counts for that county and for its prefecture when the prefecture
is scored too (a prefecture's index covers its counties); an item attributed to a prefecture counts only for the
prefecture. Articles count once per city even when attributed several times.

Window: the model's `window_months` ending with the scored month, in Asia/Shanghai time. Articles are dated by
`published_at` (else when they were stored). Portal list sizes are taken at the end of the month; additions and
exits within the month; 双公示 and judgments within the window. Manual inputs: the latest value entered for a month
at or before the scored month (figures such as the number of legal entities are not re-entered monthly).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
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
    RankingEntry,
)
from scoring.datatypes import (
    CityMonthInputs,
    Evidence,
    FeedbackItem,
    MajorEvent,
    TrustEvent,
    month_index,
    month_of_index,
)
from scoring.engine import gc_paused
from scoring.metrics import CRAWLED, DOMAINS, KINDS
from scoring.model import IndexModel

COURT_SUBDOMAINS = {"法院", "检察院"}
PUBLIC_SECURITY = {"公共安全"}
# seed 003 二(四): a distrust event on the homepages of 3 or more of the 15 websites is major; the same bar marks
# an important trust event, as does any place in a ranking list.
TRUST_HOMEPAGES = 3


def month_bounds(month: str, window_months: int = 1) -> tuple[datetime, datetime]:
    """[start, end) of the `window_months` months ending with `month`, as Asia/Shanghai datetimes."""
    last = month_index(month)
    first = month_of_index(last - window_months + 1)
    after = month_of_index(last + 1)
    start = datetime(int(first[:4]), int(first[5:]), 1, tzinfo=TZ)
    end = datetime(int(after[:4]), int(after[5:]), 1, tzinfo=TZ)
    return start, end


def _month_of(dt: datetime | date | None) -> str | None:
    if dt is None:
        return None
    if isinstance(dt, datetime):
        dt = dt.astimezone(TZ)
    return f"{dt.year:04d}-{dt.month:02d}"


class _CityIndex:
    """Maps an attributed division code to the scored cities it counts for."""

    def __init__(self, cities: Sequence[str]) -> None:
        self.cities = set(cities)

    def targets(self, code: str | None) -> list[str]:
        if not code:
            return []
        out = [code] if code in self.cities else []
        if not code.endswith("00"):
            prefecture = code[:4] + "00"
            if prefecture in self.cities:
                out.append(prefecture)
        return out


def gather_inputs(
    session: Session, model: IndexModel, month: str, cities: Sequence[str]
) -> list[CityMonthInputs]:
    """Inputs for every city in `cities` (GB/T 2260 codes) for `month` under `model`."""
    month_index(month)  # validates the format
    # One Evidence per article, event and portal record of the window, per city and key, all alive until scored:
    # the cyclic collector would walk them over and over while they are built (see `scoring.engine.gc_paused`).
    with gc_paused():
        return _gather(session, model, month, cities)


def _gather(session: Session, model: IndexModel, month: str, cities: Sequence[str]) -> list[CityMonthInputs]:
    idx = _CityIndex(cities)
    start, end = month_bounds(month, model.window_months)
    m_start, _ = month_bounds(month, 1)
    metrics: dict[str, dict[str, float]] = {c: dict.fromkeys(CRAWLED, 0.0) for c in cities}
    evidence: dict[str, dict[str, list[Evidence]]] = {c: defaultdict(list) for c in cities}

    _articles(session, idx, start, end, metrics, evidence)
    events_major = _events(session, idx, start, end, metrics, evidence, month)
    trust_events = _trust_events(session, idx, start, end)
    _institutions(session, idx, start, end, metrics, evidence)
    _portal(session, idx, start, end, m_start, metrics, evidence)
    manual = _manual(session, model.name, month, cities)
    names = dict(
        session.execute(select(Division.code, Division.name).where(Division.code.in_(list(cities)))).all()
    )
    return [
        CityMonthInputs(
            division_code=c,
            month=month,
            name=names.get(c, ""),
            metrics=metrics[c],
            manual=manual.get(c, {}),
            evidence={k: tuple(v) for k, v in evidence[c].items()},
            major_events=tuple(events_major.get(c, ())),
            trust_events=tuple(trust_events.get(c, ())),
        )
        for c in cities
    ]


def _in_window(column, start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return (column >= start) & (column < end)


def _articles(
    session: Session,
    idx: _CityIndex,
    start: datetime,
    end: datetime,
    metrics: dict[str, dict[str, float]],
    evidence: dict[str, dict[str, list[Evidence]]],
) -> None:
    dated = func.coalesce(Article.published_at, Article.created_at)
    rows = session.execute(
        select(
            Article.id, Article.title, Article.url, dated, CityAttribution.division_code,
            Classification.kind, Classification.domain, Classification.subdomain,
        )
        .join(Classification, (Classification.article_id == Article.id) & Classification.is_current.is_(True))
        .join(CityAttribution, CityAttribution.article_id == Article.id)
        .where(_in_window(dated, start, end), Classification.kind.in_(KINDS))
    ).all()  # fmt: skip
    seen: set[tuple[str, int]] = set()
    for art_id, title, url, published, code, kind, domain, subdomain in rows:
        for city in idx.targets(code):
            if (city, art_id) in seen:
                continue
            seen.add((city, art_id))
            ev = Evidence("article", str(art_id), title, url, _month_of(published))
            keys = [f"articles.{kind}"]
            if domain in DOMAINS:
                keys.append(f"articles.{kind}.{domain}")
            if kind == "distrust" and subdomain in COURT_SUBDOMAINS:
                keys.append("articles.distrust.courts")
            if kind == "distrust" and subdomain in PUBLIC_SECURITY:
                keys.append("articles.distrust.public_security")
            for key in keys:
                metrics[city][key] += 1
                evidence[city][key].append(ev)


def _homepage_counts(session: Session, event_ids: Iterable[int]) -> dict[int, int]:
    ids = list(event_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(EventArticle.event_id, func.count(func.distinct(HomepageSnapshot.site_id)))
        .join(Appearance, Appearance.article_id == EventArticle.article_id)
        .join(HomepageSnapshot, HomepageSnapshot.id == Appearance.snapshot_id)
        .where(EventArticle.event_id.in_(ids))
        .group_by(EventArticle.event_id)
    ).all()
    return {eid: int(n) for eid, n in rows}


def _events(
    session: Session,
    idx: _CityIndex,
    start: datetime,
    end: datetime,
    metrics: dict[str, dict[str, float]],
    evidence: dict[str, dict[str, list[Evidence]]],
    month: str,
) -> dict[str, list[MajorEvent]]:
    rows = session.scalars(
        select(Event).where(_in_window(Event.first_seen, start, end), Event.kind.in_(KINDS))
    ).all()
    for ev in rows:
        for city in idx.targets(ev.division_code):
            metrics[city][f"events.{ev.kind}"] += 1
            evidence[city][f"events.{ev.kind}"].append(
                Evidence("event", str(ev.id), ev.title, None, _month_of(ev.first_seen))
            )

    majors = session.scalars(
        select(Event).where(Event.status == EventStatus.MAJOR, _in_window(Event.major_since, start, end))
    ).all()
    homepages = _homepage_counts(session, (e.id for e in majors))
    links = session.execute(
        select(
            FeedbackLink,
            Article.title,
            Article.url,
            Article.published_at,
            Institution.title,
            Institution.published_at,
        )
        .outerjoin(Article, Article.id == FeedbackLink.article_id)
        .outerjoin(Institution, Institution.id == FeedbackLink.institution_id)
        .where(
            FeedbackLink.event_id.in_([e.id for e in majors]), FeedbackLink.status == FeedbackStatus.CONFIRMED
        )
    ).all()
    answers: dict[int, list[FeedbackItem]] = defaultdict(list)
    for link, a_title, a_url, a_pub, i_title, i_pub in links:
        when = a_pub or i_pub or link.reviewed_at or link.created_at
        answers[link.event_id].append(
            FeedbackItem(
                ref=f"feedback:{link.id}",
                label=a_title or i_title or f"feedback {link.id}",
                month=_month_of(when) or month,
                delay_hours=link.delay_hours,
                url=a_url,
            )
        )
    out: dict[str, list[MajorEvent]] = defaultdict(list)
    for ev in majors:
        feedback = tuple(answers.get(ev.id, ()))
        item = MajorEvent(
            ref=str(ev.id),
            title=ev.title,
            month=_month_of(ev.major_since) or month,
            domain=ev.domain,
            # At least the threshold: the event was ruled major, by ranking or by homepages.
            homepage_count=max(homepages.get(ev.id, 0), 3),
            feedback=feedback,
        )
        for city in idx.targets(ev.division_code):
            out[city].append(item)
            metrics[city]["events.major"] += 1
            if ev.domain in DOMAINS:
                metrics[city][f"events.major.{ev.domain}"] += 1
            evidence[city]["events.major"].append(Evidence("event", str(ev.id), ev.title, None, item.month))
            metrics[city]["feedback.confirmed"] += len(feedback)
            for f in feedback:
                evidence[city]["feedback.confirmed"].append(
                    Evidence("feedback", f.ref, f.label, f.url, f.month)
                )
    return out


def _trust_events(
    session: Session, idx: _CityIndex, start: datetime, end: datetime
) -> dict[str, list[TrustEvent]]:
    trust = session.scalars(
        select(Event).where(Event.kind == "trust", _in_window(Event.first_seen, start, end))
    ).all()
    if not trust:
        return {}
    ids = [e.id for e in trust]
    homepages = _homepage_counts(session, ids)
    ranked = set(
        session.scalars(
            select(EventArticle.event_id)
            .join(RankingEntry, RankingEntry.article_id == EventArticle.article_id)
            .where(EventArticle.event_id.in_(ids))
        ).all()
    )
    out: dict[str, list[TrustEvent]] = defaultdict(list)
    for ev in trust:
        if ev.id in ranked or homepages.get(ev.id, 0) >= TRUST_HOMEPAGES:
            for city in idx.targets(ev.division_code):
                out[city].append(TrustEvent(str(ev.id), ev.title, _month_of(ev.first_seen) or ""))
    return out


def _institutions(
    session: Session,
    idx: _CityIndex,
    start: datetime,
    end: datetime,
    metrics: dict[str, dict[str, float]],
    evidence: dict[str, dict[str, list[Evidence]]],
) -> None:
    dated = func.coalesce(Institution.published_at, Institution.created_at)
    rows = session.execute(
        select(Institution.id, Institution.title, Institution.url, Institution.division_code, Institution.domain,
               Institution.subdomain, dated).where(_in_window(dated, start, end))
    ).all()  # fmt: skip
    domains: dict[str, set[str]] = defaultdict(set)
    subdomains: dict[str, set[str]] = defaultdict(set)
    for iid, title, url, code, domain, subdomain, published in rows:
        for city in idx.targets(code):
            ev = Evidence("institution", str(iid), title, url, _month_of(published))
            if domain in DOMAINS:
                domains[city].add(domain)
                evidence[city]["institution.domains"].append(ev)
            if subdomain:
                subdomains[city].add(subdomain)
                evidence[city]["institution.subdomains"].append(ev)
    for city in idx.cities:
        metrics[city]["institution.domains"] = float(len(domains[city]))
        metrics[city]["institution.subdomains"] = float(len(subdomains[city]))


def _portal(
    session: Session,
    idx: _CityIndex,
    start: datetime,
    end: datetime,
    month_start: datetime,
    metrics: dict[str, dict[str, float]],
    evidence: dict[str, dict[str, list[Evidence]]],
) -> None:
    last_day = (end - timedelta(days=1)).date()
    first_day, month_first = start.date(), month_start.date()
    rows = session.execute(
        select(PortalRecord.id, PortalRecord.list_kind, PortalRecord.entity_name, PortalRecord.region_code,
               PortalRecord.decided_on, PortalRecord.removed_on, PortalRecord.is_government, PortalRecord.reason,
               PortalRecord.source_ref)
        .where(or_(PortalRecord.decided_on.is_(None), PortalRecord.decided_on <= last_day))
    ).all()  # fmt: skip
    seen_city: set[str] = set()
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rid, kind, name, code, decided, removed, is_gov, reason, ref in rows:
        for city in idx.targets(code):
            seen_city.add(city)
            ev = Evidence(
                "portal", str(rid), name, ref if ref and ref.startswith("http") else None, _month_of(decided)
            )
            current = removed is None or removed > last_day
            in_window = decided is not None and first_day <= decided <= last_day
            in_month = decided is not None and month_first <= decided <= last_day
            exited = removed is not None and month_first <= removed <= last_day

            def add(key: str, ev: Evidence = ev, city: str = city) -> None:
                counts[city][key] += 1
                evidence[city][key].append(ev)

            if in_window:
                add("portal.records")
            if kind is ListKind.BLACKLIST:
                if current:
                    add("portal.blacklist")
                if in_month:
                    add("portal.blacklist_new")
                if exited:
                    add("portal.blacklist_exit")
            elif kind is ListKind.WATCHLIST:
                if current:
                    add("portal.watchlist")
                if in_month:
                    add("portal.watchlist_new")
                if exited:
                    add("portal.watchlist_exit")
            elif kind is ListKind.REDLIST and current:
                add("portal.redlist")
            elif kind is ListKind.DISHONEST_DEBTOR and current:
                add("portal.dishonest_debtor")
                if is_gov:
                    add("portal.gov_dishonest")
            elif kind in (ListKind.PERMIT, ListKind.PENALTY) and in_window:
                add("portal.double_publicity")
            elif kind is ListKind.JUDGMENT and in_window and reason and "合同" in reason:
                add("portal.contract_judgments")
    from scoring.metrics import PORTAL

    # A city with no portal record at all has no portal figures (missing, not zero); one with records has zeros
    # for the lists it is absent from.
    for city in seen_city:
        for key in PORTAL:
            metrics[city][key] = counts[city].get(key, 0.0)


def _manual(
    session: Session, model_name: str, month: str, cities: Sequence[str]
) -> dict[str, dict[str, float]]:
    rows = session.execute(
        select(ManualInput.division_code, ManualInput.indicator_code, ManualInput.value, ManualInput.month)
        .where(ManualInput.model_name == model_name, ManualInput.month <= month,
               ManualInput.division_code.in_(list(cities)))
        .order_by(ManualInput.month)
    ).all()  # fmt: skip
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for code, indicator, value, _month in rows:
        out[code][indicator] = float(value)  # later months overwrite earlier ones
    return out
