"""A government response the office records by hand (政府反馈): when, through which channel, which document.

It is stored as a document (an `Article` without a site, extractor `console.feedback`) and a confirmed
`FeedbackLink` to the event with its delay from the event's first sighting, so the index model's offset rule applies
unchanged; the months it touches are re-scored at once and the dashboard's countdown ends.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import TZ
from models import Article, Event, EventCorrection, FeedbackLink, FeedbackStatus, now
from monitor.corrections import rescore_now

CHANNELS = ("政府网站", "新闻发布会", "官方微博", "微信公众号", "主流媒体", "其他")


class FeedbackEntryError(ValueError):
    """A record that cannot be stored; the message says why, in Chinese."""


def record_feedback(
    db: Session,
    *,
    event_id: int,
    at: datetime,
    channel: str,
    title: str,
    url: str,
    user: str,
    cities: list[str],
    model_name: str,
) -> FeedbackLink:
    ev = db.get(Event, event_id)
    if ev is None:
        raise FeedbackEntryError("事件不存在")
    if channel not in CHANNELS:
        raise FeedbackEntryError("发布渠道无效")
    if not title.strip():
        raise FeedbackEntryError("请填写反馈文件或报道的标题")
    at = at if at.tzinfo else at.replace(tzinfo=TZ)
    first = ev.first_seen if ev.first_seen.tzinfo else ev.first_seen.replace(tzinfo=TZ)
    if at < first:
        raise FeedbackEntryError("反馈时间早于事件首次发现时间")
    if at > now():
        raise FeedbackEntryError("反馈时间不能晚于现在")
    link_url = url.strip()
    if link_url:
        if urlsplit(link_url).scheme not in ("http", "https"):
            raise FeedbackEntryError("链接须以 http:// 或 https:// 开头")
    else:
        # no public address: a stable internal one, unique per event, time and title
        digest = hashlib.sha256(f"{event_id}|{at.isoformat()}|{title.strip()}".encode()).hexdigest()[:16]
        link_url = f"urn:creditwatch:feedback:{event_id}:{digest}"
    existing = db.scalars(select(Article).where(Article.url == link_url)).first()
    # the response may have been crawled already: link that document rather than duplicate it, but only once
    if (
        existing is not None
        and db.scalars(
            select(FeedbackLink).where(FeedbackLink.event_id == ev.id, FeedbackLink.article_id == existing.id)
        ).first()
    ):
        raise FeedbackEntryError("这份反馈已记录在本事件下")
    doc = existing or Article(
        site_id=None,
        url=link_url,
        title=title.strip(),
        published_at=at,
        source=channel,
        author=None,
        body="",
        extractor="console.feedback",
    )
    if existing is None:
        db.add(doc)
        db.flush()
    link = FeedbackLink(
        event_id=ev.id,
        article_id=doc.id,
        delay_hours=round((at - first).total_seconds() / 3600, 2),
        score=1.0,
        status=FeedbackStatus.CONFIRMED,
        reviewed_by=user,
        reviewed_at=now(),
    )
    db.add(link)
    # audited with the event's other corrections: who recorded which response, when
    db.add(
        EventCorrection(
            event_id=ev.id,
            field="feedback",
            before=None,
            after=f"{channel}：{title.strip()[:200]}（{at.astimezone(TZ):%Y-%m-%d %H:%M}）",
            corrected_by=user,
        )
    )
    db.flush()
    months = {first.astimezone(TZ).strftime("%Y-%m"), at.astimezone(TZ).strftime("%Y-%m")}
    rescore_now(db, months, [*cities, ev.division_code], model_name)
    return link
