"""The monthly report's data: one typed `MonthlyReport` assembled from the database, shared by every format.

Everything that knows the JSON shape the scoring engine stores in `IndexScore.aspects`, `.details` and
`.assumptions` (docs/scoring.md; `scoring.datatypes.CityResult.*_json`) sits in the "scoring JSON" section below,
so a change of that shape is one edit here. Missing data never raises: the fields are None or empty and
`MonthlyReport.notes` says what was missing, which every format prints as "暂无数据".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from config.settings import TZ, get_settings
from models import (
    Article,
    Event,
    EventStatus,
    FeedbackLink,
    FeedbackStatus,
    IndexScore,
    Institution,
    ListKind,
    PortalRecord,
)
from monitor.events_view import event_view
from monitor.reports.privacy import is_legal_entity, mask_name, scrub
from nlp.gazetteer import get_gazetteer
from scoring.ranking import ReconciliationLine, rank_label, rank_movement, reconciliation_of, tied
from storage import portal_queries as pq

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TREND_MONTHS = 12
ENTRY_LIMIT = 30  # new blacklist entries listed by name; the figures count them all


class ReportError(ValueError):
    """A request the report cannot serve (bad month, unknown city): a clear message, no traceback."""


# --------------------------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class TrendPoint:
    month: str
    total: float | None
    rank: int | None


@dataclass(frozen=True)
class AspectRow:
    code: str
    name: str
    role: str  # score | basic | deduction | offset | bonus
    weight: float | None
    points: float
    max_points: float
    share: float | None  # points / max_points (score aspects)
    contribution: float  # signed effect on the total
    previous_contribution: float | None
    previous_share: float | None

    @property
    def change(self) -> float | None:
        if self.previous_contribution is None:
            return None
        return round(self.contribution - self.previous_contribution, 4)


@dataclass(frozen=True)
class Sighting:
    """Evidence that an event was prominent: a homepage headline or a ranking-list entry."""

    site: str
    where: str  # homepage block (头条/要闻) or ranking list name
    position: int  # position on the homepage / rank in the list
    seen_at: datetime


@dataclass(frozen=True)
class FeedbackRow:
    label: str
    kind: str  # 反馈报道 | 信用制度
    confirmed: bool
    delay_hours: float | None
    url: str | None


@dataclass(frozen=True)
class MajorEventRow:
    ref: str
    title: str
    domain: str | None
    subdomain: str | None
    first_seen: datetime | None
    major_since: datetime | None
    reason: str | None
    sites: tuple[str, ...]  # sites that published it
    homepages: tuple[Sighting, ...]  # first sighting per site and block
    rankings: tuple[Sighting, ...]  # best rank per site and list
    deduction: float | None  # None: not in the stored score (scored before it became major)
    offset: float | None
    feedback: tuple[FeedbackRow, ...]

    @property
    def net(self) -> float | None:
        if self.deduction is None:
            return None
        return round((self.offset or 0.0) - self.deduction, 4)


@dataclass(frozen=True)
class TrustEventRow:
    """An important trust event (重要守信事件) in the scoring window and the bonus it earns this month."""

    ref: str
    title: str
    month: str
    bonus: float | None


@dataclass(frozen=True)
class DomainCount:
    domain: str | None  # government | business | society | judiciary | None
    subdomain: str | None
    distrust: int
    trust: int


@dataclass(frozen=True)
class ListFigure:
    kind: str  # ListKind value
    label: str
    active: int  # on the list at the end of the month
    new: int  # added in the month
    exited: int  # removed in the month


@dataclass(frozen=True)
class PortalEntry:
    list_label: str
    name: str  # masked for natural persons
    masked: bool
    authority: str | None
    reason: str | None
    decided_on: date | None


@dataclass(frozen=True)
class MissingInput:
    code: str
    name: str
    unit: str
    source: str  # manual | portal | crawled
    indicator: str  # "A3.1 城市信用网站开设信用信息公开栏目"
    aspect: str


@dataclass(frozen=True)
class Assumption:
    path: str
    value: Any
    note: str


@dataclass(frozen=True)
class PeerRow:
    code: str
    name: str
    total: float
    rank: int | None
    previous_total: float | None
    previous_rank: int | None
    is_subject: bool
    tied: bool = False  # another peer shares this rank
    previous_tied: bool = False

    @property
    def change(self) -> float | None:
        return None if self.previous_total is None else round(self.total - self.previous_total, 2)

    @property
    def rank_label(self) -> str:
        return rank_label(self.rank, self.tied)

    @property
    def previous_rank_label(self) -> str:
        return "—" if self.previous_rank is None else rank_label(self.previous_rank, self.previous_tied)


@dataclass(frozen=True)
class MonthlyReport:
    month: str
    city_code: str
    city_name: str
    model_name: str
    model_version: str | None
    model_title: str | None
    generated_at: datetime
    window: tuple[str, str] | None
    total: float | None
    rank: int | None
    peer_count: int | None
    previous_total: float | None
    previous_rank: int | None
    trend: tuple[TrendPoint, ...]
    aspects: tuple[AspectRow, ...]
    major_events: tuple[MajorEventRow, ...]
    major_deduction_total: float | None  # all major events in the window (time-decayed), from the score
    major_offset_total: float | None
    trust_highlights: tuple[TrustEventRow, ...]
    domain_counts: tuple[DomainCount, ...]
    lists: tuple[ListFigure, ...]
    gov_dishonest: int | None
    new_entries: tuple[PortalEntry, ...]
    new_entries_total: int
    missing_inputs: tuple[MissingInput, ...]
    assumptions: tuple[Assumption, ...]
    peers: tuple[PeerRow, ...]
    notes: tuple[str, ...] = field(default=())
    peer_set_label: str | None = None  # who the city is ranked with, e.g. 江苏省县（市、区）
    rank_tied: bool = False
    rank_delta: int | None = None  # places gained, only when comparable (scoring.ranking.rank_movement)
    base: float | None = None
    reconciliation: tuple[
        ReconciliationLine, ...
    ] = ()  # base + contributions (+ clip/veto) = total, two decimals

    @property
    def has_score(self) -> bool:
        return self.total is not None

    @property
    def change(self) -> float | None:
        if self.total is None or self.previous_total is None:
            return None
        return round(self.total - self.previous_total, 2)

    @property
    def rank_change(self) -> int | None:
        """Places gained since last month (positive = moved up); None when the ranks are not comparable."""
        return self.rank_delta

    @property
    def rank_label(self) -> str:
        return rank_label(self.rank, self.rank_tied)

    @property
    def distrust_events(self) -> int:
        return sum(d.distrust for d in self.domain_counts)

    @property
    def trust_events(self) -> int:
        return sum(d.trust for d in self.domain_counts)


# ------------------------------------------------------------------------------------------------ months, cities


def check_month(month: str) -> str:
    if not _MONTH.match(month or ""):
        raise ReportError(f"月份「{month}」有误：应为“年-月”格式，如 2024-06")
    return month


def shift_month(month: str, delta: int) -> str:
    year, mon = (int(x) for x in month.split("-"))
    i = year * 12 + mon - 1 + delta
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of the month in Asia/Shanghai."""
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=TZ)
    nyear, nmon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return start, datetime(nyear, nmon, 1, tzinfo=TZ)


