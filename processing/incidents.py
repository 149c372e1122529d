"""The major-incident rule (seed 003 二(四)) applied to events, and the votes that give an event its labels.

A distrust event becomes a major distrust event (重大失信事件) when it enters the top N of a ranking list of the
15 websites, or appears on the homepages of 3 or more of them within a time window. N, the number of homepages
and the window are configuration (config/incidents.yaml). The status change is recorded with its reason.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import CompoundSelect, Subquery, distinct, func, or_, select, union
from sqlalchemy.orm import Session

from config.paths import config_file
from config.settings import TZ
from models import (
    Appearance,
    Article,
    Classification,
    Event,
    EventArticle,
    EventStatus,
    EventStatusChange,
    HomepageSnapshot,
    RankingEntry,
    RankingSnapshot,
    Site,
)
from models.vocabulary import REASON_SEPARATOR, homepage_reason, ranking_reason
from processing.cities import article_cities


def load_config(path: Path | None = None) -> dict[str, Any]:
    """config/incidents.yaml as a mapping (cached for the shipped file)."""
    if path is not None:
        return _read(path)
    return _shipped()


@lru_cache(maxsize=1)
def _shipped() -> dict[str, Any]:
    return _read(config_file("incidents.yaml"))


def _read(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "major" not in data:
        raise ValueError(f"{path}: not an incidents configuration (no `major` section)")
    return data


@dataclass(frozen=True)
class MajorRule:
    kinds: tuple[str, ...] = ("distrust",)
    homepage_sites: int = 3
    homepage_window: timedelta = timedelta(hours=72)
    ranking_top_n: int = 10
    ranking_top_n_per_list: tuple[tuple[str, int], ...] = ()
    sites_kind: str = "news"

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None = None) -> MajorRule:
        m = (cfg or load_config())["major"]
        rule = cls(
            kinds=tuple(m.get("kinds", ["distrust"])),
            homepage_sites=int(m.get("homepage_sites", 3)),
            homepage_window=timedelta(hours=float(m.get("homepage_window_hours", 72))),
            ranking_top_n=int(m.get("ranking_top_n", 10)),
            ranking_top_n_per_list=tuple(sorted((m.get("ranking_top_n_per_list") or {}).items())),
            sites_kind=str(m.get("ranking_sites_kind", "news")),
        )
        if rule.homepage_sites < 1 or rule.ranking_top_n < 1:
            raise ValueError("major rule: homepage_sites and ranking_top_n must be at least 1")
        return rule

    def top_n(self, list_name: str) -> int:
        return dict(self.ranking_top_n_per_list).get(list_name, self.ranking_top_n)


@dataclass(frozen=True)
class HomepageSighting:
    site_key: str
    site_name: str
    site_kind: str
    captured_at: datetime
    position: int
    block: str
    title: str
    url: str
    snapshot_id: int
    fetch_id: int | None


@dataclass(frozen=True)
class RankingSighting:
    site_key: str
    site_name: str
    site_kind: str
    list_name: str
    captured_at: datetime
    rank: int
    title: str
    url: str
    snapshot_id: int
    fetch_id: int | None


def event_articles(session: Session, event_id: int) -> list[Article]:
    return list(
        session.scalars(
            select(Article)
            .join(EventArticle, EventArticle.article_id == Article.id)
            .where(EventArticle.event_id == event_id)
        )
    )


def _sighting_rows(session: Session, event_id: int, link: Any, snapshot: Any) -> list[Any]:
    """(entry, snapshot, site) of every homepage or ranking entry that points at one of the event's articles,
    by link or by URL; `link`/`snapshot` are Appearance/HomepageSnapshot or RankingEntry/RankingSnapshot."""
    arts = event_articles(session, event_id)
    ids, urls = [a.id for a in arts], [a.url for a in arts]
    if not ids:
        return []
    q = (
        select(link, snapshot, Site)
        .join(snapshot, link.snapshot_id == snapshot.id)
        .join(Site, snapshot.site_id == Site.id)
        .where(or_(link.article_id.in_(ids), link.url.in_(urls)))
    )
    return list(session.execute(q))


def homepage_sightings(session: Session, event_id: int) -> list[HomepageSighting]:
    """Every homepage headline that points at one of the event's articles (by link or by URL), oldest first."""
    out = [
        HomepageSighting(
            site.key,
            site.name,
            site.kind,
            snap.captured_at,
            app.position,
            app.block,
            app.title,
            app.url,
            snap.id,
            snap.fetch_id,
        )
        for app, snap, site in _sighting_rows(session, event_id, Appearance, HomepageSnapshot)
    ]
    return sorted(out, key=lambda s: (s.captured_at, s.site_key, s.position))


