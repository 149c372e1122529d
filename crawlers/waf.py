"""Recognise anti-bot challenge pages (加速乐, 瑞数, JavaScript cookie reloads, HTTP 412/521) and the portals'
captcha and session answers: blocks, never parsed as content or reported as parse failures.

The one detector of the crawl: the news-site middlewares call `anti_bot_challenge` (once per response, the
verdict is kept in the request's meta), the portal parsers and spiders `challenge_reason` / `check_blocked`,
which add the portals' own captcha and session answers. The patterns are compiled once, at import.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from crawlers.portals.errors import PortalBlocked

# 加速乐 (Jiasule) sets the __jsl_clearance cookie from a 521 page; 瑞数 (RiverSecurity) pages boot from $_ts.
_JSL = re.compile(rb"__jsl_clearance|_jsl_clearance_s|jsl_uid|document\.cookie\s*=\s*\(?['\"]__jsl", re.I)
_RIVER = re.compile(rb"\$_ts\s*=|\$_ts\[|window\[['\"]\$_ts['\"]\]|\$_TS", re.I)
# 加速乐 also spells the cookie name out in pieces ('_')+('_')+('j')…: compared with the punctuation removed.
_JOIN_PUNCT = re.compile(rb"['\"()+\[\]]")
# A tiny page that sets a cookie from script and reloads is the shape of 加速乐/瑞数 challenges when the markers
# themselves are obfuscated.
_JS_RELOAD = re.compile(rb"document\.cookie\s*=.{0,400}(location|setTimeout)", re.S | re.I)
_CHALLENGE_STATUS = frozenset((412, 521))
_SCAN = 65536  # challenge markers sit in the first script; real pages are not scanned to the end


def header_value(headers: Mapping[Any, Any] | None, name: str) -> str:
    """First value of a header from Scrapy's bytes headers or a plain mapping, '' when absent."""
    if not headers:
        return ""
    for k, v in headers.items():
        key = k.decode("latin-1") if isinstance(k, bytes) else str(k)
        if key.lower() == name.lower():
            if isinstance(v, list | tuple):
                v = v[0] if v else b""
            return v.decode("latin-1") if isinstance(v, bytes) else str(v)
    return ""


def anti_bot_challenge(status: int, body: bytes, headers: Mapping[Any, Any] | None = None) -> str | None:
    """Name the anti-bot challenge a response is, or None for an ordinary response."""
    head = body[:_SCAN]
    # Every 加速乐 marker contains "jsl_" or "__jsl" and every 瑞数 marker "$_ts": a substring test on the lowered
    # head (a C loop) rules most pages out before the case-insensitive patterns, which cost ~2 ms on a 64 KiB page.
    # Not "jsl" alone: packed scripts name a `jsLoader`, and 26 of the demo's 88 pages then paid for the pattern.
    lowered = head.lower()
    small = len(body) < 20000
    joined = _JOIN_PUNCT.sub(b"", head[:5000]) if small else b""
    if (
        ((b"jsl_" in lowered or b"__jsl" in lowered) and _JSL.search(head))
        or b"__jsl_clearance" in joined
        or "__jsl_clearance" in header_value(headers, "set-cookie")
    ):
        return f"WAF challenge: 加速乐 __jsl_clearance (HTTP {status})"
    if b"$_ts" in lowered and _RIVER.search(head):
        return f"WAF challenge: 瑞数 RiverSecurity $_ts (HTTP {status})"
    if status in _CHALLENGE_STATUS:
        return f"WAF challenge: HTTP {status} JavaScript challenge (anti-bot firewall)"
    if len(body) < 5000 and _JS_RELOAD.search(head):
        return f"WAF challenge: script sets document.cookie and reloads (HTTP {status})"
    return None


def challenge_reason(status: int, body: bytes, headers: Mapping[str, Any] | None = None) -> str | None:
    """Why this response is a firewall/captcha/session answer rather than data; None when it looks like data."""
    reason = anti_bot_challenge(status, body, headers)
    if reason is not None:
        return reason
    head = body[:20000]
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
    return None


def check_blocked(
    portal: str, status: int, body: bytes, headers: Mapping[str, Any] | None = None, url: str | None = None
) -> None:
    """Raise `PortalBlocked` when the response is a challenge; return quietly otherwise."""
    reason = challenge_reason(status, body, headers)
    if reason is not None:
        raise PortalBlocked(portal, reason, url=url, status=status)
