"""Golden files: the expected output of every real article, homepage and ranking page in the fixtures.

The pages are third-party text, and so is what the parsers take out of them: a golden file keeps the structure,
URLs, positions, blocks and dates as they are, and each text field (title, body, author, source) as its length and
a hash. A mismatch names the field and shows what the parser now returns, read from the local fixture page.
Regenerate after a reviewed parser change with ``CREDITWATCH_UPDATE_GOLDEN=1 pytest tests/crawlers/test_pages_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.pages import SITE_MODULES, article_parser_for, homepage_parser_for
from crawlers.pages.groundtruth import golden_name, golden_rows, parse_fixture
from crawlers.registry import registry

GOLDEN_DIR = Path(__file__).parent / "golden"
UPDATE = os.environ.get("CREDITWATCH_UPDATE_GOLDEN") == "1"
ROWS = golden_rows()
NEWS_SITES = [site.key for site in registry() if site.kind == "news"]


TEXT_FIELDS = frozenset({"title", "body", "author", "source"})


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def fingerprint(data: Any, key: str | None = None) -> Any:
    """`data` with every text field replaced by ``<chars>:<sha256 prefix>``; everything else kept."""
    if isinstance(data, dict):
        return {k: fingerprint(v, k) for k, v in data.items()}
    if isinstance(data, list):
        return [fingerprint(v, key) for v in data]
    if isinstance(data, str) and key in TEXT_FIELDS:
        return f"{len(data)}:{hashlib.sha256(data.encode('utf-8')).hexdigest()[:20]}"
    return data


def _differences(got: Any, want: Any, plain: Any, path: str = "") -> list[str]:
    """Where `got` (fingerprinted) differs from `want`, with the plain value the parser returned there."""
    if isinstance(got, dict) and isinstance(want, dict):
        return [
            line
            for k in sorted(set(got) | set(want))
            for line in _differences(got.get(k), want.get(k), plain.get(k) if plain else None, f"{path}.{k}")
        ]
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [
            line for i, (g, w) in enumerate(zip(got, want, strict=True))
            for line in _differences(g, w, plain[i], f"{path}[{i}]")
        ]  # fmt: skip
    if got == want:
        return []
    shown = (
        plain if isinstance(plain, str | int | float | None) else f"{type(plain).__name__} of {len(plain)}"
    )
    return [f"{path or '(page)'}: expected {want!r}, parser returned {shown!r}"]


@pytest.mark.parametrize("row", ROWS, ids=[golden_name(row) for row in ROWS])
def test_page_matches_golden(row: dict[str, str]) -> None:
    path = GOLDEN_DIR / f"{golden_name(row)}.json"
    plain = json.loads(_dump(parse_fixture(row)))
    got = fingerprint(plain)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(got), encoding="utf-8")
    assert path.is_file(), (
        f"no golden file {path.relative_to(GOLDEN_DIR)}: run with CREDITWATCH_UPDATE_GOLDEN=1"
    )
    differences = _differences(got, json.loads(path.read_text(encoding="utf-8")), plain)
    assert not differences, "\n".join(differences[:20])


def test_golden_files_hold_no_page_text() -> None:
    """The fixture pages' text stays in the shared data: a golden file holds only hashes of it."""
    digest = re.compile(r"\d+:[0-9a-f]{20}")

    def texts(data: Any, key: str | None = None) -> Iterator[str]:
        if isinstance(data, dict):
            for k, v in data.items():
                yield from texts(v, k)
        elif isinstance(data, list):
            for v in data:
                yield from texts(v, key)
        elif isinstance(data, str) and key in TEXT_FIELDS:
            yield data

    for path in GOLDEN_DIR.rglob("*.json"):
        plain = [t for t in texts(json.loads(path.read_text(encoding="utf-8"))) if not digest.fullmatch(t)]
        assert not plain, f"{path.relative_to(GOLDEN_DIR)} holds page text: {plain[:3]}"


def test_fixture_set_is_complete() -> None:
    assert len(ROWS) >= 60
    kinds = {row["page_type"].split("(")[0] for row in ROWS}
    assert {"article", "homepage", "ranking", "api_json"} <= kinds


@pytest.mark.parametrize("site", NEWS_SITES)
def test_every_registry_site_has_page_objects_and_goldens(site: str) -> None:
    assert site in SITE_MODULES, f"no page-object module for {site}"
    goldens = list((GOLDEN_DIR / site).glob("*.json"))
    assert goldens, f"site {site} has no golden file: add a stored page and its expected output"
    entry = next(s for s in registry() if s.key == site)
    assert article_parser_for(entry.homepages[0]).site == site
    assert homepage_parser_for(site).site_key == site


def test_registry_lists_the_15_sites() -> None:
    assert len(NEWS_SITES) == 15
    assert set(NEWS_SITES) == set(SITE_MODULES)
