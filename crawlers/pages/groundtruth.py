"""Hand-made ground truth of the fixture pages (../shared/fixtures/pages) and the extraction quality measures.

Only ground truth made or checked by people counts: trafilatura's evaldata (hand-made), magic-html's benchmark
(hand-checked), readability's expected output (hand-curated), fundus' parser test and newspaper4k's fixtures.
GNE and CX-extractor outputs are machine output and are not used.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from config.paths import shared_dir
from config.timezone import TZ
from crawlers.encoding import decode_html
from crawlers.pages import common

HAND_MADE_KINDS = ("hand-made", "hand-checked", "hand-curated", "fundus", "newspaper4k")


def pages_dir() -> Path:
    """The fixture pages folder inside the shared data."""
    return shared_dir() / "fixtures" / "pages"


def read_bytes(relative: str) -> bytes:
    """A fixture file's bytes (gunzipped when it ends in .gz)."""
    raw = (pages_dir() / relative).read_bytes()
    return gzip.decompress(raw) if relative.endswith(".gz") else raw


def read_text(relative: str) -> str:
    """A fixture page decoded (header-less: meta charset, else UTF-8/GB18030 by mojibake score)."""
    return decode_html(read_bytes(relative))[0]


def manifest() -> list[dict[str, str]]:
    """Rows of manifest.tsv."""
    with (pages_dir() / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


_DEFAULT_URLS = {
    "163": "https://news.163.com/",
    "qq": "https://news.qq.com/",
    "sina": "https://news.sina.com.cn/",
    "people": "http://www.people.com.cn/",
    "xinhua": "http://www.xinhuanet.com/",
}


def fixture_url(row: dict[str, str]) -> str:
    """The page URL of a manifest row: its ``url`` column, a bare host made http, else the site's front page."""
    found = re.search(r"https?://\S+", row["url"])
    if found:
        return found.group(0)
    found = re.match(r"([a-z0-9.-]+\.[a-z]{2,})\b", row["url"])
    if found:
        return f"http://{found.group(1)}/"
    return _DEFAULT_URLS.get(row["site"], "")


@dataclass(frozen=True)
class Truth:
    """Expected values for one page; None where the ground truth does not have that field."""

    file: str
    site: str
    url: str
    kind: str
    title: str | None
    day: date | None
    body: str | None


def _load_json(relative: str) -> Any:
    return json.loads(read_bytes(relative).decode("utf-8"))


def _html_text(relative: str) -> str:
    root = common.parse_html(read_bytes(relative).decode("utf-8"))
    return "\n".join(common.blocks(root))


def _truth(row: dict[str, str]) -> Truth | None:
    kind = row["gt_kind"]
    files = [part.strip() for part in row["ground_truth"].split(";") if part.strip()]
    title: str | None = None
    day: date | None = None
    body: str | None = None
    if "trafilatura" in row["local_file"]:
        data = _load_json(files[0])
        title, day = data.get("title") or None, date.fromisoformat(data["date"]) if data.get("date") else None
    elif "magic-html" in row["local_file"]:
        body = _load_json(files[0])["content"]
    elif "readability" in row["local_file"]:
        html_file = next(f for f in files if ".expected.html" in f)
        meta_file = next(f for f in files if f.endswith("metadata.json"))
        body = _html_text(html_file)
        title = _load_json(meta_file).get("title") or None
    elif "fundus" in row["local_file"]:
        data = _load_json(files[0])["V1"]
        title = data.get("title")
        day = date.fromisoformat(data["publishing_date"][:10]) if data.get("publishing_date") else None
        sections = data["body"]
        parts = list(sections.get("summary", []))
        for section in sections.get("sections", []):
            parts.extend(section.get("headline", []))
            parts.extend(section.get("paragraphs", []))
        body = "\n".join(parts)
    elif "newspaper4k" in row["local_file"]:
        data = _load_json(next(f for f in files if "metadata" in f))
        title = data.get("title") or None
        day = date.fromisoformat(data["publish_date"][:10]) if data.get("publish_date") else None
        body = read_bytes(next(f for f in files if f.endswith(".txt"))).decode("utf-8")
    else:
        return None
    return Truth(row["local_file"], row["site"], fixture_url(row), kind, title, day, body)


def hand_made_truths() -> list[Truth]:
    """Every fixture page whose ground truth was made or checked by hand."""
    out: list[Truth] = []
    for row in manifest():
        if not row["ground_truth"] or not any(word in row["gt_kind"].lower() for word in HAND_MADE_KINDS):
            continue
        if "machine output" in row["gt_kind"] or "tool output" in row["gt_kind"]:
            continue
        truth = _truth(row)
        if truth is not None:
            out.append(truth)
    return out


def truth_set_sha256(truths: list[Truth]) -> str:
    """Hash of the evaluation data: page bytes and ground-truth values, in manifest order."""
    digest = hashlib.sha256()
    for truth in truths:
        digest.update(truth.file.encode())
        digest.update(hashlib.sha256(read_bytes(truth.file)).digest())
        digest.update(json.dumps([truth.title, str(truth.day), truth.body], ensure_ascii=False).encode())
    return digest.hexdigest()


def normalise_title(title: str) -> str:
    """Titles compare without whitespace differences and without a ``_频道_网站`` suffix (readability's and
    fundus' ground truth keep the ``<title>`` suffix; the item's title is the bare headline)."""
    return re.sub(r"\s+", "", common.strip_title_suffix(title))


def char_f1(predicted: str, expected: str) -> float:
    """Character-level F1 of two texts (bags of non-whitespace characters)."""
    pred = Counter(re.sub(r"\s+", "", predicted))
    gold = Counter(re.sub(r"\s+", "", expected))
    if not pred or not gold:
        return 1.0 if pred == gold else 0.0
    overlap = sum((pred & gold).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Scores:
    """Aggregated figures over a truth set."""

    title_exact: float
    date_day: float
    body_f1: float
    n_title: int
    n_date: int
    n_body: int


def score(results: Iterator[tuple[Truth, str, date | None, str]]) -> tuple[Scores, list[dict[str, Any]]]:
    """Aggregate ``(truth, title, day, body)`` results; returns the scores and one detail row per page."""
    titles: list[float] = []
    days: list[float] = []
    bodies: list[float] = []
    details: list[dict[str, Any]] = []
    for truth, title, day, body in results:
        row: dict[str, Any] = {"file": truth.file}
        if truth.title is not None:
            titles.append(float(normalise_title(title) == normalise_title(truth.title)))
            row["title"] = titles[-1]
        if truth.day is not None:
            days.append(float(day == truth.day))
            row["date"] = days[-1]
        if truth.body is not None:
            bodies.append(char_f1(body, truth.body))
            row["body_f1"] = round(bodies[-1], 4)
        details.append(row)

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    return Scores(mean(titles), mean(days), mean(bodies), len(titles), len(days), len(bodies)), details


# ---- golden files: which fixture pages have one, and how each is parsed ----

# Goldens are made as if every page was fetched at this instant (dates are never after it).
FETCHED_AT = datetime(2025, 1, 1, 0, 0, tzinfo=TZ)
GOLDEN_KINDS = (
    "article",
    "video_article",
    "video_page",
    "homepage",
    "channel_home",
    "ranking",
    "api_json(ranking",
)


def golden_rows() -> list[dict[str, str]]:
    """Manifest rows of every real article, homepage and ranking page."""
    return [row for row in manifest() if row["page_type"].startswith(GOLDEN_KINDS)]


def golden_name(row: dict[str, str]) -> str:
    """``<site>/<source>__<file stem>``, e.g. ``people/fundus__People_2024_04_24``."""
    site, _, rest = row["local_file"].partition("/")
    stem = re.sub(r"(\.html|\.htm|\.shtml|\.json|\.txt|\.gz|\.sample)+$", "", rest)
    return f"{site}/{stem.replace('/', '__')}"


def parse_fixture(row: dict[str, str]) -> dict[str, Any]:
    """The parsed item of a fixture page as a JSON-ready dict."""
    from crawlers.pages import article_parser_for, homepage_parser_for
    from crawlers.pages.ranking import NeteaseRankPage, ranking_parser_for

    url = fixture_url(row)
    kind = row["page_type"]
    if kind.startswith("api_json(ranking"):
        # the sample is the 'data' object of GetTopDataList.php for finance_0_suda on 2018-04-10
        url = (
            "https://top.finance.sina.com.cn/ws/GetTopDataList.php?top_type=day&top_cat=finance_0_suda"
            "&top_time=20180410&top_show_num=50"
        )
        text = read_bytes(row["local_file"]).decode("utf-8")
        return ranking_parser_for(url).parse(url, text, FETCHED_AT).to_dict()
    text = read_text(row["local_file"])
    if kind.startswith("ranking"):
        lists = NeteaseRankPage().parse_all(url, text, FETCHED_AT)
        return {"lists": [item.to_dict() for item in lists]}
    if kind.startswith(("homepage", "channel_home")):
        return homepage_parser_for(row["site"]).parse(url, text, FETCHED_AT).to_dict()
    return article_parser_for(url).parse(url, text, FETCHED_AT).to_dict()
