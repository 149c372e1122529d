"""Benchmark: storing a large list export into portal_records, where copies without their case number are joined.

An office export of a 黑名单 (10,000 rows by default) is stored three times into a freshly migrated database:
1. the crawled copies, with their 文号 (all new rows) — the same-run baseline: plain batched inserts;
2. the same copies again (every row an exact dedup_key match: the idempotent re-read);
3. the export's copies without a 文号 (every row joined to its numbered row through the indexed match_key).
Prints rows per second for each and the ratio of 2 and 3 to the baseline, and checks that the table still holds
one row per entry. Entries are synthetic but shaped like real ones (valid-looking credit codes, Chinese names,
dates over a year), seeded for repeatability.

    .venv/bin/python bench/bench_portal_store.py [--rows 10000] [--pg ADMIN_URL]

Without --pg the database is a SQLite file in a temporary folder; with --pg (e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test) a scratch database is created on that server and dropped
afterwards, so the bench never writes into a database that holds anything.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from crawlers.portals.records import PortalItem
from crawlers.portals.store import store_items
from models.portal import ListKind, PortalRecord
from storage import migrate
from storage.db import make_engine, session_scope

_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_NAME_PARTS = ("江阴", "澄江", "华士", "周庄", "新桥", "青阳", "徐霞客", "祝塘")
_TRADES = ("建材", "物流", "食品", "纺织", "机械", "商贸", "置业", "餐饮")


def entries(n: int, rng: random.Random) -> list[tuple[str, str, date, str]]:
    """(name, credit code, 列入 date, 文号) of `n` distinct entries."""
    out = []
    for i in range(n):
        code = "91320281" + "".join(rng.choice(_CODE_CHARS) for _ in range(10))
        name = f"江阴市{rng.choice(_NAME_PARTS)}{rng.choice(_TRADES)}有限公司{i}"
        day = date(2024, 1, 1) + timedelta(days=rng.randrange(366))
        out.append((name, code, day, f"澄市监黑〔2024〕{i + 1}号"))
    return out


def items(rows: list[tuple[str, str, date, str]], numbered: bool) -> list[PortalItem]:
    return [
        PortalItem(
            list_kind=ListKind.BLACKLIST,
            entity_name=name,
            credit_code=code,
            authority="江阴市市场监督管理局",
            case_number=number if numbered else None,
            reason="拖欠农民工工资",
            decided_on=day,
            source="creditchina" if numbered else "import:blacklist.xlsx",
        )
        for name, code, day, number in rows
    ]


@contextmanager
def scratch_database(pg_admin_url: str | None) -> Iterator[str]:
    """The URL of an empty database: a SQLite file in a temporary folder, or a new database on the PostgreSQL server
    of `pg_admin_url` (dropped on the way out)."""
    if pg_admin_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"creditwatch_bench_{os.getpid()}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--pg", metavar="ADMIN_URL", help="PostgreSQL server to create a scratch database on")
    args = ap.parse_args()
    with scratch_database(args.pg) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        rows = entries(args.rows, random.Random(20191119))
        crawled, exported = items(rows, numbered=True), items(rows, numbered=False)

        def store(batch: list[PortalItem]) -> Callable[[], object]:
            def run() -> object:
                with session_scope(engine) as session:
                    return store_items(session, batch)

            return run

        print(f"{args.rows} entries, {engine.dialect.name}")
        base = timed(store(crawled))
        print(f"new rows with 文号 (baseline):        {args.rows / base:8.0f} rows/s")
        for label, batch in (
            ("same copies again (exact match):", crawled),
            ("copies without 文号 (joined):", exported),
        ):
            took = timed(store(batch))
            print(f"{label:37s}{args.rows / took:8.0f} rows/s  ({base / took:.2f}x baseline)")
        with session_scope(engine) as session:
            stored = session.scalar(select(func.count()).select_from(PortalRecord))
            numbered = session.scalar(select(func.count()).where(PortalRecord.case_number.is_not(None)))
        print(f"rows stored: {stored} (one per entry), with 文号: {numbered}")
        engine.dispose()
        if stored != args.rows or numbered != args.rows:
            raise SystemExit("copies were not joined: the table holds duplicates or lost numbers")


if __name__ == "__main__":
    main()
