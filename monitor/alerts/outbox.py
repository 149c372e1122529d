"""The alert outbox: queueing (exactly one row per event and channel) and dispatch with retries and back-off.

Delivery is **at-least-once**, with the duplicate window as small as the protocol allows:
1. claim: in its own transaction, a due row gets `attempts + 1`, status FAILED and `next_attempt_at = now + back-off`
   (a lease), with a conditional UPDATE so two dispatchers never claim the same row;
2. send;
3. mark: in its own transaction, status SENT and `sent_at`.
A crash between 2 and 3 leaves the lease, so the row is retried after its back-off: the receiver may see the
message twice (never zero times). Losing a major-incident alert costs the office more than a duplicate, so we do
not mark before sending (at-most-once). The file channel overwrites its own file and e-mail carries a Message-ID
derived from the dedup key, so those two de-duplicate downstream.

Quiet hours and digests hold alerts (status HELD) until their release time; a digest sends the held alerts of a
channel as one message and marks them all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from config.settings import AlertChannel, Settings, get_settings
from models import Alert, AlertStatus, Event, EventStatus, now
from models import vocabulary as vocab
from monitor.alerts.channels import DeliveryError, Message, send
from storage.upsert import upsert

logger = logging.getLogger(__name__)

Sender = Callable[[AlertChannel, Message], None]
# `last_error` while a row is being sent: a crash between sending and marking leaves it, and the row is retried
# after its back-off (read by staff on the admin page like any other error).
IN_FLIGHT = "正在发送：若发送途中服务中断，将在重试间隔后自动重发"


@dataclass(frozen=True)
class AlertPolicy:
    on_major: bool = True
    on_watched_city_distrust: bool = False
    max_attempts: int = 8
    backoff_base: timedelta = timedelta(seconds=60)
    backoff_max: timedelta = timedelta(hours=1)
    quiet_start: time | None = None
    quiet_end: time | None = None
    quiet_channels: tuple[str, ...] | None = None  # None: every channel
    digest_channels: tuple[str, ...] = ()
    digest_every: timedelta = timedelta(hours=1)

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None = None) -> AlertPolicy:
        from processing.incidents import load_config

        a = (cfg or load_config()).get("alerts") or {}
        q = a.get("quiet_hours") or {}
        d = a.get("digest") or {}
        return cls(
            on_major=bool(a.get("on_major", True)),
            on_watched_city_distrust=bool(a.get("on_watched_city_distrust", False)),
            max_attempts=int(a.get("max_attempts", 8)),
            backoff_base=timedelta(seconds=float(a.get("backoff_base_seconds", 60))),
            backoff_max=timedelta(seconds=float(a.get("backoff_max_seconds", 3600))),
            quiet_start=time.fromisoformat(q["start"]) if q.get("start") else None,
            quiet_end=time.fromisoformat(q["end"]) if q.get("end") else None,
            quiet_channels=tuple(q["channels"]) if q.get("channels") else None,
            digest_channels=tuple(d.get("channels") or ()),
            digest_every=timedelta(minutes=float(d.get("every_minutes", 60))),
        )

    def backoff(self, attempts: int) -> timedelta:
        return min(self.backoff_max, self.backoff_base * (2 ** max(0, attempts - 1)))

    def release_time(self, channel: str, at: datetime) -> datetime | None:
        """When an alert created at `at` may go out (None: now)."""
        if channel in self.digest_channels:
            period = self.digest_every.total_seconds()
            midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
            slots = int((at - midnight).total_seconds() // period) + 1
            return midnight + timedelta(seconds=slots * period)
        if self.quiet_start is None or self.quiet_end is None:
            return None
        if self.quiet_channels is not None and channel not in self.quiet_channels:
            return None
        t = at.timetz().replace(tzinfo=None)
        start, end = self.quiet_start, self.quiet_end
        inside = (start <= t < end) if start < end else (t >= start or t < end)
        if not inside:
            return None
        release = at.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        return release if release > at else release + timedelta(days=1)


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)
    failed_channels: list[str] = field(
        default_factory=list
    )  # by their configured names, one entry per failure


def feedback_deadline(ev: Event) -> datetime | None:
    """When the government's feedback must be out to count in full: the index model's `prompt_hours` after the
    event's first sighting (jiangsu2016: 72 h); None for a model without a feedback rule."""
    from scoring.model import ModelFileError, load_model

    try:
        model = load_model(get_settings().index_model)
    except (ModelFileError, OSError):  # a broken model file must not stop an alert: it then has no deadline
        logger.exception("index model unreadable; alert without feedback deadline")
        return None
    if model.events is None or model.events.feedback_offset is None:
        return None
    return ev.first_seen + timedelta(hours=model.events.feedback_offset.prompt_hours.value)


