"""Alert channels: e-mail (SMTP), DingTalk, WeCom (企业微信) and Feishu robots, and a local-file outbox.

Each channel turns one `Message` into the wire format its receiver documents and sends it; a failure raises
`DeliveryError`. Crawled text (titles, reasons) is untrusted: HTML-escaped in mail, markdown-escaped in robots.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import re
import smtplib
import time
import urllib.parse
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from config.settings import AlertChannel, SmtpSettings


class DeliveryError(RuntimeError):
    """The channel did not accept the message (network, HTTP status, robot error code)."""


@dataclass(frozen=True)
class Message:
    key: str  # the outbox dedup key: names the message for idempotent receivers (file, Message-ID)
    subject: str
    lines: list[str] = field(default_factory=list)  # plain text lines (untrusted parts included)
    link: str | None = None


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def md_escape(text: str) -> str:
    """Escape markdown so a crawled title cannot add links, images or headings to a robot message."""
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def markdown_body(msg: Message) -> str:
    body = [f"### {md_escape(msg.subject)}", ""] + [f"- {md_escape(line)}" for line in msg.lines]
    if msg.link:
        body += ["", f"[查看详情]({msg.link})"]
    return "\n".join(body)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk: base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=empty))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def dingtalk_request(ch: AlertChannel, msg: Message, now_ms: int | None = None) -> tuple[str, dict[str, Any]]:
    url = ch.url or ""
    if ch.secret:
        ts = now_ms if now_ms is not None else int(time.time() * 1000)
        sep = "&" if "?" in url else "?"
        url = f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(ch.secret, ts)}"
    return url, {"msgtype": "markdown", "markdown": {"title": msg.subject[:64], "text": markdown_body(msg)}}


def wecom_request(ch: AlertChannel, msg: Message) -> tuple[str, dict[str, Any]]:
    return ch.url or "", {"msgtype": "markdown", "markdown": {"content": markdown_body(msg)[:4096]}}


def feishu_request(ch: AlertChannel, msg: Message, now_s: int | None = None) -> tuple[str, dict[str, Any]]:
    content: list[list[dict[str, str]]] = [[{"tag": "text", "text": line}] for line in msg.lines]
    if msg.link:
        content.append([{"tag": "a", "text": "查看详情", "href": msg.link}])
    body: dict[str, Any] = {
        "msg_type": "post",
        "content": {"post": {"zh_cn": {"title": msg.subject, "content": content}}},
    }
    if ch.secret:
        ts = now_s if now_s is not None else int(time.time())
        body = {"timestamp": str(ts), "sign": feishu_sign(ch.secret, ts), **body}
    return ch.url or "", body


def _post(url: str, body: dict[str, Any], *, ok_code: str, timeout: float = 10.0) -> None:
    if not url:
        raise DeliveryError("webhook channel without url")
    # Imported here, not with the module: queueing alerts (every `creditwatch process`) never sends, and httpx's
    # import costs a quarter of a second of that command's start-up.
    import httpx

    try:
        r = httpx.post(url, json=body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from exc
    if r.status_code != 200:
        raise DeliveryError(f"webhook HTTP {r.status_code}")
    try:
        data = r.json()
    except ValueError as exc:
        raise DeliveryError("webhook answered with non-JSON") from exc
    code = data.get(ok_code, data.get("StatusCode", 0))
    if code not in (0, "0"):
        raise DeliveryError(f"webhook refused: {json.dumps(data, ensure_ascii=False)[:300]}")


def email_message(msg: Message, smtp: SmtpSettings, recipients: list[str]) -> EmailMessage:
    m = EmailMessage()
    m["Subject"] = msg.subject.replace("\n", " ")
    m["From"] = smtp.sender
    m["To"] = ", ".join(recipients)
    m["Date"] = formatdate(localtime=True)
    # Deterministic Message-ID: a re-send after a crash is recognisable as the same mail downstream.
    digest = hashlib.sha256(msg.key.encode()).hexdigest()[:32]
    m["Message-ID"] = f"<{digest}@creditwatch>"
    text = "\n".join([msg.subject, "", *msg.lines, *([msg.link] if msg.link else [])])
    m.set_content(text)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in msg.lines)
    link = f'<p><a href="{html.escape(msg.link, quote=True)}">查看详情</a></p>' if msg.link else ""
    m.add_alternative(
        f"<html><body><h3>{html.escape(msg.subject)}</h3><ul>{items}</ul>{link}</body></html>", subtype="html"
    )
    return m


def send_email(ch: AlertChannel, msg: Message, smtp: SmtpSettings) -> None:
    if not ch.recipients:
        raise DeliveryError(f"e-mail channel {ch.name} has no recipients")
    mail = email_message(msg, smtp, ch.recipients)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as s:
            if smtp.starttls:
                s.starttls()
            if smtp.username:
                s.login(smtp.username, smtp.password or "")
            s.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from exc


def write_file(ch: AlertChannel, msg: Message, outbox: Path) -> Path:
    """One JSON file per message, named after its key and written atomically: a re-send overwrites itself."""
    directory = Path(ch.url) if ch.url else outbox
    directory.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", msg.key) + ".json"
    path = directory / name
    tmp = path.with_suffix(".tmp")
    payload = {"key": msg.key, "subject": msg.subject, "lines": msg.lines, "link": msg.link}
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def send(ch: AlertChannel, msg: Message, smtp: SmtpSettings, outbox: Path) -> None:
    """Deliver `msg` through channel `ch`; raises DeliveryError when it was not accepted."""
    if ch.kind == "email":
        send_email(ch, msg, smtp)
    elif ch.kind == "dingtalk":
        _post(*dingtalk_request(ch, msg), ok_code="errcode")
    elif ch.kind == "wecom":
        _post(*wecom_request(ch, msg), ok_code="errcode")
    elif ch.kind == "feishu":
        _post(*feishu_request(ch, msg), ok_code="code")
    elif ch.kind == "file":
        write_file(ch, msg, outbox)
    else:
        raise DeliveryError(f"unknown channel kind {ch.kind!r}")
