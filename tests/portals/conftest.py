"""Fixtures of the portal tests: the constructed responses in data/ (see data/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


def constructed(name: str) -> bytes:
    """A constructed response body from data/."""
    return (DATA / name).read_bytes()


@pytest.fixture
def data_dir() -> Path:
    return DATA
