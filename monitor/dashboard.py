"""Today's situation on one screen (the console's home page): what the dashboard shows, read from the database.

Major distrust events of the last 24 hours and 7 days with their sites and positions, the feedback still open with
the time left until the model's deadline, this month's provisional index and rank with its trend, crawl and parser
health per site, and the last alerts sent. Pure reading; the page (monitor/web/views_dashboard.py) only lays it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import get_settings
from models import Alert, AlertStatus, Event, EventStatus, FeedbackLink, FeedbackStatus, IndexScore
from monitor.alerts.channels import error_parts
from monitor.alerts.outbox import feedback_deadline
from monitor.events_view import event_view
from monitor.health import SiteHealth, site_health
from scoring.ranking import rank_label

TREND_MONTHS = 12
MAJOR_WINDOW = timedelta(days=7)
RECENT = timedelta(hours=24)
ALERTS_SHOWN = 6


@dataclass(frozen=True)
class MajorRow:
    id: int
    title: str
    city: str | None
    since: datetime
    recent: bool  # within the last 24 hours
    sites: tuple[str, ...]
    positions: tuple[str, ...]  # e.g. 新浪网首页头条第1条, 网易网「新闻排行」第3名


@dataclass(frozen=True)
class OpenFeedback:
    id: int
    title: str
    city: str | None
    deadline: datetime | None
    hours_left: float | None  # negative: overdue
    proposed: int  # candidate answers waiting for review
    owner: str | None

    @property
    def overdue(self) -> bool:
        return self.hours_left is not None and self.hours_left < 0


@dataclass(frozen=True)
class IndexCard:
    city: str
    month: str | None
    total: float | None
    rank: int | None
    rank_text: str
    peers: int | None
    peer_set_label: str | None
    trend: tuple[tuple[str, float | None, int | None], ...]  # (month, total, rank), oldest first


@dataclass(frozen=True)
class AlertRow:
    subject: str
    channel: str
    sent_at: datetime | None
    event_id: int | None


@dataclass(frozen=True)
class Undelivered:
    """A channel with alerts it has not delivered yet (retrying) or gave up on, and the latest reason."""

    channel: str
    count: int
    reason: str


@dataclass(frozen=True)
class Dashboard:
    now: datetime
    majors: tuple[MajorRow, ...]
    feedback: tuple[OpenFeedback, ...]
    index: IndexCard
    health: tuple[SiteHealth, ...]
    alerts: tuple[AlertRow, ...]
    # Without it the panel of sent alerts would only look quiet while a channel is down.
    undelivered: tuple[Undelivered, ...] = ()

    @property
    def majors_24h(self) -> int:
        return sum(1 for m in self.majors if m.recent)

    def chart_data(self) -> dict[str, Any]:
        """What the page's ECharts draw (JSON): the index trend and the health of the sites."""
        ok = sum(1 for h in self.health if not h.flags)
        return {
            "trend": {
                "months": [m for m, _, _ in self.index.trend],
                "totals": [t for _, t, _ in self.index.trend],
                "ranks": [r for _, _, r in self.index.trend],
            },
            "health": {"正常": ok, "异常": len(self.health) - ok},
        }


def _as_aware(t: datetime, like: datetime) -> datetime:
    # SQLite returns naive UTC datetimes; PostgreSQL aware ones.
    return t.replace(tzinfo=like.tzinfo) if t.tzinfo is None and like.tzinfo is not None else t


