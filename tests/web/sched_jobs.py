"""Job functions for the scheduler tests (importable by text reference, as the persistent job store requires)."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from config.settings import TZ

CALLS: list[tuple[str, datetime]] = []
_running = 0
MAX_CONCURRENT = 0
_lock = threading.Lock()


def reset() -> None:
    global MAX_CONCURRENT, _running
    CALLS.clear()
    MAX_CONCURRENT = 0
    _running = 0


def quick(tag: str) -> str:
    CALLS.append((tag, datetime.now(TZ)))
    return f"{tag} done"


def slow(seconds: float) -> None:
    global MAX_CONCURRENT, _running
    with _lock:
        _running += 1
        MAX_CONCURRENT = max(MAX_CONCURRENT, _running)
    try:
        CALLS.append(("slow", datetime.now(TZ)))
        time.sleep(seconds)
    finally:
        with _lock:
            _running -= 1


def boom() -> None:
    raise RuntimeError("boom: the stage failed")
