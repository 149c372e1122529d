"""Loading the division gazetteer (~3,300 rows) into an empty database, beside a same-run reference.

    .venv/bin/python bench/bench_gazetteer.py [--repeat 3]

`load_divisions` (one compiled INSERT … ON CONFLICT for every row) is timed against the row-at-a-time upsert
with read-back it replaced, on the same gazetteer and the same kind of fresh SQLite file; both must leave the
same rows. Prints the best of `--repeat` runs of each and the ratio. Target: ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Base, Division
from nlp.gazetteer import get_gazetteer
from storage.db import make_engine
from storage.repository import load_divisions
from storage.upsert import upsert


def row_by_row(session: Session) -> None:
    """The reference: one upsert and one read-back per division (the previous implementation)."""
    order = {"province": 0, "prefecture": 1, "county": 2}
    for d in sorted(get_gazetteer().all(), key=lambda d: order[d.level]):
        values = {
            "code": d.code,
            "name": d.name,
            "level": d.level,
            "parent_code": d.parent_code,
            "aliases": "|".join(d.aliases),
        }
        upsert(session, Division, values, key=["code"])


def timed(
    load: Callable[[Session], object], folder: Path, tag: str
) -> tuple[float, set[tuple[str, str, str, str, str]]]:
    engine = make_engine(f"sqlite:///{folder / f'{tag}.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        started = time.perf_counter()
        load(s)
        s.commit()
        elapsed = time.perf_counter() - started
        rows = {
            (d.code, d.name, d.level, d.parent_code or "", d.aliases) for d in s.scalars(select(Division))
        }
    engine.dispose()
    return elapsed, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    get_gazetteer()  # parsed once, outside both timings
    bulk: list[float] = []
    ref: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            t, bulk_rows = timed(load_divisions, Path(tmp), f"bulk{i}")
            bulk.append(t)
            t, ref_rows = timed(row_by_row, Path(tmp), f"ref{i}")
            ref.append(t)
            if bulk_rows != ref_rows:
                sys.exit(f"load_divisions stored different rows than the row-by-row reference (run {i})")
    print(f"divisions: {len(bulk_rows)} rows, identical to the reference")
    print(f"load_divisions (bulk):        {min(bulk):.3f} s")
    print(f"row-by-row upsert (reference): {min(ref):.3f} s")
    print(
        f"speed-up: {min(ref) / min(bulk):.1f}x   target ≤ 0.300 s: {'met' if min(bulk) <= 0.3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
