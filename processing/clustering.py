"""Reprint clustering, the database layer: new articles joined to events kept in `Event.signature`.

The engine (`nlp.clustering.ClusterIndex`) is pure; this module loads the events still inside the time window into
it, assigns each new classified article to an event (new or existing), stores the state back and re-votes the
labels of every event it touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from models import Article, Classification, Event, EventArticle
from nlp.clustering import ClusterIndex, ClusterParams, EventState, Signer, article_time, event_state
from processing.cities import article_cities
from processing.incidents import load_config, refresh_votes


@dataclass
class ClusterReport:
    articles: int = 0
    new_events: int = 0
    joined: int = 0
    events_touched: set[int] = field(default_factory=set)


def load_params() -> ClusterParams:
    return ClusterParams.from_mapping(load_config().get("clustering"))


def cluster_articles(
    session: Any,
    params: ClusterParams | None = None,
    *,
    article_ids: Sequence[int] | None = None,
    signer: Signer | None = None,
) -> ClusterReport:
    """Assign every classified, not yet clustered article of a clustered kind to an event (new or existing)."""
    params = params or load_params()
    q = (
        select(Article, Classification)
        .join(Classification, (Classification.article_id == Article.id) & Classification.is_current)
        .outerjoin(EventArticle, EventArticle.article_id == Article.id)
        .where(EventArticle.id.is_(None), Classification.kind.in_(params.kinds))
    )
    if article_ids is not None:
        q = q.where(Article.id.in_(list(article_ids)))
    rows = list(session.execute(q).all())
    report = ClusterReport()
    if not rows:
        return report
    # Built after the check: its permutations need NumPy, which a run with nothing to cluster never imports.
    signer = signer or Signer(params)
    rows.sort(key=lambda r: (article_time(r[0]), r[0].id))
    cities = article_cities(session, [a.id for a, _ in rows])
    start = article_time(rows[0][0]) - params.window
    index = ClusterIndex(params, signer)
    events: dict[int, Event] = {}
    for ev in session.scalars(select(Event).where(Event.last_seen >= start, Event.kind.in_(params.kinds))):
        state = event_state(ev)
        if state is not None:
            index.add_event(state)
            events[ev.id] = ev
    for article, cls in rows:
        at = article_time(article)
        city = cities.get(article.id)
        sig = signer.sign(article.title, article.body)
        hit = index.find(sig, city, at)
        report.articles += 1
        if hit is None:
            ev = Event(
                title=article.title,
                kind=cls.kind,
                domain=cls.domain,
                subdomain=cls.subdomain,
                division_code=city,
                first_seen=at,
                last_seen=at,
            )
            session.add(ev)
            session.flush()
            state = EventState(ev.id, [sig], city, at, at)
            index.add_event(state)
            events[ev.id] = ev
            session.add(EventArticle(event_id=ev.id, article_id=article.id, similarity=1.0))
            report.new_events += 1
        else:
            eid, match = hit
            index.attach(eid, sig, at, city, match)
            ev = events[eid]
            session.add(
                EventArticle(event_id=eid, article_id=article.id, similarity=round(match.similarity, 4))
            )
            report.joined += 1
        state = index.events[ev.id]
        ev.first_seen, ev.last_seen = state.first_seen, state.last_seen
        ev.signature = state.to_json()
        report.events_touched.add(ev.id)
    session.flush()
    for eid in report.events_touched:
        refresh_votes(session, events[eid])
    session.flush()
    return report