def resolve_city(text: str | None) -> tuple[str, str]:
    """A 6-digit code or a (short) name → (code, full name); default: the configured home city."""
    g = get_gazetteer()
    wanted = (text or get_settings().home_city).strip()
    if re.fullmatch(r"\d{6}", wanted):
        d = g.get(wanted)
        if d is None:
            raise ReportError(f"行政区划表中没有代码为 {wanted} 的城市")
        return d.code, d.name
    found = [d for d in g.lookup(wanted) if d.level != "province"]
    if not found:
        raise ReportError(f"行政区划表中没有名为「{wanted}」的城市")
    if len(found) > 1:
        options = "、".join(f"{d.code} {d.name}" for d in found)
        raise ReportError(f"「{wanted}」对应多个行政区（{options}）：请改用 6 位代码")
    return found[0].code, found[0].name


def city_name(code: str) -> str:
    d = get_gazetteer().get(code)
    return d.name if d else code


def area_codes(code: str) -> list[str]:
    """The division and every unit under it: an event in 江阴 is also an event of 无锡 (as scoring.inputs counts it;
    the portals area's definition, so list figures and event counts cover the same area)."""
    return pq.city_codes(code)


# ---------------------------------------------------------------------------------------------- scoring JSON
# The only place that reads the engine's JSON (docs/scoring.md):
#   aspects     {code: {name, role, weight, points, max_points, share, contribution, passed}}
#   details     {model, version, name, window: {from, to}, raw_total, peers, vetoed, failed, missing,
#                indicators: {aspect code: [indicator {code, name, source, points, max_points, value, share,
#                             missing, inputs: [{code, name, source, metric, value, unit, ...}], children?}]},
#                events: [{ref, title, domain, month, url, age_months, decay, deduction, offset, net,
#                          feedback_weight, feedback: [{ref, label, month, delay_hours, url}]}],
#                trust_events: [...]}
#   assumptions [{path, value, note}]


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _aspect_rows(aspects: dict[str, Any], previous: dict[str, Any] | None) -> tuple[AspectRow, ...]:
    rows = []
    for code, a in (aspects or {}).items():
        if not isinstance(a, dict):
            continue
        prev = (previous or {}).get(code) if previous else None
        prev = prev if isinstance(prev, dict) else None
        rows.append(
            AspectRow(
                code=str(code),
                name=str(a.get("name") or code),
                role=str(a.get("role") or "score"),
                weight=_num(a.get("weight")),
                points=_num(a.get("points")) or 0.0,
                max_points=_num(a.get("max_points")) or 0.0,
                share=_num(a.get("share")),
                contribution=_num(a.get("contribution")) or 0.0,
                previous_contribution=_num(prev.get("contribution")) if prev else None,
                previous_share=_num(prev.get("share")) if prev else None,
            )
        )
    return tuple(rows)


