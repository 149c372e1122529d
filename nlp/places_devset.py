"""The city-attribution development set: hand-given codes for items of the training-side corpora, by reference.

`nlp/data/places_dev.tsv` holds one row per item: a reference into ../shared/corpus, the gold GB/T 2260 code (the
county when the text names one, else the prefecture; `-` when the item is about no Chinese city: no place, a
province or the nation, Hong Kong / Macau / Taiwan, abroad), the hard case it stands for, and a note. The texts
stay in ../shared and are read from there. These are development data: the rules in `nlp.places` were tuned on
them, so the figures they give measure fit, not generalisation.

`nlp/data/places_dev2.tsv` is a second round of the same kind, drawn where attribution is hard (datelines, counties,
Hong Kong / Macau / Taiwan and abroad, organisations, brands and people named like places, several places). Its rows
fall in two halves by a seeded hash of the reference (`half`): rules are changed on errors of the dev half only, and
the check half says whether a change generalises, so its figure is the one to quote beside the out-of-source set.

References: `qq:<id>` (Tencent news article, title + body, dated before 2024), `qqt:<id>` (Tencent news headline
only), `bdci:<id>` (BDCI 2019 title + content), `ccks:<id>` (CCKS 2019 snippet), `thucfull:<line>` (THUCNews full
article, line number in cnews_val_1000_fulltext).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from config.paths import shared_dir
from nlp.evaluation_data import prefecture_of, tsv_rows

DEV = Path(__file__).resolve().parent / "data" / "places_dev.tsv"
DEV2 = DEV.with_name("places_dev2.tsv")
FLOOR = DEV.with_name("places_dev_floor.json")
NO_PLACE = "-"
# Fixed once, before any rule was changed on the second round: a new seed would move items between the halves and
# let check items be tuned on.
SPLIT_SEED = "places-round2-2026"


@dataclass(frozen=True, slots=True)
class DevItem:
    ref: str
    gold: str | None  # None: the item is about no Chinese city
    case: str
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class DevScores:
    prefecture_accuracy: float  # items with a gold city whose top attribution has the gold prefecture
    prefecture_n: int
    county_exact: float  # items whose gold is a county: top attribution is that county
    county_n: int
    no_place_clean: float  # items about no city that got none
    no_place_n: int
    misses: list[tuple[str, str | None, str | None]]  # (ref, gold, got)


class DevSetError(ValueError):
    """A row of the development set that cannot be read or resolved."""


def _corpus() -> Path:
    return shared_dir() / "corpus"


@lru_cache(maxsize=1)
def _qq_articles() -> dict[str, tuple[str, str, str]]:
    with gzip.open(_corpus() / "qqnews_tencent" / "articles.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    return {r["id"]: (r["date"], r["title"], r["body"]) for r in rows}


@lru_cache(maxsize=1)
def _qq_titles() -> dict[str, tuple[str, str]]:
    with gzip.open(_corpus() / "qqnews_tencent" / "titles.tsv.gz", "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {r["id"]: (r["date"], r["title"]) for r in rows}


@lru_cache(maxsize=1)
def _bdci() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for split in ("train", "dev", "test"):
        with gzip.open(
            _corpus() / "bdci2019_news_sentiment" / f"{split}.csv.gz", "rt", encoding="utf-8"
        ) as fh:
            for row in csv.DictReader(fh):
                out.setdefault(row["id"], (row["title"].strip(), (row["content"] or "").strip()))
    return out


@lru_cache(maxsize=1)
def _ccks() -> dict[str, str]:
    out: dict[str, str] = {}
    for split in ("train", "eval"):
        path = _corpus() / "ccks2019_fin_event_subject" / f"event_type_entity_extract_{split}.csv.gz"
        with gzip.open(path, "rt", encoding="utf-8-sig") as fh:
            for row in csv.reader(fh):
                if len(row) >= 2:
                    out.setdefault(row[0], row[1].strip())
    return out


@lru_cache(maxsize=1)
def _thucfull() -> list[str]:
    with gzip.open(_corpus() / "thucnews" / "cnews_val_1000_fulltext.txt.gz", "rt", encoding="utf-8") as fh:
        return [line.rstrip("\n").partition("\t")[2] for line in fh]


def resolve(ref: str) -> tuple[str, str]:
    """(title, body) of a reference; DevSetError when it points at nothing or at the held-out years."""
    kind, _, key = ref.partition(":")
    try:
        if kind == "qq":
            date, title, body = _qq_articles()[key]
        elif kind == "qqt":
            date, title = _qq_titles()[key]
            body = ""
        elif kind == "bdci":
            return _bdci()[key]
        elif kind == "ccks":
            return _ccks()[key], ""
        elif kind == "thucfull":
            from nlp.corpus_build import _split_fulltext

            return _split_fulltext(_thucfull()[int(key) - 1])
        else:
            raise DevSetError(f"{ref}: unknown reference kind {kind!r}")
    except (KeyError, IndexError, ValueError) as exc:
        if isinstance(exc, DevSetError):
            raise
        raise DevSetError(f"{ref}: no such item") from None
    if date >= "2024-01-01":  # Tencent news from 2024 on is kept for the out-of-source evaluation
        raise DevSetError(f"{ref}: dated {date}, outside the development years")
    return title, body


def half(ref: str) -> Literal["dev", "check"]:
    """Which half of the second round a reference falls in: stable, independent of row order and of the label."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{ref}".encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "check"


def load_round2(which: Literal["dev", "check"]) -> list[DevItem]:
    """One half of the second round (`nlp/data/places_dev2.tsv`)."""
    return [it for it in load(DEV2) if half(it.ref) == which]


def load(path: Path = DEV) -> list[DevItem]:
    out = []
    for ref, gold, case, _note in tsv_rows(path, 4):
        title, body = resolve(ref)
        out.append(DevItem(ref, None if gold == NO_PLACE else gold, case, title, body))
    return out


def score(items: list[DevItem]) -> DevScores:
    from nlp.gazetteer import get_gazetteer
    from nlp.places import attribute, primary_prefecture

    g = get_gazetteer()
    pref_ok = pref_n = county_ok = county_n = clean = none_n = 0
    misses: list[tuple[str, str | None, str | None]] = []
    for it in items:
        found = attribute(it.title, it.body)
        top = found[0].code if found else None
        if it.gold is None:
            none_n += 1
            clean += top is None
            if top is not None:
                misses.append((it.ref, None, top))
            continue
        pref_n += 1
        ok = primary_prefecture(found) == prefecture_of(it.gold)
        pref_ok += ok
        gold_div = g.get(it.gold)
        if gold_div is not None and gold_div.level == "county":
            county_n += 1
            county_ok += top == it.gold
            ok = ok and top == it.gold
        if not ok:
            misses.append((it.ref, it.gold, top))
    return DevScores(
        pref_ok / max(pref_n, 1),
        pref_n,
        county_ok / max(county_n, 1),
        county_n,
        clean / max(none_n, 1),
        none_n,
        misses,
    )