def ranking_sightings(session: Session, event_id: int) -> list[RankingSighting]:
    """Every ranking-list entry that points at one of the event's articles, oldest first."""
    out = [
        RankingSighting(
            site.key,
            site.name,
            site.kind,
            snap.list_name,
            snap.captured_at,
            e.rank,
            e.title,
            e.url,
            snap.id,
            snap.fetch_id,
        )
        for e, snap, site in _sighting_rows(session, event_id, RankingEntry, RankingSnapshot)
    ]
    return sorted(out, key=lambda s: (s.captured_at, s.site_key, s.rank))


@dataclass(frozen=True)
class MajorFinding:
    at: datetime  # when the rule was first met (the capture that completed it)
    reason: str
    homepages: tuple[HomepageSighting, ...]
    rankings: tuple[RankingSighting, ...]


def evaluate(
    rule: MajorRule, homepages: list[HomepageSighting], rankings: list[RankingSighting]
) -> MajorFinding | None:
    """Apply the rule to an event's sightings; None when it is not (yet) major."""
    hp_hit = _homepage_trigger(rule, [h for h in homepages if h.site_kind == rule.sites_kind])
    rk = [r for r in rankings if r.site_kind == rule.sites_kind and r.rank <= rule.top_n(r.list_name)]
    rk_at = rk[0].captured_at if rk else None
    if hp_hit is None and rk_at is None:
        return None
    times = [t for t in (hp_hit[0] if hp_hit else None, rk_at) if t is not None]
    at = min(times)
    parts = []
    used_hp: tuple[HomepageSighting, ...] = ()
    if hp_hit is not None:
        used_hp = tuple(hp_hit[1])
        # Staff read the reason (event page, alert, report): worded by the one vocabulary, in Chinese.
        parts.append(
            homepage_reason([h.site_name for h in used_hp], [h.captured_at.astimezone(TZ) for h in used_hp])
        )
    best: dict[tuple[str, str], RankingSighting] = {}
    for r in rk:
        k = (r.site_key, r.list_name)
        if k not in best or r.rank < best[k].rank:
            best[k] = r
    for r in sorted(best.values(), key=lambda r: (r.rank, r.captured_at)):
        parts.append(ranking_reason(r.site_name, r.list_name, r.rank, r.captured_at.astimezone(TZ)))
    return MajorFinding(at, REASON_SEPARATOR.join(parts), used_hp, tuple(best.values()))


def _homepage_trigger(
    rule: MajorRule, sightings: list[HomepageSighting]
) -> tuple[datetime, list[HomepageSighting]] | None:
    """The earliest moment N distinct sites carried it within the window, and the first sighting of each."""
    window: list[HomepageSighting] = []
    for s in sorted(sightings, key=lambda s: s.captured_at):
        window.append(s)
        window = [w for w in window if s.captured_at - w.captured_at <= rule.homepage_window]
        first: dict[str, HomepageSighting] = {}
        for w in window:
            first.setdefault(w.site_key, w)
        if len(first) >= rule.homepage_sites:
            return s.captured_at, sorted(first.values(), key=lambda h: h.captured_at)
    return None


