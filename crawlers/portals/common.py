"""Helpers shared by the portal parsers: strict JSON loading and typed pages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from crawlers.portals.errors import PortalError

T = TypeVar("T")


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a paged portal answer."""

    items: list[T] = field(default_factory=list)
    """The entries of this page, in the portal's order."""
    total: int | None = None
    """Total number of entries for the query, as the portal states it; None if not stated."""
    page: int | None = None
    """1-based page number when the portal echoes it."""
    pages: int | None = None
    """Number of pages when stated or derivable."""


def load_json(portal: str, body: bytes | str, url: str | None = None) -> Any:
    """Decode a JSON body (UTF-8, BOM tolerated); malformed JSON is a `PortalError` naming the position."""
    try:
        text = body.decode("utf-8-sig") if isinstance(body, bytes) else body
    except UnicodeDecodeError as exc:
        raise PortalError(portal, "body", f"not UTF-8 ({exc.reason} at byte {exc.start})", url) from None
    if not text.strip():
        raise PortalError(portal, "body", "empty response", url)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        snippet = text[max(0, exc.pos - 20) : exc.pos + 20].replace("\n", " ")
        raise PortalError(
            portal, "body", f"malformed JSON: {exc.msg} at char {exc.pos} near {snippet!r}", url
        ) from None


def need(portal: str, obj: Any, path: str, kind: type | tuple[type, ...], url: str | None = None) -> Any:
    """obj[a][b]… for a dotted `path`, checked to be of `kind`; anything else is a `PortalError` naming the path."""
    cur = obj
    walked: list[str] = []
    for part in path.split("."):
        walked.append(part)
        if not isinstance(cur, dict):
            raise PortalError(
                portal, ".".join(walked[:-1]) or "body", f"expected an object, got {type(cur).__name__}", url
            )
        if part not in cur:
            raise PortalError(portal, ".".join(walked), "missing", url)
        cur = cur[part]
    if not isinstance(cur, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise PortalError(portal, path, f"expected {names}, got {type(cur).__name__}", url)
    return cur


def as_int(portal: str, value: Any, path: str, url: str | None = None) -> int:
    """An integer that portals sometimes send as a string ("36")."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PortalError(portal, path, f"expected an integer, got {value!r}", url) from None
