"""Extraction quality and speed on the hand-made ground truth: creditwatch's page objects vs trafilatura alone.

Same pages, same run: title exact match, publish day, body character-level F1 (where the ground truth has the
field) and pages per second. Run: ``.venv/bin/python bench/bench_extraction.py [--repeat N] [--details]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime

import trafilatura

from config.settings import TZ
from crawlers.pages import article_parser_for
from crawlers.pages.generic import GenericArticle
from crawlers.pages.groundtruth import Scores, Truth, hand_made_truths, read_text, score, truth_set_sha256

NOW = datetime(2025, 1, 1, tzinfo=TZ)
Extractor = Callable[[Truth, str], tuple[str, date | None, str]]


def ours(truth: Truth, html: str) -> tuple[str, date | None, str]:
    item = article_parser_for(truth.url).parse(truth.url, html, NOW)
    return item.title, item.published_at.date() if item.published_at else None, item.body


def generic_only(truth: Truth, html: str) -> tuple[str, date | None, str]:
    """The fallback alone, as if no site page object knew the layout."""
    item = GenericArticle(truth.site).parse(truth.url, html, NOW)
    return item.title, item.published_at.date() if item.published_at else None, item.body


def trafilatura_alone(truth: Truth, html: str) -> tuple[str, date | None, str]:
    doc = trafilatura.bare_extraction(html, url=truth.url, with_metadata=True)
    if doc is None:
        return "", None, ""
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    day = date.fromisoformat(data["date"][:10]) if data.get("date") else None
    return data.get("title") or "", day, data.get("text") or ""


def measure(
    extractor: Extractor, truths: list[Truth], pages: dict[str, str], repeat: int
) -> tuple[Scores, list[dict[str, object]], float]:
    """Scores over the set, the per-page details and pages/s (best of ``repeat`` timed passes)."""

    def results() -> Iterator[tuple[Truth, str, date | None, str]]:
        for truth in truths:
            yield (truth, *extractor(truth, pages[truth.file]))

    scores, details = score(results())
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for truth in truths:
            extractor(truth, pages[truth.file])
        best = min(best, time.perf_counter() - start)
    return scores, details, len(truths) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes (best is reported)")
    parser.add_argument("--details", action="store_true", help="print per-page figures")
    args = parser.parse_args()
    truths = hand_made_truths()
    pages = {truth.file: read_text(truth.file) for truth in truths}
    print(f"ground truth: {len(truths)} pages, sha256 {truth_set_sha256(truths)}")
    print(f"{'extractor':<20}{'title exact':>12}{'date (day)':>12}{'body F1':>10}{'pages/s':>10}")
    runs: tuple[tuple[str, Extractor], ...] = (
        ("creditwatch", ours),
        ("creditwatch generic", generic_only),
        ("trafilatura alone", trafilatura_alone),
    )
    for name, extractor in runs:
        scores, details, rate = measure(extractor, truths, pages, args.repeat)
        print(
            f"{name:<20}{scores.title_exact:>12.3f}{scores.date_day:>12.3f}{scores.body_f1:>10.4f}{rate:>10.1f}"
            f"   (n: title {scores.n_title}, date {scores.n_date}, body {scores.n_body})"
        )
        if args.details:
            for row in details:
                print("   ", row)


if __name__ == "__main__":
    main()