def event_link(event_id: int) -> str | None:
    """The event's page in the console, from the configured `console_base_url` (None when not configured)."""
    base = get_settings().console_base_url
    return f"{base.rstrip('/')}/events/{event_id}" if base else None


def event_message(ev: Event, kind: str, session: Session | None = None) -> tuple[str, dict[str, Any]]:
    """Subject and payload of an event alert (payload keeps what the message needs, JSON-safe), in Chinese: title,
    city, domain, first sighting, the sites and positions that made it major, the feedback deadline and a link."""
    from nlp.gazetteer import get_gazetteer

    d = get_gazetteer().get(ev.division_code) if ev.division_code else None
    city = d.name if d else vocab.UNKNOWN_CITY
    label = vocab.MAJOR_EVENT if kind == "major" else vocab.DISTRUST_EVENT
    subject = f"【{label}】{city}：{ev.title}"
    lines = [
        f"事件 #{ev.id}：{ev.title}",
        f"城市：{city} · 领域：{vocab.domain_label(ev.domain)} / {ev.subdomain or '—'}",
        f"首次发现：{ev.first_seen.strftime('%Y-%m-%d %H:%M')}",
    ]
    if session is not None:
        from monitor.events_view import event_view

        view = event_view(session, ev.id)
        placed = [f"{h.site_name}首页{h.block or ''}第{h.position}条" for h in view.homepages]
        placed += [f"{r['site']}「{r['list']}」第{r['best_rank']}名" for r in view.rankings]
        if view.sites:
            lines.append(f"涉及网站：{'、'.join(view.sites)}")
        if placed:
            lines.append(f"位置：{'；'.join(placed)}")
    if ev.major_reason:
        lines.append(f"认定依据：{ev.major_reason}")
    deadline = feedback_deadline(ev) if kind == "major" else None
    if deadline is not None:
        lines.append(
            f"政府反馈截止：{fmt_local(deadline)}（首次发现后 {fmt_hours(deadline - ev.first_seen)} 小时内）"
        )
    link = event_link(ev.id)
    return subject, {"lines": lines, "event_id": ev.id, "link": link}


def fmt_local(t: datetime) -> str:
    from config.settings import TZ

    return (t.astimezone(TZ) if t.tzinfo else t).strftime("%Y-%m-%d %H:%M")


def fmt_hours(d: timedelta) -> str:
    return f"{d.total_seconds() / 3600:g}"


def queue_alerts(
    session: Session,
    channels: list[AlertChannel] | None = None,
    policy: AlertPolicy | None = None,
    *,
    watched_cities: list[str] | None = None,
    at: datetime | None = None,
) -> list[Alert]:
    """Create the outbox rows for every major distrust event (and, if configured, watched-city distrust events)
    that lacks one, per enabled channel; returns the rows created now. Idempotent: the dedup key is unique."""
    settings = get_settings()
    channels = [c for c in (settings.alert_channels if channels is None else channels) if c.enabled]
    policy = policy or AlertPolicy.from_config()
    at = at or now()
    watched = settings.watched_cities if watched_cities is None else watched_cities
    wanted: list[tuple[Event, str]] = []
    if policy.on_major:
        for ev in session.scalars(
            select(Event).where(Event.status == EventStatus.MAJOR, Event.kind == "distrust")
        ):
            wanted.append((ev, "major"))
    if policy.on_watched_city_distrust and watched:
        stems = tuple(c[:4] if not c.endswith("0000") else c[:2] for c in watched)
        for ev in session.scalars(
            select(Event).where(Event.kind == "distrust", Event.division_code.isnot(None))
        ):
            if ev.division_code and ev.division_code.startswith(stems):
                wanted.append((ev, "distrust"))
    created = []
    existing = set(session.scalars(select(Alert.dedup_key)))
    for ev, kind in wanted:
        subject, payload = event_message(ev, kind, session)
        for ch in channels:
            key = f"{kind}:{ev.id}:{ch.name}"
            if key in existing:
                continue
            release = policy.release_time(ch.name, at)
            # ON CONFLICT DO NOTHING: a concurrent queuer that got there first wins, still one row.
            row = upsert(
                session,
                Alert,
                {
                    "dedup_key": key,
                    "event_id": ev.id,
                    "channel": ch.name,
                    "kind": kind,
                    "subject": subject,
                    "payload": payload,
                    "status": AlertStatus.HELD if release else AlertStatus.PENDING,
                    "attempts": 0,
                    "next_attempt_at": release,
                    "created_at": at,
                },
                key=["dedup_key"],
                update=[],
            )
            existing.add(key)
            created.append(row)
    session.flush()
    return created


def default_sender(settings: Settings | None = None) -> Sender:
    s = settings or get_settings()
    outbox = Path(s.alert_outbox_dir)

    def _send(ch: AlertChannel, msg: Message) -> None:
        send(ch, msg, s.smtp, outbox)

    return _send


