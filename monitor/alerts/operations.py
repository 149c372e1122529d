"""Operational alerts: a scheduled run that failed (a crawl whose writes were refused, a processing run that lost
its database, a report that could not be written) reaches the administrators the moment it fails.

These go straight out rather than through the event outbox: the outbox lives in the database, which is what may
have failed. Channels are the configured alert channels named in `ops_alert_channels` (every enabled channel when
that list is empty); a channel that cannot be reached is logged and the others are still tried.
"""

from __future__ import annotations

import logging
from datetime import datetime

from config.settings import Settings, get_settings
from monitor.alerts.channels import DeliveryError, Message, send

log = logging.getLogger(__name__)


def job_failure_message(
    job_id: str, job_name: str, scheduled: datetime | None, detail: str | None, technical: str | None = None
) -> Message:
    when = scheduled.strftime("%Y-%m-%d %H:%M") if scheduled else "—"
    # Only a crawl spools what it could not store; told after any other job's failure, the hint would mislead.
    spooled = (
        "未能保存的采集结果已暂存，数据库恢复后可用 creditwatch crawl-reingest 重新入库；"
        if job_id.startswith("crawl")
        else ""
    )
    return Message(
        key=f"job-failed-{job_id}-{scheduled.strftime('%Y%m%dT%H%M%S') if scheduled else 'now'}",
        subject=f"【信用监测】定时任务失败：{job_name}",
        lines=[
            f"任务：{job_name}（{job_id}）",
            f"计划时间：{when}",
            f"错误：{(detail or '未知错误')[:500]}",
            *([f"技术细节：{technical[:500]}"] if technical and technical != detail else []),
            f"{spooled}详见控制台“运行状态”页。",
        ],
    )


def notify_admins(msg: Message, settings: Settings | None = None) -> int:
    """Send `msg` through the operational channels; returns how many accepted it."""
    settings = settings or get_settings()
    wanted = set(settings.ops_alert_channels)
    channels = [c for c in settings.alert_channels if c.enabled and (not wanted or c.name in wanted)]
    delivered = 0
    for ch in channels:
        try:
            send(ch, msg, settings.smtp, settings.alert_outbox_dir)
            delivered += 1
        except DeliveryError as exc:
            log.error("operational alert %s not delivered through %s: %s", msg.key, ch.name, exc)
    if not channels:
        log.warning("operational alert %s: no alert channel configured", msg.key)
    return delivered
