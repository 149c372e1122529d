"""The labelled corpus as the classifier and the quality gate read it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nlp.gazetteer import get_gazetteer

DATA_DIR = Path(__file__).resolve().parent / "data"
LABELLED = DATA_DIR / "labelled.jsonl"
CITY_CHECKS = DATA_DIR / "city_checks.tsv"


@dataclass(frozen=True, slots=True)
class LabelledItem:
    id: str
    title: str
    body: str
    kind: str
    domain: str | None
    subdomain: str | None
    split: str
    cities: tuple[str, ...] = ()


def load_labelled(path: Path = LABELLED) -> list[LabelledItem]:
    """Every row of the labelled corpus, with the hand-checked cities of the test split merged in."""
    cities = load_city_checks()
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            c = tuple(r.get("cities") or ()) or ((cities[r["id"]],) if r["id"] in cities else ())
            out.append(
                LabelledItem(
                    r["id"], r["title"], r["body"], r["kind"], r["domain"], r["subdomain"], r["split"], c
                )
            )
    return out


def tsv_rows(path: Path, width: int) -> Iterator[list[str]]:
    """The rows of one of the hand-written TSV files (labels, checks, splits): `width` stripped fields each, padded
    with "" (a trailing empty column may be left out); blank lines and "#" comments skipped; no file, no rows."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            yield [p.strip() for p in (line.split("\t") + [""] * width)[:width]]


def load_city_checks(path: Path = CITY_CHECKS) -> dict[str, str]:
    """id → hand-checked division code."""
    return {item_id: code for item_id, code in tsv_rows(path, 2)}


def evaluation_sha256(path: Path = LABELLED) -> str:
    """sha256 over the test split rows (id, labels, text) and the city checks: the evaluation data's identity."""
    h = hashlib.sha256()
    for it in sorted(load_labelled(path), key=lambda i: i.id):  # order-free: rebuilding may reorder rows
        if it.split == "test":
            h.update(
                json.dumps(
                    [it.id, it.title, it.body, it.kind, it.domain, it.cities], ensure_ascii=False
                ).encode()
            )
    return h.hexdigest()


def prefecture_of(code: str) -> str | None:
    d = get_gazetteer().get(code)
    return d.prefecture_code if d else None