def dispatch(
    engine: Engine | None = None,
    channels: list[AlertChannel] | None = None,
    policy: AlertPolicy | None = None,
    *,
    sender: Sender | None = None,
    at: datetime | None = None,
) -> DispatchReport:
    """Send every due alert (pending, failed past its back-off, held past its release); one transaction per
    claim and per mark, so a crash loses nothing committed."""
    from storage.db import get_engine

    factory = sessionmaker(bind=engine or get_engine(), expire_on_commit=False)
    settings = get_settings()
    by_name = {c.name: c for c in (settings.alert_channels if channels is None else channels) if c.enabled}
    policy = policy or AlertPolicy.from_config()
    sender = sender or default_sender(settings)
    at = at or now()
    report = DispatchReport()
    due_states = [AlertStatus.PENDING, AlertStatus.FAILED, AlertStatus.HELD]
    with factory() as s:
        due = list(
            s.scalars(
                select(Alert)
                .where(
                    Alert.status.in_(due_states),
                    or_(Alert.next_attempt_at.is_(None), Alert.next_attempt_at <= at),
                )
                .order_by(Alert.id)
            )
        )
    groups: dict[tuple[str, bool], list[Alert]] = {}
    for a in due:
        digest = a.channel in policy.digest_channels and a.status == AlertStatus.HELD
        groups.setdefault((a.channel, digest), []).append(a)
    for (channel, digest), alerts in groups.items():
        ch = by_name.get(channel)
        if ch is None:
            continue  # channel removed from the configuration: leave the rows for an operator to see
        batches = [alerts] if digest and len(alerts) > 1 else [[a] for a in alerts]
        for batch in batches:
            claimed = [a for a in batch if _claim(factory, a, policy, at)]
            if not claimed:
                continue
            msg = _message(claimed, channel)
            try:
                sender(ch, msg)
            except DeliveryError as exc:
                report.errors.append(f"{channel}: {exc}")
                report.failed_channels.append(channel)
                for a in claimed:
                    if _fail(factory, a, exc.stored(), policy):
                        report.dead += 1
                    else:
                        report.failed += 1
                continue
            _mark_sent(factory, claimed, at)
            report.sent += len(claimed)
    return report


def _message(alerts: list[Alert], channel: str) -> Message:
    if len(alerts) == 1:
        a = alerts[0]
        return Message(a.dedup_key, a.subject, list(a.payload.get("lines", [])), a.payload.get("link"))
    lines = [a.subject for a in alerts]
    key = f"digest:{channel}:" + ",".join(str(a.id) for a in alerts)
    return Message(key, f"creditwatch 汇总：{len(alerts)} 条事件提醒", lines)


def _claim(factory: sessionmaker[Session], a: Alert, policy: AlertPolicy, at: datetime) -> bool:
    with factory() as s, s.begin():
        res = s.execute(
            update(Alert)
            .where(Alert.id == a.id, Alert.attempts == a.attempts, Alert.status == a.status)
            .values(
                attempts=a.attempts + 1,
                status=AlertStatus.FAILED,
                next_attempt_at=at + policy.backoff(a.attempts + 1),
                last_error=IN_FLIGHT,
            )
        )
        ok = bool(getattr(res, "rowcount", 0) == 1)
    if ok:
        a.attempts += 1
    return ok


def _fail(factory: sessionmaker[Session], a: Alert, error: str, policy: AlertPolicy) -> bool:
    dead = a.attempts >= policy.max_attempts
    with factory() as s, s.begin():
        s.execute(
            update(Alert)
            .where(Alert.id == a.id)
            .values(status=AlertStatus.DEAD if dead else AlertStatus.FAILED, last_error=error[:2000])
        )
    return dead


def _mark_sent(factory: sessionmaker[Session], alerts: list[Alert], at: datetime) -> None:
    with factory() as s, s.begin():
        s.execute(
            update(Alert)
            .where(Alert.id.in_([a.id for a in alerts]))
            .values(status=AlertStatus.SENT, sent_at=at, last_error=None, next_attempt_at=None)
        )


def send_test(channels: list[AlertChannel] | None = None, sender: Sender | None = None) -> dict[str, str]:
    """Send a test message to each configured channel directly (not through the outbox); name -> ok | error."""
    settings = get_settings()
    sender = sender or default_sender(settings)
    out: dict[str, str] = {}
    stamp = now().strftime("%Y-%m-%d %H:%M:%S")
    for ch in settings.alert_channels if channels is None else channels:
        msg = Message(
            f"test:{ch.name}:{stamp}",
            "creditwatch 测试消息",
            [f"渠道 {ch.name}（{vocab.CHANNEL_KIND_LABELS.get(ch.kind, ch.kind)}）可用", stamp],
        )
        try:
            sender(ch, msg)
            out[ch.name] = "ok"
        except DeliveryError as exc:
            out[ch.name] = f"error: {exc}"
    return out
