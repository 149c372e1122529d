"""Events the office learnt of elsewhere (a phone call, a newspaper, a leader's note) and types in: 人工录入.

A manual event is a real event: a document (an `Article` without a site, extractor `console.manual`) classified by
the person who entered it (a 'manual' classification and city, as a correction would write), an `Event` holding it
with `entered_by` and the note, its clustering signature (so crawled reprints of the story join it), and, when
flagged, the major status from the date given. The months it touches are re-scored at once, so it counts in the
offsets and the provisional index before the nightly run; afterwards it is corrected like any other event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, time
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import TZ
from models import (
    Article,
    Division,
    Event,
    EventArticle,
    EventCorrection,
    EventStatus,
    EventStatusChange,
    now,
)
from models import vocabulary as vocab
from monitor.corrections import CorrectionError, correct_article, find_city, rescore_now
from monitor.membership import article_signature

EXTRACTOR = "console.manual"
SOURCE = "人工录入"


def record_manual_event(
    db: Session,
    *,
    title: str,
    url: str,
    day: date,
    city: str,
    kind: str,
    domain: str | None,
    subdomain: str,
    major: bool,
    note: str,
    user: str,
    cities: Sequence[str],
    model_name: str,
) -> Event:
    """Store the event and re-score; raises CorrectionError (nothing written) on bad input."""
    title = title.strip()
    if not title:
        raise CorrectionError("请填写事件标题")
    if kind not in vocab.KIND_LABELS:
        raise CorrectionError("类别无效")
    dom = None if kind == "other" else domain
    if kind != "other" and dom not in vocab.DOMAIN_LABELS:
        raise CorrectionError("请选择领域")
    at = now()
    if day > at.date():
        raise CorrectionError("事件日期不能晚于今天")
    # today: the moment it was entered (a countdown from midnight would start hours late); an earlier day: noon,
    # so the event falls inside that day whatever the reader's rounding
    seen = at if day == at.date() else datetime.combine(day, time(12, 0), tzinfo=TZ)
    found = find_city(city)
    division = db.get(Division, found.code)
    if division is None:
        raise CorrectionError(f"城市 {found.name} 不在行政区划表中")
    link = url.strip()
    if link:
        if urlsplit(link).scheme not in ("http", "https"):
            raise CorrectionError("链接须以 http:// 或 https:// 开头")
        existing = db.scalars(select(Article).where(Article.url == link)).first()
        if existing is not None:
            holder = db.scalars(
                select(EventArticle.event_id).where(EventArticle.article_id == existing.id)
            ).first()
            if holder is not None:
                raise CorrectionError(f"该链接的报道已在事件 #{holder} 中，请在该事件页更正")
    else:
        existing = None
        digest = hashlib.sha256(f"{user}|{at.isoformat()}|{title}".encode()).hexdigest()[:16]
        link = f"urn:creditwatch:manual:{digest}"
    article = existing or Article(
        site_id=None,
        url=link,
        title=title,
        published_at=seen,
        source=SOURCE,
        author=None,
        body=note.strip(),
        extractor=EXTRACTOR,
    )
    if existing is None:
        db.add(article)
        db.flush()
    sub = subdomain.strip()[:32] or None
    correct_article(db, article.id, user, kind, dom, sub, division, note="人工录入事件")
    ev = Event(
        title=title,
        kind=kind,
        domain=dom,
        subdomain=sub,
        division_code=division.code,
        first_seen=seen,
        last_seen=seen,
        entered_by=user,
        note=note.strip() or None,
        signature={},
    )
    db.add(ev)
    db.flush()
    db.add(EventArticle(event_id=ev.id, article_id=article.id, similarity=1.0))
    ev.signature = article_signature(article, division.code)
    if major:
        ev.status = EventStatus.MAJOR
        ev.major_since = seen
        ev.major_reason = f"人工认定（{user}）"
        db.add(
            EventStatusChange(
                event_id=ev.id,
                at=at,
                old_status=EventStatus.NORMAL.value,
                new_status=EventStatus.MAJOR.value,
                reason=f"人工录入（{user}）",
            )
        )
    db.add(
        EventCorrection(
            event_id=ev.id, field="created", before=None, after=SOURCE, corrected_by=user, corrected_at=at
        )
    )
    db.flush()
    rescore_now(db, {seen.strftime("%Y-%m"), at.strftime("%Y-%m")}, [*cities, division.code], model_name)
    return ev


def set_feedback_owner(db: Session, event_id: int, owner: str, user: str) -> bool:
    """Who answers for the event's government response; audited like a correction. True when it changed."""
    ev = db.get(Event, event_id)
    if ev is None:
        raise CorrectionError("事件不存在")
    wanted = owner.strip()[:64] or None
    if wanted == ev.feedback_owner:
        return False
    db.add(
        EventCorrection(
            event_id=ev.id,
            field="owner",
            before=ev.feedback_owner,
            after=wanted,
            corrected_by=user,
            corrected_at=now(),
        )
    )
    ev.feedback_owner = wanted
    db.flush()
    return True
