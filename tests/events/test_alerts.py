"""Alerts against real receivers: an aiosmtpd SMTP server and a webhook server on 127.0.0.1, both in-process."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message as EmailMsg
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from config.settings import AlertChannel, SmtpSettings
from models import Alert, AlertStatus
from monitor.alerts.channels import Message, dingtalk_sign, feishu_sign, md_escape, send
from monitor.alerts.outbox import AlertPolicy, dispatch, queue_alerts
from nlp.clustering import ClusterParams
from processing.clustering import cluster_articles
from processing.incidents import detect_major
from tests.events.factories import article, at, homepage
from tests.events.stories import STORIES
from tests.local_http import JsonPostHandler, serving


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.mails: list[EmailMsg] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content))
        return "250 OK"


def _subject(mail: EmailMsg) -> str:
    return str(make_header(decode_header(mail["Subject"])))


@pytest.fixture
def smtp_port() -> int:
    return _free_port()


def _start_smtp(port: int) -> tuple[Controller, _Inbox]:
    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    return ctl, inbox


class _Hooks:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.reply: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def webhook() -> Iterator[tuple[str, _Hooks]]:
    hooks = _Hooks()

    class Handler(JsonPostHandler):
        def do_POST(self) -> None:
            hooks.requests.append((self.path, self.posted()))
            self.answer(200, json.dumps(hooks.reply).encode(), "application/json")

    with serving(Handler) as url:
        yield url, hooks


MSG = Message(
    "major:7:x",
    "[重大失信事件] 江阴市: 爆炸",
    ["标题 <script>alert(1)</script> [链接](http://evil)", "第二行"],
)


def test_dingtalk_markdown_and_signature(webhook: tuple[str, _Hooks], tmp_path: Path) -> None:
    base, hooks = webhook
    ch = AlertChannel(name="dd", kind="dingtalk", url=f"{base}/robot/send?access_token=abc", secret="SECxyz")
    send(ch, MSG, SmtpSettings(), tmp_path)
    path, body = hooks.requests[0]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    ts = q["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(b"SECxyz", f"{ts}\nSECxyz".encode(), hashlib.sha256).digest()
    ).decode()
    assert q["sign"][0] == expected and q["access_token"] == ["abc"]
    assert body["msgtype"] == "markdown" and body["markdown"]["title"] == MSG.subject
    text = body["markdown"]["text"]
    assert "\\[链接\\]\\(http://evil\\)" in text and "[链接](http" not in text
    assert dingtalk_sign("SECxyz", int(ts)) == urllib.parse.quote_plus(expected)


def test_wecom_markdown_without_signature(webhook: tuple[str, _Hooks], tmp_path: Path) -> None:
    base, hooks = webhook
    send(
        AlertChannel(name="wx", kind="wecom", url=f"{base}/cgi-bin/webhook/send?key=k"),
        MSG,
        SmtpSettings(),
        tmp_path,
    )
    path, body = hooks.requests[0]
    assert path == "/cgi-bin/webhook/send?key=k"
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert body["markdown"]["content"].startswith("### \\[重大失信事件\\] 江阴市: 爆炸")


def test_feishu_post_with_signature_and_refusal(webhook: tuple[str, _Hooks], tmp_path: Path) -> None:
    base, hooks = webhook
    hooks.reply = {"code": 0, "msg": "success"}
    ch = AlertChannel(name="fs", kind="feishu", url=f"{base}/open-apis/bot/v2/hook/h", secret="fsk")
    send(ch, MSG, SmtpSettings(), tmp_path)
    _, body = hooks.requests[0]
    ts = body["timestamp"]
    expected = base64.b64encode(hmac.new(f"{ts}\nfsk".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected == feishu_sign("fsk", int(ts))
    assert body["msg_type"] == "post"
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == MSG.subject and post["content"][0] == [{"tag": "text", "text": MSG.lines[0]}]
    hooks.reply = {
        "code": 19021,
        "msg": "sign match fail or timestamp is not within one hour from current time",
    }
    from monitor.alerts.channels import DeliveryError

    with pytest.raises(DeliveryError, match="19021"):
        send(ch, MSG, SmtpSettings(), tmp_path)


def test_email_text_and_escaped_html(smtp_port: int, tmp_path: Path) -> None:
    ctl, inbox = _start_smtp(smtp_port)
    try:
        ch = AlertChannel(name="mail", kind="email", recipients=["office@example.cn"])
        send(ch, MSG, SmtpSettings(host="127.0.0.1", port=smtp_port), tmp_path)
    finally:
        ctl.stop()
    (mail,) = inbox.mails
    assert mail["To"] == "office@example.cn"
    assert _subject(mail) == MSG.subject
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode() for p in mail.walk() if not p.is_multipart()
    }
    assert "<script>" in parts["text/plain"]
    assert "<script>" not in parts["text/html"] and "&lt;script&gt;" in parts["text/html"]
    assert md_escape("a*b") == "a\\*b"


def _major_event(s: Session) -> int:
    a = article(s, "people", "blast", *STORIES["blast"], at(20, 9, 5))
    b = article(s, "sina", "blast-r", *STORIES["blast_reprint"], at(20, 9, 10))
    cluster_articles(s, ClusterParams())
    for key, mm in (("people", 12), ("sina", 20), ("qq", 31)):
        homepage(s, key, at(20, 9, mm), [("江阴化工厂爆炸", b if key != "people" else a)])
    (change,) = detect_major(s)
    s.commit()
    return change.event_id


def test_smtp_down_then_back_gets_the_alert_once(engine: Engine, smtp_port: int, tmp_path: Path) -> None:
    from config.settings import Settings
    from monitor.alerts.outbox import default_sender

    settings = Settings(
        smtp=SmtpSettings(host="127.0.0.1", port=smtp_port, timeout=2), alert_outbox_dir=tmp_path
    )
    sender = default_sender(settings)
    chans = [AlertChannel(name="mail", kind="email", recipients=["office@example.cn"])]
    policy = AlertPolicy(backoff_base=timedelta(minutes=1))
    with Session(engine) as s:
        _major_event(s)
        queue_alerts(s, chans, policy, watched_cities=[], at=at(20, 9, 32))
        s.commit()
    r1 = dispatch(engine, chans, policy, sender=sender, at=at(20, 9, 33))  # server down
    assert r1.sent == 0 and r1.failed == 1
    ctl, inbox = _start_smtp(smtp_port)
    try:
        # before the back-off has passed nothing is retried
        assert dispatch(engine, chans, policy, sender=sender, at=at(20, 9, 33)).sent == 0
        r2 = dispatch(engine, chans, policy, sender=sender, at=at(20, 9, 35))
        r3 = dispatch(engine, chans, policy, sender=sender, at=at(20, 9, 50))
    finally:
        ctl.stop()
    assert (r2.sent, r3.sent) == (1, 0)
    assert len(inbox.mails) == 1 and _subject(inbox.mails[0]).startswith("【重大失信事件】江阴市：")
    with Session(engine) as s:
        (row,) = s.scalars(select(Alert)).all()
        assert row.status == AlertStatus.SENT and row.attempts == 2


def test_restarts_between_detection_and_sending_give_one_alert(engine: Engine, tmp_path: Path) -> None:
    """Detect, 'crash', detect and queue again in new sessions, dispatch twice: one file per channel."""
    chans = [AlertChannel(name="outbox", kind="file", url=str(tmp_path / "out"))]
    sent: list[str] = []

    def sender(ch: AlertChannel, msg: Message) -> None:
        sent.append(msg.key)
        send(ch, msg, SmtpSettings(), tmp_path)

    with Session(engine) as s:
        ev = _major_event(s)
        queue_alerts(s, chans, AlertPolicy(), watched_cities=[])
        s.commit()
    for _ in range(2):  # restarted processes re-run detection and queueing
        with Session(engine) as s:
            assert detect_major(s) == []
            assert queue_alerts(s, chans, AlertPolicy(), watched_cities=[]) == []
            s.commit()
    dispatch(engine, chans, AlertPolicy(), sender=sender)
    dispatch(engine, chans, AlertPolicy(), sender=sender)
    assert sent == [f"major:{ev}:outbox"]
    files = list((tmp_path / "out").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text(encoding="utf-8"))["key"] == sent[0]


def test_quiet_hours_hold_and_digest_batches(engine: Engine) -> None:
    from datetime import time, timedelta

    chans = [AlertChannel(name="night", kind="file"), AlertChannel(name="digest", kind="file")]
    policy = AlertPolicy(
        quiet_start=time(22),
        quiet_end=time(7),
        quiet_channels=("night",),
        digest_channels=("digest",),
        digest_every=timedelta(hours=1),
    )
    got: list[tuple[str, str, int]] = []

    def sender(ch: AlertChannel, msg: Message) -> None:
        got.append((ch.name, msg.key, len(msg.lines)))

    with Session(engine) as s:
        _major_event(s)
        queue_alerts(s, chans, policy, watched_cities=[], at=at(20, 23, 10))
        s.commit()
        assert {a.status for a in s.scalars(select(Alert))} == {AlertStatus.HELD}
    assert dispatch(engine, chans, policy, sender=sender, at=at(20, 23, 30)).sent == 0
    assert dispatch(engine, chans, policy, sender=sender, at=at(21, 0, 0)).sent == 1  # digest slot
    assert dispatch(engine, chans, policy, sender=sender, at=at(21, 6, 59)).sent == 0
    assert dispatch(engine, chans, policy, sender=sender, at=at(21, 7, 0)).sent == 1  # quiet hours over
    assert [g[0] for g in got] == ["digest", "night"]


def test_failing_channel_goes_dead_after_max_attempts(engine: Engine) -> None:
    from datetime import timedelta

    from monitor.alerts.channels import DeliveryError

    chans = [AlertChannel(name="dd", kind="dingtalk", url="http://127.0.0.1:9/none")]
    policy = AlertPolicy(max_attempts=3, backoff_base=timedelta(seconds=10))

    def sender(ch: AlertChannel, msg: Message) -> None:
        raise DeliveryError("down")

    with Session(engine) as s:
        _major_event(s)
        queue_alerts(s, chans, policy, watched_cities=[])
        s.commit()
    t = at(21, 0)
    reports = [dispatch(engine, chans, policy, sender=sender, at=t + timedelta(hours=i)) for i in range(5)]
    assert [r.failed for r in reports] == [1, 1, 0, 0, 0] and reports[2].dead == 1
    with Session(engine) as s:
        (row,) = s.scalars(select(Alert)).all()
        assert row.status == AlertStatus.DEAD and row.attempts == 3
        # A reason staff can read first, the channel's own words kept apart for the administrator.
        assert row.last_error == f"{DeliveryError('down').reason}\n技术细节：down"


def test_optional_alert_on_any_distrust_event_about_a_watched_city(db_session: Session) -> None:
    article(db_session, "people", "m", *STORIES["mooncake"], at(20, 9))  # 江阴, not major
    article(db_session, "qq", "x", *STORIES["fraud_xuzhou"], at(20, 9), city="320300")  # 徐州: not watched
    cluster_articles(db_session, ClusterParams())
    chans = [AlertChannel(name="outbox", kind="file")]
    assert queue_alerts(db_session, chans, AlertPolicy(), watched_cities=["320200"]) == []
    rows = queue_alerts(
        db_session, chans, AlertPolicy(on_watched_city_distrust=True), watched_cities=["320200"]
    )
    assert [(r.kind, r.channel) for r in rows] == [("distrust", "outbox")]
    assert rows[0].subject.startswith("【失信事件】江阴市：")


def test_the_alert_says_in_chinese_what_where_until_when_and_links_to_the_event(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from config.settings import get_settings

    monkeypatch.setenv("CREDITWATCH_CONSOLE_BASE_URL", "https://credit.example.gov.cn/")
    get_settings.cache_clear()
    chans = [AlertChannel(name="outbox", kind="file", url=str(tmp_path / "out"))]
    try:
        with Session(engine) as s:
            ev = _major_event(s)
            queue_alerts(s, chans, AlertPolicy(), watched_cities=[])
            s.commit()
        assert dispatch(
            engine, chans, AlertPolicy(), sender=lambda ch, m: send(ch, m, SmtpSettings(), tmp_path)
        ).sent
    finally:
        get_settings.cache_clear()
    (file,) = (tmp_path / "out").glob("*.json")
    msg = json.loads(file.read_text(encoding="utf-8"))
    assert msg["subject"].startswith("【重大失信事件】江阴市：")
    text = "\n".join(msg["lines"])
    assert "涉及网站：" in text and "人民网" in text and "新浪网" in text and "腾讯网" in text
    assert "人民网首页" in text and "第1条" in text  # the position on each homepage
    # jiangsu2016: feedback counts in full within 72 h of the first sighting (2026-11-20 09:05 local)
    assert "政府反馈截止：2026-11-23 09:05（首次发现后 72 小时内）" in text
    assert "认定依据：2026-11-20 09:12/09:20/09:31 先后登上人民网、新浪网、腾讯网首页" in text
    assert msg["link"] == f"https://credit.example.gov.cn/events/{ev}"
    assert "领域：" in text and "government" not in text and "society" not in text


def test_a_row_being_sent_says_so_in_chinese(engine: Engine) -> None:
    """While a channel is sending, the row's error says it is being sent (and what happens after a crash)."""
    from monitor.alerts.outbox import IN_FLIGHT
    from tests.staff_text import english_phrases

    chans = [AlertChannel(name="outbox", kind="file")]
    seen: list[str | None] = []

    def sender(ch: AlertChannel, msg: Message) -> None:
        with Session(engine) as s:
            seen.extend(s.scalars(select(Alert.last_error)))

    with Session(engine) as s:
        _major_event(s)
        queue_alerts(s, chans, AlertPolicy(), watched_cities=[])
        s.commit()
    assert dispatch(engine, chans, AlertPolicy(), sender=sender).sent == 1
    assert seen == [IN_FLIGHT] and english_phrases(IN_FLIGHT) == []
    with Session(engine) as s:
        assert s.scalars(select(Alert.last_error)).one() is None
