"""Alerts on major distrust events: the outbox (queue, dispatch with retries) and the channels that deliver."""

from monitor.alerts.channels import DeliveryError, Message, send
from monitor.alerts.outbox import AlertPolicy, DispatchReport, dispatch, queue_alerts, send_test

__all__ = [
    "AlertPolicy",
    "DeliveryError",
    "DispatchReport",
    "Message",
    "dispatch",
    "queue_alerts",
    "send",
    "send_test",
]
