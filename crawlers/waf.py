"""Recognise anti-bot challenge pages (加速乐, 瑞数, JavaScript cookie reloads, HTTP 412/521).

One detector for the news-site crawl (crawlers.middlewares) and the portals (crawlers.portals.waf): a challenge
must be counted as a block, never parsed as content or reported as a parse failure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
    small = len(body) < 20000
    joined = _JOIN_PUNCT.sub(b"", head[:5000]) if small else b""
    if (
        _JSL.search(head)
        or b"__jsl_clearance" in joined
        or "__jsl_clearance" in header_value(headers, "set-cookie")
    ):
        return f"WAF challenge: 加速乐 __jsl_clearance (HTTP {status})"
    if _RIVER.search(head):
        return f"WAF challenge: 瑞数 RiverSecurity $_ts (HTTP {status})"
    if status in _CHALLENGE_STATUS:
        return f"WAF challenge: HTTP {status} JavaScript challenge (anti-bot firewall)"
    if len(body) < 5000 and _JS_RELOAD.search(head):
        return f"WAF challenge: script sets document.cookie and reloads (HTTP {status})"
    return None