def detect_major(
    session: Session, rule: MajorRule | None = None, event_ids: list[int] | None = None
) -> list[EventStatusChange]:
    """Re-apply the rule to every normal event of a major kind (or to `event_ids`); record each promotion."""
    rule = rule or MajorRule.from_config()
    q = select(Event).where(Event.status == EventStatus.NORMAL, Event.kind.in_(rule.kinds))
    if event_ids is not None:
        q = q.where(Event.id.in_(event_ids))
    q = q.where(Event.id.in_(could_be_major(rule)))
    changes = []
    for ev in session.scalars(q).all():
        finding = evaluate(rule, homepage_sightings(session, ev.id), ranking_sightings(session, ev.id))
        if finding is None:
            continue
        ev.status = EventStatus.MAJOR
        ev.major_since = finding.at
        ev.major_reason = finding.reason
        change = EventStatusChange(
            event_id=ev.id,
            at=finding.at,
            old_status=EventStatus.NORMAL.value,
            new_status=EventStatus.MAJOR.value,
            reason=finding.reason,
        )
        session.add(change)
        changes.append(change)
    session.flush()
    return changes


def _sighted_events(link: Any, snapshot: Any, extra: Any = None) -> Subquery:
    """(event id, site id) of every sighting of an event's article on a list of `snapshot`'s table, by link and
    by URL (two joins in a union: one OR join would keep both indexes unused)."""
    out = []
    for on in (link.article_id == Article.id, link.url == Article.url):
        q = (
            select(EventArticle.event_id.label("event_id"), Site.id.label("site_id"))
            .join(Article, Article.id == EventArticle.article_id)
            .join(link, on)
            .join(snapshot, link.snapshot_id == snapshot.id)
            .join(Site, snapshot.site_id == Site.id)
        )
        out.append(q if extra is None else q.where(extra))
    return union(*out).subquery()


def could_be_major(rule: MajorRule) -> CompoundSelect:
    """Events that can meet the rule at all: carried by N distinct sites' homepages (at any time), or in a
    ranking list within the largest top-N. Nothing else can be promoted, so only these are read one by one —
    a month of crawling leaves thousands of events seen on one homepage or none."""
    hp = _sighted_events(Appearance, HomepageSnapshot, Site.kind == rule.sites_kind)
    widest = max([rule.ranking_top_n, *(n for _, n in rule.ranking_top_n_per_list)])
    rk = _sighted_events(
        RankingEntry, RankingSnapshot, (Site.kind == rule.sites_kind) & (RankingEntry.rank <= widest)
    )
    on_homepages = (
        select(hp.c.event_id)
        .group_by(hp.c.event_id)
        .having(func.count(distinct(hp.c.site_id)) >= rule.homepage_sites)
    )
    return union(on_homepages, select(rk.c.event_id))


def refresh_votes(session: Session, ev: Event) -> None:
    """Kind, domain, sub-domain and city of an event by confidence-weighted vote of its articles."""
    rows = session.execute(
        select(Classification)
        .join(EventArticle, EventArticle.article_id == Classification.article_id)
        .where(EventArticle.event_id == ev.id, Classification.is_current)
    ).scalars()
    kinds: dict[str, float] = defaultdict(float)
    domains: dict[str, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    subs: dict[tuple[str, str | None], dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    article_ids = []
    for c in rows:
        w = max(c.confidence, 1e-3)
        kinds[c.kind] += w
        domains[c.kind][c.domain] += w
        subs[(c.kind, c.domain)][c.subdomain] += w
        article_ids.append(c.article_id)
    if kinds:
        # Ties go to distrust: missing a distrust event costs the office more than a false alarm.
        kind = max(kinds, key=lambda k: (kinds[k], k == "distrust"))
        dv = domains[kind]
        domain = max(dv, key=lambda d: dv[d])
        ev.kind, ev.domain = kind, domain
        sv = subs[(kind, domain)]
        ev.subdomain = max(sv, key=lambda x: sv[x])
    cities = Counter(article_cities(session, article_ids).values())
    if cities:
        ev.division_code = max(cities, key=lambda c: (cities[c], not c.endswith("00"), c))
