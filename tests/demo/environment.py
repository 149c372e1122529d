"""Running `creditwatch demo` inside a test: run_demo points the process settings (CREDITWATCH_* variables, the
cached settings and engine) at its own folder; `demo_environment` gives them back afterwards, for a test or for a
whole module that builds the demo database once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from config.settings import get_settings
from storage.db import get_engine

DEMO_VARIABLES = ("DATABASE_URL", "ALERT_OUTBOX_DIR", "ALERT_CHANNELS", "DATA_DIR")


@contextmanager
def demo_environment() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for key in DEMO_VARIABLES:
            mp.setenv(f"CREDITWATCH_{key}", "")
            mp.delenv(f"CREDITWATCH_{key}")
        try:
            yield
        finally:
            get_settings.cache_clear()
            get_engine.cache_clear()