def _window(details: dict[str, Any]) -> tuple[str, str] | None:
    w = details.get("window")
    if isinstance(w, dict) and w.get("from") and w.get("to"):
        return str(w["from"]), str(w["to"])
    return None


def _trust_highlights(details: dict[str, Any]) -> tuple[TrustEventRow, ...]:
    rows = [
        TrustEventRow(
            str(t.get("ref")), str(t.get("title") or ""), str(t.get("month") or ""), _num(t.get("bonus"))
        )
        for t in details.get("trust_events") or []
        if isinstance(t, dict)
    ]
    return tuple(sorted(rows, key=lambda t: (t.month, t.ref), reverse=True))


def _scored_events(details: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Major events in the score, by ref (the event id as text)."""
    return {str(e.get("ref")): e for e in details.get("events") or [] if isinstance(e, dict)}


def _walk_indicators(items: Iterable[Any]) -> Iterator[dict[str, Any]]:
    for ind in items:
        if isinstance(ind, dict):
            yield ind
            yield from _walk_indicators(ind.get("children") or [])


def _missing_inputs(details: dict[str, Any], aspects: dict[str, Any]) -> tuple[MissingInput, ...]:
    out: list[MissingInput] = []
    seen: set[str] = set()
    for aspect_code, indicators in (details.get("indicators") or {}).items():
        aspect = aspects.get(aspect_code, {}) if isinstance(aspects, dict) else {}
        aspect_name = f"{aspect_code} {aspect.get('name', '')}".strip()
        for ind in _walk_indicators(indicators or []):
            for inp in ind.get("inputs") or []:
                if not isinstance(inp, dict) or inp.get("value") is not None or inp.get("code") in seen:
                    continue
                seen.add(str(inp.get("code")))
                out.append(
                    MissingInput(
                        code=str(inp.get("code")),
                        name=str(inp.get("name") or ind.get("name") or ""),
                        unit=str(inp.get("unit") or ""),
                        source=str(inp.get("source") or ind.get("source") or ""),
                        indicator=f"{ind.get('code', '')} {ind.get('name', '')}".strip(),
                        aspect=aspect_name,
                    )
                )
    # Manual inputs first: those are the office's own job.
    order = {"manual": 0, "portal": 1}
    return tuple(sorted(out, key=lambda m: (order.get(m.source, 2), m.code)))


def _assumptions(raw: Any) -> tuple[Assumption, ...]:
    return tuple(
        Assumption(path=str(a.get("path", "")), value=a.get("value"), note=str(a.get("note") or ""))
        for a in raw or []
        if isinstance(a, dict)
    )


def _event_totals(aspects: dict[str, Any], details: dict[str, Any]) -> tuple[float | None, float | None]:
    """Total deduction and offset of major events in the window: the aspects with those roles."""
    deduction = offset = None
    for a in (aspects or {}).values():
        if isinstance(a, dict) and a.get("role") == "deduction":
            deduction = (deduction or 0.0) + (_num(a.get("points")) or 0.0)
        if isinstance(a, dict) and a.get("role") == "offset":
            offset = (offset or 0.0) + (_num(a.get("points")) or 0.0)
    if deduction is None and details.get("events"):
        deduction = sum(_num(e.get("deduction")) or 0.0 for e in details["events"] if isinstance(e, dict))
        offset = sum(_num(e.get("offset")) or 0.0 for e in details["events"] if isinstance(e, dict))
    return deduction, offset


# -------------------------------------------------------------------------------------------------- index rows


def _latest_score(
    session: Session, model: str, code: str, month: str, version: str | None = None
) -> IndexScore | None:
    """The row of the model version in force (docs/scoring.md: the current model file's version); without one,
    the latest computation (several versions may have been scored, e.g. for what-if comparisons)."""
    rows = session.scalars(
        select(IndexScore)
        .where(IndexScore.model_name == model, IndexScore.division_code == code, IndexScore.month == month)
        .order_by(IndexScore.computed_at.desc(), IndexScore.id.desc())
    ).all()
    current = [r for r in rows if version is not None and r.model_version == version]
    best = current or list(rows)
    return best[0] if best else None


def _current_version(name: str) -> str | None:
    try:
        from scoring.model import load_model

        return load_model(name).version
    except (ImportError, ValueError, OSError):
        return None


def _peer_scores(session: Session, model: str, version: str, month: str) -> list[IndexScore]:
    return list(
        session.scalars(
            select(IndexScore).where(
                IndexScore.model_name == model, IndexScore.model_version == version, IndexScore.month == month
            )
        )
    )


def _peer_set(score: IndexScore | None) -> str | None:
    details = score.details if score is not None and isinstance(score.details, dict) else {}
    key = details.get("peer_set")
    return str(key) if key else None


def _peer_rows(session: Session, subject: IndexScore, previous: IndexScore | None) -> tuple[PeerRow, ...]:
    """The members of the subject's peer set (scores stored before peer sets existed: every city scored with it),
    with last month's rank only where the peer was ranked in the same peer set."""
    key = _peer_set(subject)
    rows = [
        s
        for s in _peer_scores(session, subject.model_name, subject.model_version, subject.month)
        if _peer_set(s) == key
    ]
    prev_version = previous.model_version if previous else subject.model_version
    before = {
        s.division_code: s
        for s in _peer_scores(session, subject.model_name, prev_version, shift_month(subject.month, -1))
        if _peer_set(s) == key
    }
    ranks = [s.rank for s in rows]
    prev_ranks = [s.rank for s in before.values()]
    out = [
        PeerRow(
            code=s.division_code,
            name=city_name(s.division_code),
            total=s.total,
            rank=s.rank,
            previous_total=before[s.division_code].total if s.division_code in before else None,
            previous_rank=before[s.division_code].rank if s.division_code in before else None,
            is_subject=s.division_code == subject.division_code,
            tied=tied(s.rank, ranks),
            previous_tied=s.division_code in before and tied(before[s.division_code].rank, prev_ranks),
        )
        for s in rows
    ]
    out.sort(key=lambda p: (p.rank is None, p.rank or 0, -p.total, p.code))
    return tuple(out)


def _model_info(name: str, version: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    """Title and assumptions of the model file (config/index_models), or (None, []) if it cannot be loaded:
    the report then says so instead of failing."""
    try:
        from scoring.model import load_model

        m = load_model(name, version)
    except (ImportError, ValueError, OSError):
        return None, []
    return getattr(m, "title", None), m.assumptions()


# ------------------------------------------------------------------------------------------------------ events


def _major_events(
    session: Session, codes: list[str], month: str, scored: dict[str, dict[str, Any]]
) -> tuple[MajorEventRow, ...]:
    start, end = month_bounds(month)
    events = list(
        session.scalars(
            select(Event)
            .where(
                Event.status == EventStatus.MAJOR,
                Event.division_code.in_(codes),
                or_(
                    Event.major_since.between(start, end - timedelta(microseconds=1)),
                    Event.major_since.is_(None)
                    & Event.first_seen.between(start, end - timedelta(microseconds=1)),
                ),
            )
            .order_by(Event.major_since, Event.id)
        )
    )
    rows = [_major_event_row(session, e, scored.get(str(e.id))) for e in events]
    # Events the score deducts for this month but the events table no longer holds (re-clustered, deleted).
    known = {str(e.id) for e in events}
    for ref, s in scored.items():
        if ref not in known and s.get("month") == month:
            rows.append(
                MajorEventRow(
                    ref=ref,
                    title=str(s.get("title") or ""),
                    domain=s.get("domain"),
                    subdomain=None,
                    first_seen=None,
                    major_since=None,
                    reason=None,
                    sites=(),
                    homepages=(),
                    rankings=(),
                    deduction=_num(s.get("deduction")),
                    offset=_num(s.get("offset")),
                    feedback=tuple(
                        FeedbackRow(
                            str(f.get("label") or ""), "反馈", True, _num(f.get("delay_hours")), f.get("url")
                        )
                        for f in s.get("feedback") or []
                        if isinstance(f, dict)
                    ),
                )
            )
    return tuple(rows)


def _major_event_row(session: Session, event: Event, scored: dict[str, Any] | None) -> MajorEventRow:
    # The events area's view: the same sites and sightings the web console shows.
    view = event_view(session, event.id)
    homepages: dict[tuple[str, str], Sighting] = {}
    for h in sorted(view.homepages, key=lambda h: (h.captured_at, h.position)):
        homepages.setdefault(
            (h.site_name, h.block), Sighting(h.site_name, h.block, h.position, h.captured_at)
        )
    rankings = [Sighting(r["site"], r["list"], r["best_rank"], r["first"]) for r in view.rankings]
    feedback = []
    for link in session.scalars(
        select(FeedbackLink)
        .where(FeedbackLink.event_id == event.id, FeedbackLink.status != FeedbackStatus.REJECTED)
        .order_by(FeedbackLink.delay_hours, FeedbackLink.id)
    ):
        label, url, kind = "", None, "反馈报道"
        if link.article_id is not None:
            art = session.get(Article, link.article_id)
            label, url = (art.title, art.url) if art else ("", None)
        elif link.institution_id is not None:
            inst = session.get(Institution, link.institution_id)
            label, url, kind = (inst.title, inst.url, "信用制度") if inst else ("", None, "信用制度")
        feedback.append(
            FeedbackRow(label, kind, link.status == FeedbackStatus.CONFIRMED, link.delay_hours, url)
        )
    return MajorEventRow(
        ref=str(event.id),
        title=event.title,
        domain=event.domain,
        subdomain=event.subdomain,
        first_seen=view.first_seen,
        major_since=event.major_since,
        reason=event.major_reason,
        sites=tuple(view.sites),
        homepages=tuple(sorted(homepages.values(), key=lambda s: s.seen_at)),
        rankings=tuple(sorted(rankings, key=lambda s: (s.position, s.seen_at))),
        deduction=_num(scored.get("deduction")) if scored else None,
        offset=_num(scored.get("offset")) if scored else None,
        feedback=tuple(feedback),
    )


def _domain_counts(session: Session, codes: list[str], month: str) -> tuple[DomainCount, ...]:
    start, end = month_bounds(month)
    counts: dict[tuple[str | None, str | None], Counter[str]] = defaultdict(Counter)
    for kind, domain, subdomain in session.execute(
        select(Event.kind, Event.domain, Event.subdomain).where(
            Event.division_code.in_(codes),
            Event.kind.in_(("distrust", "trust")),
            Event.first_seen >= start,
            Event.first_seen < end,
        )
    ):
        counts[(domain, subdomain)][str(kind)] += 1
    order = {"government": 0, "business": 1, "society": 2, "judiciary": 3}
    rows = [DomainCount(d, s, c["distrust"], c["trust"]) for (d, s), c in counts.items()]
    rows.sort(key=lambda r: (order.get(r.domain or "", 9), -(r.distrust + r.trust), r.subdomain or ""))
    return tuple(rows)


# ------------------------------------------------------------------------------------------------------ portals

_LISTS: tuple[tuple[ListKind, str], ...] = (
    (ListKind.BLACKLIST, "黑名单"),
    (ListKind.DISHONEST_DEBTOR, "失信被执行人"),
    (ListKind.WATCHLIST, "重点关注名单"),
    (ListKind.REDLIST, "红名单"),
)
_NAMED_LISTS = {ListKind.BLACKLIST, ListKind.DISHONEST_DEBTOR, ListKind.WATCHLIST}


def _portal(
    session: Session, code: str, month: str
) -> tuple[tuple[ListFigure, ...], int | None, tuple[PortalEntry, ...], int]:
    """List figures as the portals area defines them (storage.portal_queries), plus the month's new entries."""
    first, last = pq.month_bounds(month)
    codes = area_codes(code)
    records = list(
        session.scalars(
            select(PortalRecord).where(
                PortalRecord.region_code.in_(codes), PortalRecord.list_kind.in_([k for k, _ in _LISTS])
            )
        )
    )
    if not records:
        return (), None, (), 0
    figures = []
    for kind, label in _LISTS:
        m = pq.list_month(session, code, month, kinds=(kind,))
        figures.append(ListFigure(kind.value, label, m.active, m.new_entries, m.exits))
    gov = pq.government_dishonest_debtors(session, code, month).active_entities
    labels = dict(_LISTS)
    new_entries = [
        _entry(r, labels[r.list_kind])
        for r in records
        if r.list_kind in _NAMED_LISTS
        and (entered := r.decided_on or r.published_on)
        and first <= entered <= last
    ]
    new_entries.sort(key=lambda e: (e.decided_on or first, e.list_label, e.name))
    return tuple(figures), gov, tuple(new_entries[:ENTRY_LIMIT]), len(new_entries)


def _entry(r: PortalRecord, label: str) -> PortalEntry:
    legal = is_legal_entity(r.entity_name, r.entity_type, r.credit_code, r.is_government)
    name = r.entity_name if legal else mask_name(r.entity_name)
    reason = r.reason if legal else scrub(r.reason, r.entity_name, name)
    return PortalEntry(label, name, not legal, r.authority, reason, r.decided_on or r.published_on)


# ---------------------------------------------------------------------------------------------------- assembly


def build_report(
    session: Session, month: str, city: str | None = None, model: str | None = None
) -> MonthlyReport:
    """Assemble the monthly report of `city` (code or name; default: the home city) under `model`."""
    check_month(month)
    code, name = resolve_city(city)
    model_name = model or get_settings().index_model
    notes: list[str] = []

    version = _current_version(model_name)
    score = _latest_score(session, model_name, code, month, version)
    prev_month = shift_month(month, -1)
    previous = _latest_score(session, model_name, code, prev_month, version)
    if (
        score is None
        and version is None
        and not session.scalars(
            select(IndexScore.id).where(IndexScore.model_name == model_name).limit(1)
        ).first()
    ):
        raise ReportError(f"指数模型「{model_name}」既没有模型文件，也没有算过的指数")
    if score is None:
        notes.append(
            f"{month} 尚无 {name} 的综合指数（模型 {model_name}）：指数由每晚的定时任务计算，"
            "该月尚未算出时请联系管理员补算。"
        )
    if previous is None:
        notes.append(f"{prev_month} 无指数记录，无法计算环比。")

    trend = []
    for i in range(TREND_MONTHS - 1, -1, -1):
        m = shift_month(month, -i)
        s = (
            score
            if m == month
            else previous
            if m == prev_month
            else _latest_score(session, model_name, code, m, version)
        )
        trend.append(TrendPoint(m, s.total if s else None, s.rank if s else None))

    aspects_json = score.aspects if score else {}
    details = score.details if score and isinstance(score.details, dict) else {}
    scored_events = _scored_events(details)
    deduction_total, offset_total = _event_totals(aspects_json, details)
    peers = _peer_rows(session, score, previous) if score else ()
    peer_count = details.get("peers") if isinstance(details.get("peers"), int) else (len(peers) or None)
    subject_row = next((p for p in peers if p.is_subject), None)
    rank_delta = rank_movement(
        score.rank if score else None,
        previous.rank if previous else None,
        same_peer_set=_peer_set(score) == _peer_set(previous),
        total_changed=subject_row is None or subject_row.change != 0,
        peers_changed=any(p.change != 0 for p in peers if not p.is_subject),
    )
    base = _num(details.get("base"))
    reconciliation = (
        reconciliation_of(base, aspects_json or {}, score.total, bool(details.get("vetoed")))
        if score is not None and base is not None
        else ()
    )
    if score is not None and score.rank is None and details.get("peer_set") is None and "base" in details:
        notes.append(f"模型 {model_name} 不对{name}这一级别的城市排名，本报告不列排名。")

    if details.get("vetoed"):
        failed = "、".join(str(c) for c in details.get("failed") or [])
        notes.append(
            f"基础指标未通过（{failed}），一票否决：综合指数记为 {score.total if score else 0:.2f}。"
        )
    if score is not None and version is not None and score.model_version != version:
        notes.append(f"本月指数按模型 {model_name} v{score.model_version} 计算，现行模型文件为 v{version}。")

    title, model_assumptions = _model_info(model_name, score.model_version if score else None)
    assumptions = score.assumptions if score and score.assumptions else model_assumptions
    if not assumptions:
        notes.append(f"无法读取指数模型 {model_name} 的假设参数。")

    codes = area_codes(code)
    lists, gov, entries, entries_total = _portal(session, code, month)
    if not lists:
        notes.append("本市暂无信用门户名单记录（黑名单、失信被执行人等）。")

    return MonthlyReport(
        month=month,
        city_code=code,
        city_name=name,
        model_name=model_name,
        model_version=score.model_version if score else None,
        model_title=title,
        generated_at=datetime.now(TZ),
        window=_window(details),
        total=score.total if score else None,
        rank=score.rank if score else None,
        peer_count=peer_count,
        previous_total=previous.total if previous else None,
        previous_rank=previous.rank if previous else None,
        trend=tuple(trend),
        aspects=_aspect_rows(aspects_json, previous.aspects if previous else None),
        major_events=_major_events(session, codes, month, scored_events),
        major_deduction_total=deduction_total,
        major_offset_total=offset_total,
        trust_highlights=_trust_highlights(details),
        domain_counts=_domain_counts(session, codes, month),
        lists=lists,
        gov_dishonest=gov,
        new_entries=entries,
        new_entries_total=entries_total,
        missing_inputs=_missing_inputs(details, aspects_json),
        assumptions=_assumptions(assumptions),
        peers=peers,
        notes=tuple(notes),
        peer_set_label=str(details["peer_set_label"]) if details.get("peer_set_label") else None,
        rank_tied=subject_row.tied if subject_row else False,
        rank_delta=rank_delta,
        base=base,
        reconciliation=reconciliation,
    )
