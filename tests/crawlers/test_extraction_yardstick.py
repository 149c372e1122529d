"""The pinned floors of the generic extractor on the out-of-layout yardstick, beside trafilatura in the same run.

The pages are third-party text kept out of the repository: ``python -m crawlers.pages.yardstick fetch`` brings
them into var/extraction_eval/. Without that cache these tests skip (the hand-made family pages in
test_pages_generic.py always run).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from crawlers.pages.yardstick import GOLD_FILE, available, body_digest, gold_pages, raw_url
from crawlers.pages.yardstick_score import (
    PageScore,
    by_group,
    generic_extract,
    load,
    score_pages,
    summarise,
    trafilatura_extract,
)

FLOOR = json.loads((Path(__file__).parent / "extraction_yardstick_floor.json").read_text(encoding="utf-8"))
PAGES = gold_pages()
CACHED = available(PAGES)
needs_cache = pytest.mark.skipif(
    len(CACHED) < len(PAGES),
    reason="yardstick pages not cached: run `python -m crawlers.pages.yardstick fetch` (downloads public pages)",
)


def test_the_page_list_is_the_pinned_one() -> None:
    assert hashlib.sha256(GOLD_FILE.read_bytes()).hexdigest() == FLOOR["pages_tsv_sha256"], (
        "the yardstick changed: re-measure (bench/bench_extraction.py) and re-pin extraction_yardstick_floor.json"
    )
    assert len(PAGES) == FLOOR["pages"]
    assert len({p.id for p in PAGES}) == len(PAGES)
    assert {p.split for p in PAGES} == {"dev", "heldout"}
    digest = re.compile(
        r"(\d+):[0-9a-f]{20}"
    )  # no page text in the repository: headline and anchors as digests
    for page in PAGES:
        found = [digest.fullmatch(d) for d in (page.title, page.body_start, page.body_end)]
        assert all(found) and page.body_chars > 80, page.id
        title, start, end = (int(m.group(1)) for m in found if m)
        assert title > 0 and 0 < start <= 20 and 0 < end <= 20, page.id


@pytest.fixture(scope="module")
def loaded():  # type: ignore[no-untyped-def]
    return load(CACHED)


@needs_cache
def test_cached_pages_and_gold_bodies_match_their_hashes(loaded) -> None:  # type: ignore[no-untyped-def]
    for page, _html, body in loaded:
        assert hashlib.sha256(page.cache_file.read_bytes()).hexdigest() == page.page_sha256, page.id
        assert body_digest(body) == page.body_sha256 and len(body) == page.body_chars, page.id


@needs_cache
def test_generic_extractor_is_above_the_floor_and_beside_trafilatura(loaded) -> None:  # type: ignore[no-untyped-def]
    ours = score_pages(generic_extract, loaded)
    theirs = score_pages(trafilatura_extract, loaded)
    _assert_floor(ours, FLOOR["floor"])
    # the reason for a generic extractor of our own: on the same pages, in the same run, it reads more of the text
    assert summarise(ours).body_f1 > summarise(theirs).body_f1


@needs_cache
def test_the_first_sets_floors_still_hold_on_it(loaded) -> None:  # type: ignore[no-untyped-def]
    """The floors pinned before the yardstick grew are not lowered: they still hold on the pages they were pinned on."""
    first = FLOOR["first_set"]
    ids = [p.id for p in PAGES[: first["pages"]]]
    assert hashlib.sha256("\n".join(ids).encode()).hexdigest() == first["ids_sha256"]
    _assert_floor(
        score_pages(generic_extract, [row for row in loaded if row[0].id in set(ids)]), first["floor"]
    )


def _assert_floor(scores: list[PageScore], floor: dict[str, Any]) -> None:
    overall, held = summarise(scores), summarise([s for s in scores if s.page.split == "heldout"])
    detail = [
        (s.page.id, round(s.body_f1, 3), s.title_ok, s.date_ok) for s in scores if s.page.split == "dev"
    ]
    for name, got in (("all", overall), ("heldout", held)):
        assert got.body_f1 >= floor[name]["body_char_f1"], (name, got, detail)
        assert got.title >= floor[name]["title"], (name, got, detail)
        assert got.date >= floor[name]["date"], (name, got, detail)
    for family, got in by_group(scores, lambda s: s.page.family).items():
        assert got.body_f1 >= floor["family_body_char_f1"][family], (family, got)


def test_download_addresses_are_plain_ascii_urls() -> None:
    """Archive pages are named in Chinese and may hold a % sign; the raw address must still be a valid URL."""
    for page in PAGES:
        url = raw_url(page)
        assert url.isascii() and " " not in url, page.id
        assert unquote(url) == f"https://raw.githubusercontent.com/{page.repo}/{page.commit}/{page.path}", (
            page.id
        )
    archived = next(page for page in PAGES if "%" in page.path)
    assert "%25" in raw_url(archived)
