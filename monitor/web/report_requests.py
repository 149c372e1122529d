"""The life of a report requested in the console, in the `report_requests` table: recorded (queued), taken by a
worker (running), then done or failed; in-flight requests whose process is gone are marked abandoned.

Each function works in the caller's transaction; the caller (the runner, or a page's request) commits.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ReportRequest, ReportState, now
from models.report_requests import IN_FLIGHT

# A report takes seconds to a minute or two (the PDF is the slow part); one still in flight after this long has
# lost its process (on another host, or whose pid was reused), so it is shown as abandoned and may be requested
# again.
STALE_AFTER = timedelta(minutes=30)
ERROR_MAX = 4000  # characters of an error message kept (a traceback-sized message would swamp the page)
# Tells this process from an earlier one with the same pid (a restarted container often gets the same one).
_INCARNATION = secrets.token_hex(4)


def worker_id() -> str:
    """This process as "host:pid:incarnation", stored with the requests it records."""
    return f"{_host()}:{os.getpid()}:{_INCARNATION}"


def _host() -> str:
    return socket.gethostname()[:100]  # the column holds 128 characters


def active_key(month: str, city_code: str, formats: Sequence[str]) -> str:
    return f"{month}/{city_code}/{','.join(formats)}"


def record(
    session: Session, month: str, city_code: str, formats: Sequence[str], requested_by: str, worker: str
) -> ReportRequest:
    """A new queued request. Flushing it raises IntegrityError when the same one is already in flight."""
    request = ReportRequest(
        month=month,
        city_code=city_code,
        formats=",".join(formats),
        requested_by=requested_by[:64],
        state=ReportState.QUEUED,
        active_key=active_key(month, city_code, formats),
        worker=worker,
        requested_at=now(),
    )
    session.add(request)
    session.flush()
    return request


def in_flight(session: Session, key: str) -> ReportRequest | None:
    return session.scalars(select(ReportRequest).where(ReportRequest.active_key == key)).first()


def take(session: Session, request_id: int, worker: str) -> ReportRequest | None:
    """Mark a queued request running; None when it is no longer queued (abandoned while it waited)."""
    request = session.get(ReportRequest, request_id)
    if request is None or request.state is not ReportState.QUEUED:
        return None
    request.state, request.worker, request.started_at = ReportState.RUNNING, worker, now()
    return request


def finish(session: Session, request_id: int, files: Sequence[str]) -> None:
    # Also over an "abandoned" mark: a report that did finish after all is worth showing with its files.
    _close(session, request_id, ReportState.DONE, files=list(files))


def fail(session: Session, request_id: int, error: str) -> None:
    _close(session, request_id, ReportState.FAILED, error=error)


def abandon(session: Session, request_ids: Sequence[int], reason: str) -> None:
    for request_id in request_ids:
        _close(session, request_id, ReportState.ABANDONED, error=reason, only_in_flight=True)


def _close(
    session: Session,
    request_id: int,
    state: ReportState,
    *,
    files: list[str] | None = None,
    error: str | None = None,
    only_in_flight: bool = False,
) -> None:
    request = session.get(ReportRequest, request_id)
    if request is None or (only_in_flight and request.state not in IN_FLIGHT):
        return
    request.state, request.finished_at = state, now()
    request.files, request.error = files, error[:ERROR_MAX] if error else None
    request.active_key = None  # the same report may be requested again


def abandon_stale(session: Session, at: datetime | None = None, limit: timedelta = STALE_AFTER) -> int:
    """Mark in-flight requests abandoned when their process has exited (on this host) or they are older than
    `limit` (a process elsewhere, or one killed before it could record anything). Returns how many."""
    at = at or now()
    count = 0
    for request in session.scalars(select(ReportRequest).where(ReportRequest.state.in_(IN_FLIGHT))):
        since = request.started_at or request.requested_at
        if _process_gone(request.worker):
            reason = "处理该请求的服务进程已退出（服务可能已重启），报告未生成完毕"
        elif since < at - limit:
            reason = f"超过 {int(limit.total_seconds() // 60)} 分钟仍未完成，视为已放弃（服务可能已重启）"
        else:
            continue
        _close(session, request.id, ReportState.ABANDONED, error=reason)
        count += 1
    return count


def _process_gone(worker: str | None) -> bool:
    """True only when `worker` names a process on this host that no longer exists; anything unsure is False
    (the age limit then decides)."""
    host, pid, incarnation = [*(worker or "").split(":"), "", "", ""][:3]
    if os.name != "posix" or host != _host() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return incarnation != _INCARNATION
    try:
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # e.g. PermissionError: it exists, under another user
        return False
    return False


def recent(session: Session, limit: int = 20) -> list[ReportRequest]:
    """The latest requests, newest first (the in-flight ones are among them: older ones are abandoned)."""
    return list(
        session.scalars(
            select(ReportRequest)
            .order_by(ReportRequest.requested_at.desc(), ReportRequest.id.desc())
            .limit(limit)
        )
    )
