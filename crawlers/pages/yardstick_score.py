"""Scores of an extractor on the yardstick: body character-F1, title and publication day, per family and split."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from config.timezone import TZ
from crawlers.pages.groundtruth import char_f1, normalise_title
from crawlers.pages.yardstick import GoldPage, gold_body_by_digest, page_text, title_digest

# Pages were saved 2012-2024 (the latest in November 2024); relative dates (昨天) resolve against this instant, and
# a page's own date is never after it (later dates are refused as future).
NOW = datetime(2025, 1, 1, tzinfo=TZ)
Result = tuple[str, date | None, str]
Extractor = Callable[[GoldPage, str], Result]


@dataclass(frozen=True)
class PageScore:
    page: GoldPage
    body_f1: float
    title_ok: bool
    date_ok: bool | None  # None: the page shows no date


@dataclass(frozen=True)
class Summary:
    pages: int
    body_f1: float
    title: float
    date: float
    dated: int


def load(pages: Iterable[GoldPage]) -> list[tuple[GoldPage, str, str]]:
    """(page, html text, gold body) of each cached page."""
    out = []
    for page in pages:
        html = page_text(page.cache_file.read_bytes())
        out.append((page, html, gold_body_by_digest(html, page.body_start, page.body_end)))
    return out


def score_pages(extractor: Extractor, loaded: list[tuple[GoldPage, str, str]]) -> list[PageScore]:
    scores = []
    for page, html, body in loaded:
        try:
            title, day, text = extractor(page, html)
        except ValueError:
            title, day, text = "", None, ""
        scores.append(
            PageScore(
                page,
                char_f1(text, body),
                title_digest(normalise_title(title)) == page.title,
                None if page.day is None else day == page.day,
            )
        )
    return scores


def summarise(scores: list[PageScore]) -> Summary:
    dated = [s.date_ok for s in scores if s.date_ok is not None]
    n = len(scores) or 1
    return Summary(
        len(scores),
        sum(s.body_f1 for s in scores) / n,
        sum(s.title_ok for s in scores) / n,
        sum(dated) / len(dated) if dated else 1.0,
        len(dated),
    )


def by_group(scores: list[PageScore], key: Callable[[PageScore], str]) -> dict[str, Summary]:
    groups: dict[str, list[PageScore]] = defaultdict(list)
    for s in scores:
        groups[key(s)].append(s)
    return {name: summarise(group) for name, group in sorted(groups.items())}


def generic_extract(page: GoldPage, html: str) -> Result:
    """creditwatch's generic extractor (what reads every page of a site no page object knows)."""
    from crawlers.pages.generic import GenericArticle

    item = GenericArticle(page.site).parse("", html, NOW)
    return item.title, item.published_at.date() if item.published_at else None, item.body


def trafilatura_extract(page: GoldPage, html: str) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True)
    if doc is None:
        return "", None, ""
    data = doc if isinstance(doc, dict) else doc.as_dict()
    day = date.fromisoformat(data["date"][:10]) if data.get("date") else None
    return data.get("title") or "", day, data.get("text") or ""


def readability_extract(page: GoldPage, html: str) -> Result:
    """readability-lxml (no dates): its article HTML read into lines the way our bodies are."""
    from readability import Document

    from crawlers.pages import common

    doc = Document(html)
    summary = doc.summary()
    return doc.short_title(), None, "\n".join(common.blocks(common.parse_html(summary))) if summary else ""


def yardstick_extractors() -> dict[str, Extractor]:
    """The extractors compared on the yardstick (readability only when the bench extra is installed)."""
    found: dict[str, Extractor] = {"creditwatch generic": generic_extract, "trafilatura": trafilatura_extract}
    try:
        import readability  # noqa: F401
    except ImportError:
        return found
    found["readability-lxml"] = readability_extract
    return found
