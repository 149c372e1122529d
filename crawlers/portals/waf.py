"""Recognise firewall and captcha answers before parsing: they must be reported as blocks, not as parse failures."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from crawlers.portals.errors import PortalBlocked

# A tiny page that sets a cookie from script and reloads is the shape of 加速乐/瑞数 challenges when the markers
# themselves are obfuscated.
_JOIN_PUNCT = re.compile(rb"['\"()+\[\]]")
_JS_RELOAD = re.compile(rb"document\.cookie\s*=.{0,400}(location|setTimeout)", re.S | re.I)


def _header(headers: Mapping[str, Any] | None, name: str) -> str:
    if not headers:
        return ""
    for k, v in headers.items():
        key = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if key.lower() == name.lower():
            if isinstance(v, list | tuple):
                v = v[0] if v else b""
            return v.decode("latin-1") if isinstance(v, bytes) else str(v)
    return ""


def challenge_reason(status: int, body: bytes, headers: Mapping[str, Any] | None = None) -> str | None:
    """Why this response is a firewall/captcha/session answer rather than data; None when it looks like data."""
    head = body[:20000]
    if b"$_ts" in head:
        return f"瑞数 (RiverSecurity) JavaScript challenge ($_ts), HTTP {status}"
    # 加速乐 spells the cookie name out in pieces ('_')+('_')+('j')…: compare with the punctuation removed.
    joined = _JOIN_PUNCT.sub(b"", head[:5000]) if len(body) < 20000 else b""
    if (
        b"__jsl_clearance" in head
        or b"__jsl_clearance" in joined
        or "__jsl_clearance" in _header(headers, "set-cookie")
    ):
        return f"加速乐 JavaScript challenge (__jsl_clearance), HTTP {status}"
    if status in (412, 521):
        return f"HTTP {status} JavaScript challenge (anti-bot firewall)"
    stripped = head.strip()
    if stripped == b"error":
        return "captcha rejected: the portal answered 'error' (pCode/captchaId missing, wrong or expired)"
    if stripped.startswith(b"{") and b"40001" in stripped[:200]:
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if isinstance(data, dict) and str(data.get("status")) == "40001":
            return f"session rejected (status 40001: {data.get('message') or 'no message'}); a browser session cookie is needed"
    if len(body) < 5000 and _JS_RELOAD.search(head):
        return f"JavaScript cookie challenge (script sets document.cookie and reloads), HTTP {status}"
    return None


def check_blocked(
    portal: str, status: int, body: bytes, headers: Mapping[str, Any] | None = None, url: str | None = None
) -> None:
    """Raise `PortalBlocked` when the response is a challenge; return quietly otherwise."""
    reason = challenge_reason(status, body, headers)
    if reason is not None:
        raise PortalBlocked(portal, reason, url=url, status=status)
