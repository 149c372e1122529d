"""Golden files: the expected output of every real article, homepage and ranking page in the fixtures.

Regenerate after a reviewed parser change with ``CREDITWATCH_UPDATE_GOLDEN=1 pytest tests/crawlers/test_pages_golden.py``
and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
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


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@pytest.mark.parametrize("row", ROWS, ids=[golden_name(row) for row in ROWS])
def test_page_matches_golden(row: dict[str, str]) -> None:
    path = GOLDEN_DIR / f"{golden_name(row)}.json"
    got = json.loads(_dump(parse_fixture(row)))
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_dump(got), encoding="utf-8")
    assert path.is_file(), (
        f"no golden file {path.relative_to(GOLDEN_DIR)}: run with CREDITWATCH_UPDATE_GOLDEN=1"
    )
    assert got == json.loads(path.read_text(encoding="utf-8"))


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
