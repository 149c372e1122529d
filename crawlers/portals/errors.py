"""The two ways a portal response can fail: it does not match the documented shape, or a firewall answered."""

from __future__ import annotations


class PortalError(ValueError):
    """The response does not have the documented shape; `field` names what was missing or wrong."""

    def __init__(self, portal: str, field: str, problem: str, url: str | None = None) -> None:
        self.portal = portal
        self.field = field
        self.problem = problem
        self.url = url
        where = f" ({url})" if url else ""
        super().__init__(f"{portal}: field {field!r}: {problem}{where}")


class PortalBlocked(RuntimeError):
    """A WAF/JavaScript challenge, a captcha or a missing session answered instead of the data."""

    def __init__(self, portal: str, reason: str, url: str | None = None, status: int | None = None) -> None:
        self.portal = portal
        self.reason = reason
        self.url = url
        self.status = status
        where = f" ({url})" if url else ""
        super().__init__(f"{portal}: blocked: {reason}{where}")
