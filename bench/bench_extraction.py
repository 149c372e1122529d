"""Extraction quality and speed: creditwatch's extractors beside trafilatura (and readability) on the same pages.

Two sets, same run: the fixture pages of the 15 sites with hand-made ground truth (page objects, the generic
extractor alone, trafilatura alone), and the out-of-layout yardstick (``crawlers/data/extraction_eval``: sites no
page object was written for, split by site into development and held-out halves) where the generic extractor is
compared with trafilatura and readability-lxml per family. Speed is pages per CPU-second (one core) of the whole
extraction (parse, body, title, date) on the yardstick pages; wall-clock rates on a shared machine mostly measure
the neighbours. Run: ``.venv/bin/python bench/bench_extraction.py [--repeat N] [--details]`` (the yardstick part
needs ``python -m crawlers.pages.yardstick fetch`` first; readability-lxml is the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime

import trafilatura

from config.settings import TZ
from crawlers.pages import article_parser_for
from crawlers.pages.generic import GenericArticle
from crawlers.pages.groundtruth import Scores, Truth, hand_made_truths, read_text, score, truth_set_sha256
from crawlers.pages.yardstick import GoldPage, available, gold_pages
from crawlers.pages.yardstick_score import Extractor as YardExtractor
from crawlers.pages.yardstick_score import by_group, load, score_pages, summarise, yardstick_extractors

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
    yardstick(args.repeat, args.details)


def cpu_rate(extract: YardExtractor, loaded: list[tuple[GoldPage, str, str]], repeat: int) -> float:
    """Pages per CPU-second (best of ``repeat`` passes)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for page, html, _gold in loaded:
            with contextlib.suppress(ValueError):  # a page without an article costs its time all the same
                extract(page, html)
        best = min(best, time.process_time() - start)
    return len(loaded) / best if best > 0 else float("inf")


def yardstick(repeat: int, details: bool) -> None:
    pages = available(gold_pages())
    if not pages:
        print("\nyardstick: no cached pages (run: python -m crawlers.pages.yardstick fetch)")
        return
    loaded = load(pages)
    sites = len({p.site for p in pages})
    print(f"\nout-of-layout yardstick: {len(pages)} pages of {sites} sites (body char-F1 / title / date)")
    rates: dict[str, float] = {}
    for name, extract in yardstick_extractors().items():
        scores = score_pages(extract, loaded)
        print(f"  {name}")
        for split, group in by_group(scores, lambda s: s.page.split).items():
            print(
                f"    {split:<22}n={group.pages:<4}{group.body_f1:.3f}  {group.title:.3f}  {group.date:.3f}"
            )
            held = [s for s in scores if s.page.split == split]
            for family, fam in by_group(held, lambda s: s.page.family).items():
                print(f"      {family:<20}n={fam.pages:<4}{fam.body_f1:.3f}  {fam.title:.3f}  {fam.date:.3f}")
        total = summarise(scores)
        print(f"    {'all':<22}n={total.pages:<4}{total.body_f1:.3f}  {total.title:.3f}  {total.date:.3f}")
        if details:
            for row in scores:
                if row.page.split == "dev":  # held-out pages are looked at in aggregate only
                    print("     ", row.page.id, round(row.body_f1, 3), row.title_ok, row.date_ok)
        rates[name] = cpu_rate(extract, loaded, repeat)
    base = rates["trafilatura"]
    print("  speed, pages per CPU-second on these pages (one core):")
    for name, rate in rates.items():
        print(f"    {name:<22}{rate:>8.1f}   {rate / base:>5.2f}x trafilatura")


if __name__ == "__main__":
    main()
