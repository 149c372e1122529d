"""Alert channels: e-mail (SMTP), DingTalk, WeCom (企业微信) and Feishu robots, and a local-file outbox.

Each channel turns one `Message` into the wire format its receiver documents and sends it; a failure raises
`DeliveryError`, which says in Chinese what failed and what staff can do (stored with the alert, shown in the
console) and keeps the receiver's own words (an SMTP reply, a robot's error code) as its technical detail.
Crawled text (titles, reasons) is untrusted: HTML-escaped in mail, markdown-escaped in robots.
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
    """The channel did not accept the message (network, HTTP status, robot error code).

    `str(exc)` is the technical detail (logs, `creditwatch alerts test`); `reason` is what staff read: one line of
    Chinese saying what failed and what can be done."""

    def __init__(self, technical: str, reason: str | None = None) -> None:
        super().__init__(technical)
        self.reason = reason or "告警渠道未接收这条消息：若反复失败，请管理员查看技术细节"

    def stored(self) -> str:
        """The alert row's `last_error`: the reason, then the technical detail on a line of its own (the console
        shows it to administrators apart from the reason)."""
        return f"{self.reason}\n{TECHNICAL_PREFIX}{self}"


# Starts the line of `Alert.last_error` that holds the receiver's own words, kept for the administrator.
TECHNICAL_PREFIX = "技术细节："
KIND_NAMES = {"dingtalk": "钉钉", "wecom": "企业微信", "feishu": "飞书"}


def error_parts(stored: str | None) -> tuple[str, str]:
    """An alert's `last_error` as (what staff read, the technical detail for the administrator); a row stored
    before errors had two parts is all reason, shown as it was stored."""
    reason, _, technical = (stored or "").partition(f"\n{TECHNICAL_PREFIX}")
    return reason, technical


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


def _post(ch: AlertChannel, url: str, body: dict[str, Any], *, ok_code: str, timeout: float = 10.0) -> None:
    robot = f"{KIND_NAMES.get(ch.kind, ch.kind)}机器人"
    if not url:
        raise DeliveryError(
            "webhook channel without url",
            f"{robot}渠道「{ch.name}」未配置网址：请管理员在告警渠道设置中填写机器人网址",
        )
    # Imported here, not with the module: queueing alerts (every `creditwatch process`) never sends, and httpx's
    # import costs a quarter of a second of that command's start-up.
    import httpx

    try:
        r = httpx.post(url, json=body, timeout=timeout)
    except httpx.TimeoutException as exc:
        raise DeliveryError(
            f"webhook timed out: {exc}",
            f"{robot}服务器在 {timeout:g} 秒内没有应答：若反复失败，请检查本机网络",
        ) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(
            f"webhook unreachable: {exc}",
            f"无法连接{robot}服务器：若反复失败，请检查本机网络，或请管理员核对机器人网址",
        ) from exc
    if r.status_code != 200:
        if 400 <= r.status_code < 500:
            reason = f"{robot}服务器不接受这个网址（状态码 {r.status_code}）：机器人可能已被删除，请管理员核对机器人网址"
        else:
            reason = f"{robot}服务器出错（状态码 {r.status_code}）：多为对方暂时故障，若反复失败请联系管理员"
        raise DeliveryError(f"webhook HTTP {r.status_code}: {r.text[:200]}", reason)
    try:
        data = r.json()
    except ValueError as exc:
        raise DeliveryError(
            f"webhook answered with non-JSON: {r.text[:200]}",
            f"{robot}网址的应答不是机器人接口的格式：请管理员核对机器人网址",
        ) from exc
    code = data.get(ok_code, data.get("StatusCode", 0)) if isinstance(data, dict) else None
    if code not in (0, "0"):
        raise DeliveryError(
            f"webhook refused: {json.dumps(data, ensure_ascii=False)[:300]}",
            f"{robot}拒收了消息（错误码 {code}）：多为机器人的安全设置（签名密钥、关键词、地址白名单）不符，"
            "请管理员对照技术细节检查",
        )


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
        raise DeliveryError(
            f"e-mail channel {ch.name} has no recipients",
            f"邮件渠道「{ch.name}」未配置收件人：请管理员在告警渠道设置中填写收件地址",
        )
    mail = email_message(msg, smtp, ch.recipients)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as s:
            if smtp.starttls:
                s.starttls()
            if smtp.username:
                s.login(smtp.username, smtp.password or "")
            s.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {exc}", smtp_reason(exc, smtp)) from exc


def smtp_reason(exc: BaseException, smtp: SmtpSettings) -> str:
    """What staff read when the mail server did not take an alert: which step failed and who can fix it."""
    server = f"邮件服务器（{smtp.host}:{smtp.port}）"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = "、".join(str(a) for a in exc.recipients)
        return f"{server}拒收收件地址 {refused}：请管理员核对告警渠道的收件地址，或请邮件服务器管理员放行"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{server}拒绝发件地址 {smtp.sender}：请管理员核对发件地址设置"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"{server}拒绝登录：发件账号的用户名或密码有误，请管理员核对"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{server}不支持所需的加密连接或登录方式：请管理员核对邮件服务器设置"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{server}中途断开了连接：若反复失败，请管理员检查邮件服务器"
    if isinstance(exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError):
        return f"{server}拒绝建立会话（应答码 {exc.smtp_code}）：请管理员查看技术细节，或联系邮件服务器管理员"
    if isinstance(exc, smtplib.SMTPResponseException):
        temporary = 400 <= exc.smtp_code < 500
        then = (
            "多为对方暂时繁忙，若反复失败请联系邮件服务器管理员"
            if temporary
            else "请管理员查看技术细节，或联系邮件服务器管理员"
        )
        return f"{server}拒绝了这封邮件（应答码 {exc.smtp_code}）：{then}"
    if isinstance(exc, TimeoutError):
        return f"{server}在 {smtp.timeout:g} 秒内没有应答：若反复失败，请检查本机网络"
    if isinstance(exc, ConnectionRefusedError):
        return f"无法连接{server}（对方拒绝连接）：邮件服务可能未运行，或地址、端口有误，请管理员核对"
    if isinstance(exc, OSError):
        return f"无法连接{server}：若反复失败，请检查本机网络，或请管理员核对邮件服务器地址"
    return f"{server}未能发出这封邮件：请管理员查看技术细节"


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
        _post(ch, *dingtalk_request(ch, msg), ok_code="errcode")
    elif ch.kind == "wecom":
        _post(ch, *wecom_request(ch, msg), ok_code="errcode")
    elif ch.kind == "feishu":
        _post(ch, *feishu_request(ch, msg), ok_code="code")
    elif ch.kind == "file":
        try:
            write_file(ch, msg, outbox)
        except OSError as exc:  # a full disk or a folder without permission: this channel failed, not the job
            folder = Path(ch.url) if ch.url else outbox
            raise DeliveryError(
                f"outbox {folder}: {exc}",
                f"无法写入本地发件箱文件夹 {folder}：请管理员检查磁盘空间和文件夹权限",
            ) from exc
    else:
        raise DeliveryError(
            f"unknown channel kind {ch.kind!r}",
            f"告警渠道「{ch.name}」的类型「{ch.kind}」不受支持：请管理员修改告警渠道设置",
        )
