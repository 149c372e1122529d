"""Government feedback (政府反馈): feedback articles and new institutions linked to the distrust event they answer.

A feedback article answers an event when it is about a compatible city, appeared after the event was first seen
and within the window, and shares its story (shingle Jaccard of the texts, IDF-free title-keyword overlap). A new
institution (信用制度) published in the same city and domain after the event is a weaker answer ("rules improved in
that domain", seed 003 二(四)). Links are proposals until staff confirm or reject them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Article,
    Classification,
    Event,
    EventArticle,
    FeedbackLink,
    FeedbackStatus,
    Institution,
    now,
)
from nlp.clustering import (
    EventState,
    Signer,
    article_time,
    cities_compatible,
    estimate_jaccard,
    event_state,
    keyword_sim,
    title_keywords,
)
from processing.cities import article_cities
from storage.upsert import upsert


@dataclass(frozen=True)
class FeedbackParams:
    window: timedelta = timedelta(days=60)
    min_score: float = 0.35
    institution_min_score: float = 0.5
    kinds_linked: tuple[str, ...] = ("distrust",)

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None = None) -> FeedbackParams:
        from processing.incidents import load_config

        f = (cfg or load_config()).get("feedback") or {}
        return cls(
            window=timedelta(days=float(f.get("window_days", 60))),
            min_score=float(f.get("min_score", 0.35)),
            institution_min_score=float(f.get("institution_min_score", 0.5)),
            kinds_linked=tuple(f.get("kinds_linked", ["distrust"])),
        )


def link_feedback(session: Session, params: FeedbackParams | None = None) -> list[FeedbackLink]:
    """Propose links for feedback articles and institutions not linked yet; each goes to its best event."""
    params = params or FeedbackParams.from_config()
    events = list(session.scalars(select(Event).where(Event.kind.in_(params.kinds_linked))))
    if not events:
        return []
    # An event's stored signature is decoded (with NumPy) only when a candidate in its window needs it: a run with
    # nothing new to link decodes none.
    decoded: dict[int, EventState | None] = {}

    def state_of(ev: Event) -> EventState | None:
        if ev.id not in decoded:
            decoded[ev.id] = event_state(ev)
        return decoded[ev.id]

    linked_articles = set(
        session.scalars(select(FeedbackLink.article_id).where(FeedbackLink.article_id.isnot(None)))
    )
    linked_insts = set(
        session.scalars(select(FeedbackLink.institution_id).where(FeedbackLink.institution_id.isnot(None)))
    )
    in_events = select(EventArticle.article_id)
    feedback = [
        a
        for a in session.scalars(
            select(Article)
            .join(Classification, (Classification.article_id == Article.id) & Classification.is_current)
            .where(Classification.kind == "feedback", Article.id.not_in(in_events))
        )
        if a.id not in linked_articles
    ]
    cities = article_cities(session, [a.id for a in feedback])
    out: list[FeedbackLink] = []
    signer = Signer() if feedback else None
    for art in feedback:
        assert signer is not None
        at = article_time(art)
        sig = signer.sign(art.title, art.body)
        best: tuple[float, Event] | None = None
        for ev in events:
            if not _in_window(ev, at, params) or not cities_compatible(cities.get(art.id), ev.division_code):
                continue
            state = state_of(ev)
            j = max((estimate_jaccard(sig, r) for r in state.reps), default=0.0) if state else 0.0
            t = (
                max((keyword_sim(sig.keywords, r.keywords) for r in state.reps), default=0.0)
                if state
                else 0.0
            )
            same_city = bool(
                cities.get(art.id) and ev.division_code and cities[art.id][:4] == ev.division_code[:4]
            )
            score = 0.5 * min(1.0, j / 0.3) + 0.4 * t + (0.1 if same_city else 0.0)
            if score >= params.min_score and (best is None or score > best[0]):
                best = (score, ev)
        if best is not None:
            out.append(_store(session, best[1], at, best[0], article_id=art.id))
    for inst in session.scalars(select(Institution)):
        if inst.id in linked_insts or inst.published_at is None:
            continue
        kw = title_keywords(inst.title)
        best = None
        for ev in events:
            if not _in_window(ev, inst.published_at, params):
                continue
            if not (
                inst.division_code
                and ev.division_code
                and cities_compatible(inst.division_code, ev.division_code)
            ):
                continue
            if not inst.domain or inst.domain != ev.domain:
                continue
            state = state_of(ev)
            t = max((keyword_sim(kw, r.keywords) for r in state.reps), default=0.0) if state else 0.0
            sub = 0.3 if inst.subdomain and inst.subdomain == ev.subdomain else 0.0
            score = 0.4 + sub + 0.3 * t
            if score >= params.institution_min_score and (best is None or score > best[0]):
                best = (score, ev)
        if best is not None:
            out.append(_store(session, best[1], inst.published_at, best[0], institution_id=inst.id))
    session.flush()
    return out


def _in_window(ev: Event, at: datetime, params: FeedbackParams) -> bool:
    return ev.first_seen <= at <= ev.first_seen + params.window


def _store(
    session: Session,
    ev: Event,
    at: datetime,
    score: float,
    *,
    article_id: int | None = None,
    institution_id: int | None = None,
) -> FeedbackLink:
    key = ["event_id", "article_id"] if article_id is not None else ["event_id", "institution_id"]
    return upsert(
        session,
        FeedbackLink,
        {
            "event_id": ev.id,
            "article_id": article_id,
            "institution_id": institution_id,
            "delay_hours": round((at - ev.first_seen).total_seconds() / 3600.0, 2),
            "score": round(score, 4),
            "status": FeedbackStatus.PROPOSED,
        },
        key=key,
        update=[],
    )


def _review(session: Session, link_id: int, status: FeedbackStatus, user: str) -> FeedbackLink:
    link = session.get(FeedbackLink, link_id)
    if link is None:
        raise LookupError(f"no feedback link {link_id}")
    link.status = status
    link.reviewed_by = user
    link.reviewed_at = now()
    session.flush()
    return link


def confirm_feedback(session: Session, link_id: int, user: str) -> FeedbackLink:
    """Staff confirm that the linked article/institution answers the event (counts as feedback)."""
    return _review(session, link_id, FeedbackStatus.CONFIRMED, user)


def reject_feedback(session: Session, link_id: int, user: str) -> FeedbackLink:
    """Staff reject a proposed link; it stays stored (rejected) so it is not proposed again."""
    return _review(session, link_id, FeedbackStatus.REJECTED, user)
