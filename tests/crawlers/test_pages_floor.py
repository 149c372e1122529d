"""The pinned extraction quality floor (tests/crawlers/extraction_floor.json) on the hand-made ground truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from config.settings import TZ
from crawlers.pages import article_parser_for
from crawlers.pages.groundtruth import (
    Truth,
    char_f1,
    hand_made_truths,
    manifest,
    normalise_title,
    read_bytes,
    read_text,
    score,
    truth_set_sha256,
)

FLOOR = json.loads((Path(__file__).parent / "extraction_floor.json").read_text(encoding="utf-8"))
NOW = datetime(2025, 1, 1, tzinfo=TZ)


@pytest.fixture(scope="module")
def truths() -> list[Truth]:
    return hand_made_truths()


def test_ground_truth_set_is_the_pinned_one(truths: list[Truth]) -> None:
    assert len(truths) == FLOOR["pages"]
    assert truth_set_sha256(truths) == FLOOR["ground_truth_sha256"], (
        "the evaluation data changed: re-measure (bench/bench_extraction.py) and re-pin extraction_floor.json"
    )
    # machine output (GNE, CX-extractor) never counts as ground truth
    assert not any("gne" in t.file or "cx-extractor" in t.file for t in truths)


def test_extraction_is_above_the_floor(truths: list[Truth]) -> None:
    def results() -> Iterator[tuple[Truth, str, date | None, str]]:
        for truth in truths:
            item = article_parser_for(truth.url).parse(truth.url, read_text(truth.file), NOW)
            yield truth, item.title, item.published_at.date() if item.published_at else None, item.body

    scores, details = score(results())
    floor = FLOOR["floor"]
    assert scores.n_title >= 8 and scores.n_date >= 5 and scores.n_body >= 16
    assert scores.title_exact >= floor["title_exact"], details
    assert scores.date_day >= floor["date_day"], details
    assert scores.body_f1 >= floor["body_char_f1"], details


def _trafilatura_rows() -> list[dict[str, str]]:
    return [row for row in manifest() if row["local_file"].startswith("xinhua/trafilatura/")]


@pytest.mark.parametrize("row", _trafilatura_rows(), ids=lambda row: row["local_file"].split("/")[-1])
def test_trafilatura_snippets_with_and_without(row: dict[str, str]) -> None:
    expected = json.loads(read_bytes(row["ground_truth"].strip()).decode("utf-8"))
    url = expected["url"]
    item = article_parser_for(url).parse(url, read_text(row["local_file"]), NOW)
    for snippet in expected["with"]:
        assert snippet in item.body
    for snippet in expected["without"]:
        assert snippet not in item.body
    assert normalise_title(item.title) == normalise_title(expected["title"])
    assert item.published_at is not None and item.published_at.date() == date.fromisoformat(expected["date"])


@pytest.mark.parametrize(
    ("predicted", "expected", "f1"),
    [
        ("新华社北京", "新华社北京", 1.0),
        ("", "新华社", 0.0),
        ("", "", 1.0),
        ("新华社", "新华社北京电", 2 * 1.0 * 0.5 / 1.5),
        ("新 华\n社", "新华社", 1.0),  # whitespace does not count
    ],
)
def test_char_f1(predicted: str, expected: str, f1: float) -> None:
    assert char_f1(predicted, expected) == pytest.approx(f1)


@pytest.mark.parametrize(
    ("title", "normalised"),
    [
        ("宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网", "宇航员在太空中喝酒会怎么样？后果很严重"),
        ("在新时代中部地区崛起中争先出彩--经济·科技--人民网", "在新时代中部地区崛起中争先出彩"),
        ("话剧《约定无期限》河北各市巡演结束 ", "话剧《约定无期限》河北各市巡演结束"),
        ("棱镜|数据业大整顿：爬虫与现金贷共生共荣_财经_腾讯网", "棱镜|数据业大整顿：爬虫与现金贷共生共荣"),
    ],
)
def test_title_normalisation(title: str, normalised: str) -> None:
    assert normalise_title(title) == normalised
