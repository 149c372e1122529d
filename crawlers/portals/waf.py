"""Recognise firewall, captcha and session answers of the portals before parsing: blocks, not parse failures.

The anti-bot challenges are shared with the news-site crawl (crawlers.waf); captcha and session answers are the
portals' own."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crawlers.portals.errors import PortalBlocked
from crawlers.waf import anti_bot_challenge


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