def build_dashboard(
    session: Session, now: datetime, home_city: str | None = None, model_name: str | None = None
) -> Dashboard:
    """The dashboard at `now` for the office's city (default: settings `home_city`) under its index model."""
    from nlp.gazetteer import get_gazetteer

    g = get_gazetteer()

    def city(code: str | None) -> str | None:
        d = g.get(code) if code else None
        return d.name if d else None

    majors: list[MajorRow] = []
    feedback: list[OpenFeedback] = []
    events = session.scalars(
        select(Event)
        .where(Event.status == EventStatus.MAJOR, Event.kind == "distrust")
        .order_by(Event.major_since.desc(), Event.id.desc())
    )
    for ev in events:
        since = _as_aware(ev.major_since or ev.first_seen, now)
        links = list(session.scalars(select(FeedbackLink).where(FeedbackLink.event_id == ev.id)))
        answered = any(link.status == FeedbackStatus.CONFIRMED for link in links)
        if now - since <= MAJOR_WINDOW:
            view = event_view(session, ev.id)
            positions = [f"{h.site_name}首页{h.block or ''}第{h.position}条" for h in view.homepages]
            positions += [f"{r['site']}「{r['list']}」第{r['best_rank']}名" for r in view.rankings]
            majors.append(
                MajorRow(
                    ev.id,
                    ev.title,
                    city(ev.division_code),
                    since,
                    now - since <= RECENT,
                    tuple(view.sites),
                    tuple(positions),
                )
            )
        if not answered:
            deadline = feedback_deadline(ev)
            deadline = _as_aware(deadline, now) if deadline else None
            feedback.append(
                OpenFeedback(
                    ev.id,
                    ev.title,
                    city(ev.division_code),
                    deadline,
                    None if deadline is None else (deadline - now).total_seconds() / 3600,
                    sum(1 for link in links if link.status == FeedbackStatus.PROPOSED),
                    ev.feedback_owner,
                )
            )
    feedback.sort(key=lambda f: (f.deadline is None, f.deadline or now))
    return Dashboard(
        now=now,
        majors=tuple(majors),
        feedback=tuple(feedback),
        index=_index_card(
            session, city, home_city or get_settings().home_city, model_name or get_settings().index_model
        ),
        health=tuple(site_health(session)),
        alerts=tuple(
            AlertRow(a.subject, a.channel, a.sent_at, a.event_id)
            for a in session.scalars(
                select(Alert)
                .where(Alert.status == AlertStatus.SENT)
                .order_by(Alert.sent_at.desc(), Alert.id.desc())
                .limit(ALERTS_SHOWN)
            )
        ),
        undelivered=undelivered_alerts(session),
    )


def undelivered_alerts(session: Session) -> tuple[Undelivered, ...]:
    """Per channel, the alerts still failing or given up on, with the reason staff read of the latest failure."""
    by_channel: dict[str, list[Alert]] = {}
    for a in session.scalars(
        select(Alert)
        .where(Alert.status.in_([AlertStatus.FAILED, AlertStatus.DEAD]))
        .order_by(Alert.id.desc())
    ):
        by_channel.setdefault(a.channel, []).append(a)
    return tuple(
        Undelivered(channel, len(rows), error_parts(rows[0].last_error)[0])
        for channel, rows in sorted(by_channel.items())
    )


def _index_card(session: Session, city: Any, code: str, model: str) -> IndexCard:
    rows = list(
        session.scalars(
            select(IndexScore)
            .where(IndexScore.model_name == model, IndexScore.division_code == code)
            .order_by(IndexScore.month.desc(), IndexScore.computed_at.desc())
        )
    )
    by_month: dict[str, IndexScore] = {}
    for r in rows:
        by_month.setdefault(r.month, r)
    months = sorted(by_month)[-TREND_MONTHS:]
    latest = by_month[months[-1]] if months else None
    details = latest.details if latest is not None and isinstance(latest.details, dict) else {}
    is_tied = False
    if latest is not None and latest.rank is not None:
        peers = session.scalars(
            select(IndexScore.details).where(
                IndexScore.model_name == model,
                IndexScore.model_version == latest.model_version,
                IndexScore.month == latest.month,
                IndexScore.rank == latest.rank,
                IndexScore.division_code != code,
            )
        )
        is_tied = any(isinstance(d, dict) and d.get("peer_set") == details.get("peer_set") for d in peers)
    return IndexCard(
        city=city(code) or code,
        month=latest.month if latest else None,
        total=latest.total if latest else None,
        rank=latest.rank if latest else None,
        rank_text=rank_label(latest.rank if latest else None, is_tied),
        peers=details.get("peers") if isinstance(details.get("peers"), int) else None,
        peer_set_label=details.get("peer_set_label") if details.get("peer_set_label") else None,
        trend=tuple((m, by_month[m].total, by_month[m].rank) for m in months),
    )
