"""The out-of-source evaluation set: hand labels of items from corpora the classifier is never trained on.

The labels live in `nlp/data/outofsource/<corpus folder>.tsv` as references (file inside the folder + row id) and
labels only; the texts are read from `../shared/corpus` at run time, so the repository holds no corpus text. An id
that the corpus no longer has is an error naming every missing reference, never a silently smaller set: a
yardstick that shrinks without notice would move every figure measured on it.

Which corpora are held out is stated here (`HELD_OUT`, `is_held_out`) so that training code can refuse them.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from config.paths import shared_dir
from nlp.gazetteer import get_gazetteer
from nlp.lexicon import DOMAINS, KINDS

LABELS_DIR = Path(__file__).resolve().parent / "data" / "outofsource"
FLOOR_FILE = LABELS_DIR / "quality_floor.json"

# Corpus folder → the files of it that labels may point into.
HELD_OUT: dict[str, tuple[str, ...]] = {
    "weibo_hot_search": ("titles.tsv.gz",),
    "xinwenlianbo_cctv": ("items.jsonl.gz",),
    "food_safety_incidents": ("reports.jsonl.gz",),
    "laws_regs_lawrefbook": ("regulations.jsonl.gz",),
    "qqnews_tencent": ("articles.jsonl.gz", "titles.tsv.gz"),
}
# Tencent news is split by date: items before this day are the training side, items from it on are held out.
QQNEWS_HELD_OUT_FROM = "2024-01-01"

COLUMNS = (
    "id",
    "file",
    "stratum",
    "source_stratum",
    "kind",
    "domain",
    "subdomain",
    "cities",
    "fulltext",
)

# The sub-domains of each domain (DOMAIN.md); the labels must use these names.
SUBDOMAINS: dict[str, frozenset[str]] = {
    "government": frozenset(
        "依法行政 守信践诺 政府诚信体系建设 政府采购 招标投标 招商引资 地方政府债务 政府失信被执行人 公务员诚信".split()
    ),
    "business": frozenset(
        "生产 流通 金融 交通运输 电子商务 工程建设 价格 税务 旅游 中介 会展 广告 统计".split()
    ),
    "society": frozenset(
        "医药卫生 社会保障 劳动用工 文化 体育 教育 科研 知识产权 环境保护和能源节约 互联网".split()
    ),
    "judiciary": frozenset("法院 检察院 公共安全 司法行政".split()),
}


class OutOfSourceError(ValueError):
    """A label file is malformed, or a referenced corpus item cannot be found."""


def is_held_out(folder: str, date: str | None = None) -> bool:
    """True when an item of this corpus folder (and date, for Tencent news) belongs to the held-out side.

    Training code must skip such items: the out-of-source figures mean nothing once any of them is trained on."""
    if folder == "qqnews_tencent":
        return bool(date) and str(date)[:10] >= QQNEWS_HELD_OUT_FROM
    return folder in HELD_OUT


@dataclass(frozen=True, slots=True)
class Reference:
    """One labelled item as committed: where it is and what it is, without its text."""

    source: str  # the corpus folder
    file: str
    id: str
    stratum: str
    source_stratum: str
    kind: str
    domain: str | None
    subdomain: str | None
    cities: tuple[str, ...]
    fulltext: bool  # the title is neutral and the facts are in the body


@dataclass(frozen=True, slots=True)
class OutOfSourceItem:
    ref: Reference
    title: str
    body: str
    date: str

    @property
    def id(self) -> str:
        return self.ref.id


def _check(ref: Reference, where: str) -> None:
    if ref.file not in HELD_OUT.get(ref.source, ()):
        raise OutOfSourceError(f"{where}: {ref.source}/{ref.file} is not a held-out corpus file")
    if ref.kind not in KINDS:
        raise OutOfSourceError(f"{where}: unknown kind {ref.kind!r}")
    if ref.kind == "other":
        if ref.domain or ref.subdomain:
            raise OutOfSourceError(f"{where}: an `other` item has no domain")
    elif ref.domain not in DOMAINS or ref.subdomain not in SUBDOMAINS[ref.domain]:
        raise OutOfSourceError(f"{where}: bad domain/sub-domain {ref.domain!r}/{ref.subdomain!r}")
    g = get_gazetteer()
    for code in ref.cities:
        d = g.get(code)
        if d is None or d.prefecture_code is None:
            raise OutOfSourceError(f"{where}: {code} is not a prefecture- or county-level GB/T 2260 code")


def load_references(directory: Path = LABELS_DIR) -> list[Reference]:
    """Every labelled reference, in file order (sources sorted by name); each row checked against the guide."""
    refs: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for path in sorted(directory.glob("*.tsv")):
        source = path.stem
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise OutOfSourceError(f"{path.name}: columns must be {', '.join(COLUMNS)}")
            for line, row in enumerate(reader, start=2):
                ref = Reference(
                    source=source,
                    file=row["file"],
                    id=row["id"],
                    stratum=row["stratum"],
                    source_stratum=row["source_stratum"],
                    kind=row["kind"],
                    domain=row["domain"] or None,
                    subdomain=row["subdomain"] or None,
                    cities=tuple(c for c in (row["cities"] or "").split(",") if c),
                    fulltext=row["fulltext"] == "1",
                )
                _check(ref, f"{path.name}:{line}")
                if (source, ref.id) in seen:
                    raise OutOfSourceError(f"{path.name}:{line}: {ref.id} is labelled twice")
                seen.add((source, ref.id))
                refs.append(ref)
    return refs


def labels_sha256(directory: Path = LABELS_DIR) -> str:
    """sha256 over the label files: the identity of the yardstick the floors were measured on."""
    h = hashlib.sha256()
    for path in sorted(directory.glob("*.tsv")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _corpus_rows(path: Path, wanted: set[str]) -> dict[str, tuple[str, str, str]]:
    """id → (title, body, date) for the wanted ids of one corpus file (.jsonl.gz, or .tsv.gz titles)."""
    found: dict[str, tuple[str, str, str]] = {}
    with gzip.open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        if path.name.endswith(".jsonl.gz"):
            for line in text:
                if not any(i in line for i in wanted):  # cheap pre-filter: most lines are not labelled
                    continue
                r = json.loads(line)
                if r["id"] in wanted:
                    found[r["id"]] = (r.get("title") or "", r.get("body") or "", r.get("date") or "")
        else:
            header = next(text).rstrip("\n").split("\t")
            at = {name: n for n, name in enumerate(header)}
            date_col = at.get("date", at.get("first_seen_date"))
            for line in text:
                parts = line.rstrip("\n").split("\t")
                if parts[0] in wanted:
                    date = parts[date_col] if date_col is not None else ""
                    found[parts[0]] = (parts[at["title"]], "", date)
    return found


def load_items(
    refs: Iterable[Reference] | None = None, corpus_dir: Path | None = None
) -> list[OutOfSourceItem]:
    """The labelled items with their texts read from the shared corpus, in reference order.

    Raises OutOfSourceError naming every reference that is missing (or that falls on the training side of
    Tencent news by its date): the set is measured whole or not at all."""
    refs = list(refs if refs is not None else load_references())
    root = corpus_dir or shared_dir() / "corpus"
    by_file: dict[tuple[str, str], set[str]] = {}
    for ref in refs:
        by_file.setdefault((ref.source, ref.file), set()).add(ref.id)
    texts: dict[tuple[str, str], dict[str, tuple[str, str, str]]] = {}
    for (source, file), ids in sorted(by_file.items()):
        path = root / source / file
        if not path.exists():
            raise OutOfSourceError(
                f"corpus file {source}/{file} not found under {root} ({len(ids)} labels need it)"
            )
        texts[(source, file)] = _corpus_rows(path, ids)
    missing = [f"{r.source}/{r.file}#{r.id}" for r in refs if r.id not in texts[(r.source, r.file)]]
    if missing:
        raise OutOfSourceError(
            f"{len(missing)} labelled items not found in the corpus: " + ", ".join(missing[:20])
        )
    items = []
    for r in refs:
        title, body, date = texts[(r.source, r.file)][r.id]
        if not is_held_out(r.source, date):
            raise OutOfSourceError(f"{r.source}/{r.file}#{r.id} is dated {date}: on the training side")
        items.append(OutOfSourceItem(r, title, body, date))
    return items
