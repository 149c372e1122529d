"""Cluster membership corrected by staff: an article detached from an event becomes an event of its own; an event
merged into another hands over its articles, feedback, evidence, alerts and history and is removed.

Both are recorded in `event_corrections` on every event that remains (who, when, before, after), and the months
the events touch are re-scored at once, like any other correction: the index counts events, so a split or a merge
changes it immediately. The clustering state (`Event.signature`) follows, so the next crawl's reprints join the
event staff chose rather than the one the clustering would have picked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Alert,
    Article,
    Event,
    EventArticle,
    EventCorrection,
    EventStatus,
    EventStatusChange,
    EvidenceFile,
    FeedbackLink,
    now,
)
from monitor.corrections import CorrectionError, rescore_now


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=TZ)


def article_signature(article: Article, city: str | None) -> dict[str, object]:
    """The clustering state of a one-article event, as the clustering itself would write it."""
    from nlp.clustering import SIGNATURE_VERSION, Signer

    sig = Signer().sign(article.title, article.body or "")
    return {"v": SIGNATURE_VERSION, "reps": [sig.to_json()], "city": city}


def _audit(db: Session, event_id: int, field: str, before: str, after: str, user: str, at: datetime) -> None:
    db.add(
        EventCorrection(
            event_id=event_id, field=field, before=before, after=after, corrected_by=user, corrected_at=at
        )
    )


def detach_article(
    db: Session, event_id: int, article_id: int, user: str, *, cities: Sequence[str], model_name: str
) -> Event:
    """Take `article_id` out of event `event_id` into a new event of its own; returns the new event."""
    from processing.incidents import refresh_votes

    ev = db.get(Event, event_id)
    if ev is None:
        raise CorrectionError("事件不存在")
    member = db.scalars(
        select(EventArticle).where(EventArticle.event_id == event_id, EventArticle.article_id == article_id)
    ).first()
    if member is None:
        raise CorrectionError("该文章不属于本事件")
    others = list(
        db.scalars(
            select(EventArticle.article_id).where(
                EventArticle.event_id == event_id, EventArticle.article_id != article_id
            )
        )
    )
    if not others:
        raise CorrectionError("本事件只有这一篇文章，无需拆分")
    article = db.get(Article, article_id)
    assert article is not None  # the membership row's foreign key
    at = now()
    seen = _aware(article.published_at or article.created_at or ev.first_seen)
    new = Event(
        title=article.title,
        kind=ev.kind,
        domain=ev.domain,
        subdomain=ev.subdomain,
        division_code=ev.division_code,
        first_seen=seen,
        last_seen=seen,
        signature={},
    )
    db.add(new)
    db.flush()
    member.event_id = new.id
    member.similarity = 1.0
    db.flush()
    db.expire(ev, ["articles"])
    refresh_votes(db, new)
    refresh_votes(db, ev)
    new.signature = article_signature(article, new.division_code)
    # the old event's span shrinks to the articles it keeps
    times = [
        _aware(t)
        for t in db.scalars(
            select(Article.published_at).where(Article.id.in_(others), Article.published_at.is_not(None))
        )
        if t is not None
    ]
    if times:
        ev.first_seen, ev.last_seen = min(times), max(times)
    # The old signature still holds the detached article's representative; without it the next crawl could
    # pull reprints of that story back in, so it is rebuilt from the articles the event keeps (at most 8).
    from nlp.clustering import SIGNATURE_VERSION, Signer

    signer = Signer()
    reps = [
        signer.sign(a.title, a.body or "").to_json()
        for a in db.scalars(select(Article).where(Article.id.in_(others)).order_by(Article.id).limit(8))
    ]
    ev.signature = {"v": SIGNATURE_VERSION, "reps": reps, "city": ev.division_code}
    label = f"文章 #{article.id}「{article.title[:60]}」"
    _audit(db, ev.id, "detach", label, f"拆分为事件 #{new.id}", user, at)
    _audit(db, new.id, "detach", f"原属事件 #{ev.id}", label, user, at)
    db.flush()
    months = {ev.first_seen.astimezone(TZ).strftime("%Y-%m"), seen.astimezone(TZ).strftime("%Y-%m")}
    months.add(at.strftime("%Y-%m"))
    rescore_now(db, months, [*cities, ev.division_code, new.division_code], model_name)
    return new


def merge_events(
    db: Session, source_id: int, target_id: int, user: str, *, cities: Sequence[str], model_name: str
) -> Event:
    """Merge event `source_id` into `target_id` (same incident, clustered apart); returns the target."""
    from processing.incidents import refresh_votes

    if source_id == target_id:
        raise CorrectionError("不能把事件合并到它自己")
    source, target = db.get(Event, source_id), db.get(Event, target_id)
    if source is None:
        raise CorrectionError("事件不存在")
    if target is None:
        raise CorrectionError(f"没有编号为 {target_id} 的事件")
    at = now()
    before_city = {source.division_code, target.division_code}
    months = {
        _aware(source.first_seen).astimezone(TZ).strftime("%Y-%m"),
        _aware(target.first_seen).astimezone(TZ).strftime("%Y-%m"),
        at.strftime("%Y-%m"),
    }
    if source.major_since:
        months.add(_aware(source.major_since).astimezone(TZ).strftime("%Y-%m"))
    db.execute(update(EventArticle).where(EventArticle.event_id == source.id).values(event_id=target.id))
    # a response linked to both stays once (the pair is unique)
    have = {
        (link.article_id, link.institution_id): link.id
        for link in db.scalars(select(FeedbackLink).where(FeedbackLink.event_id == target.id))
    }
    for link in db.scalars(select(FeedbackLink).where(FeedbackLink.event_id == source.id)).all():
        kept = have.get((link.article_id, link.institution_id))
        if kept is not None:
            # the response's documents stay the response's, on the link that is kept
            db.execute(
                update(EvidenceFile)
                .where(EvidenceFile.feedback_link_id == link.id)
                .values(feedback_link_id=kept)
            )
            db.delete(link)
        else:
            link.event_id = target.id
    for model in (EvidenceFile, EventStatusChange, EventCorrection, Alert):
        db.execute(update(model).where(model.event_id == source.id).values(event_id=target.id))
    target.first_seen = min(_aware(source.first_seen), _aware(target.first_seen))
    target.last_seen = max(_aware(source.last_seen), _aware(target.last_seen))
    target.note = "\n".join(n for n in (target.note, source.note) if n) or None
    target.feedback_owner = target.feedback_owner or source.feedback_owner
    if source.status == EventStatus.MAJOR and target.status != EventStatus.MAJOR:
        # the merged incident is the one that reached the homepages or rankings: it stays major, from then
        db.add(
            EventStatusChange(
                event_id=target.id,
                at=at,
                old_status=target.status.value,
                new_status=EventStatus.MAJOR.value,
                reason=f"合并事件 #{source.id}（{user}）",
            )
        )
        target.status = EventStatus.MAJOR
        target.major_since = source.major_since or source.first_seen
        target.major_reason = source.major_reason
    reps = list((target.signature or {}).get("reps") or []) + list((source.signature or {}).get("reps") or [])
    if reps:
        from nlp.clustering import SIGNATURE_VERSION

        target.signature = {"v": SIGNATURE_VERSION, "reps": reps, "city": target.division_code}
    _audit(
        db,
        target.id,
        "merge",
        f"事件 #{source.id}「{source.title[:60]}」",
        f"并入事件 #{target.id}",
        user,
        at,
    )
    db.flush()
    db.expire_all()
    db.delete(db.get(Event, source_id))
    db.flush()
    target = db.get(Event, target_id)
    assert target is not None
    refresh_votes(db, target)
    db.flush()
    rescore_now(db, months, [*cities, *before_city, target.division_code], model_name)
    return target
