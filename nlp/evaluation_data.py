"""The labelled corpus as the classifier and the quality gate read it.

The repository holds only references and labels (nlp/data/*.tsv, handpicked/, train_checks/, the lexicon); the
texts stay in ../shared. `labelled_path()` builds the corpus from them with nlp/corpus_build.py on first use and
keeps it in a cache folder outside the repository's tracked files, keyed by a hash of everything the build
reads from the repository, so a changed label or reference file rebuilds it and nothing stale is ever read.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from config.paths import REPO_DIR, shared_dir
from nlp.gazetteer import get_gazetteer

NLP_DIR = Path(__file__).resolve().parent
DATA_DIR = NLP_DIR / "data"
CITY_CHECKS = DATA_DIR / "city_checks.tsv"
# Everything in the repository the corpus build reads: its code, the lexicon that proposes labels, and the
# reference / label / split files. The texts themselves are read from ../shared, which does not change.
_BUILD_INPUTS = ("corpus_build.py", "lexicon.py", "evaluation_data.py")
_BUILD_DATA = ("*.tsv", "handpicked/*.tsv", "train_checks/*.tsv", "lexicon/*.tsv")
_build_lock = threading.Lock()


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


def build_inputs_sha256() -> str:
    """sha256 over the names and bytes of every repository file the corpus build reads."""
    files = [(name, NLP_DIR / name) for name in _BUILD_INPUTS]
    data = sorted({p for pattern in _BUILD_DATA for p in DATA_DIR.glob(pattern)})
    files += [("data/" + p.relative_to(DATA_DIR).as_posix(), p) for p in data]
    h = hashlib.sha256()
    for name, f in files:
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def cache_dir() -> Path:
    """Where built data is kept: `CREDITWATCH_CACHE`, else var/cache in the repository (ignored by git)."""
    env = os.environ.get("CREDITWATCH_CACHE")
    return Path(env) if env else REPO_DIR / "var" / "cache"


def labelled_path() -> Path:
    """The built labelled corpus (JSON lines), built from the references and ../shared if not cached yet."""
    path = cache_dir() / f"labelled-{build_inputs_sha256()[:16]}.jsonl"
    if path.exists():
        return path
    with _build_lock:
        if not path.exists():
            from nlp import corpus_build  # the build imports this module

            items = corpus_build.build(shared_dir())
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            corpus_build.write(items, tmp)
            tmp.replace(path)  # atomic: a parallel process reads the old state or the whole file
    return path


def load_labelled(path: Path | None = None) -> list[LabelledItem]:
    """Every row of the labelled corpus, with the hand-checked cities of the test split merged in."""
    path = path or labelled_path()
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


def evaluation_sha256(path: Path | None = None) -> str:
    """sha256 over the test split rows (id, labels, cities): the evaluation data's identity. The ids are
    references to fixed texts in ../shared, so hashing them rather than the texts keeps the repository free of
    the texts while any change of membership or of a label still changes the hash."""
    h = hashlib.sha256()
    for it in sorted(load_labelled(path), key=lambda i: i.id):  # order-free: rebuilding may reorder rows
        if it.split == "test":
            h.update(json.dumps([it.id, it.kind, it.domain, it.cities], ensure_ascii=False).encode())
    return h.hexdigest()


def prefecture_of(code: str) -> str | None:
    d = get_gazetteer().get(code)
    return d.prefecture_code if d else None
