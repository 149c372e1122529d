"""One entry read with its case number (a portal) and without it (an office export) is stored once.

The crawled copy comes from the constructed 信用中国 fixture in data/ and the export is a CSV written here and read by
the real import; the other scenarios (two decisions on one day, other dates or parties, rows from before the merge
existed) use hand-made items, as their shapes need no portal. Runs on SQLite and, with
CREDITWATCH_TEST_BACKEND=postgresql, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crawlers.portals import creditchina
from crawlers.portals.imports import ImportResult, import_portal_file
from crawlers.portals.records import PortalItem
from crawlers.portals.store import record_values, store_items
from models.portal import ListKind, PortalRecord, match_key
from storage import migrate
from storage.db import make_engine, session_scope
from tests.conftest import TEST_BACKEND
from tests.portals.conftest import constructed

CODE = "91320281MA1N2K3L4H"
NAME = "江阴市澄江建材有限公司"
NUMBER = "澄市监黑〔2024〕3号"  # the 决定文书号 in constructed_creditchina_records_jiancai.json
DAY = date(2024, 3, 15)
EXPORT = (
    "企业名称,统一社会信用代码,认定部门,列入日期,列入原因,移出日期\n"
    f"{NAME},{CODE},江阴市市场监督管理局,2024-03-15,拖欠农民工工资（已结清）,2024-06-30\n"
)


def _crawled() -> PortalItem:
    (item,) = creditchina.parse_type_source(
        constructed("constructed_creditchina_records_jiancai.json"), ListKind.BLACKLIST
    ).items
    assert (item.credit_code, item.case_number, item.decided_on) == (CODE, NUMBER, DAY)
    return item


def _import(engine: Engine, path: Path) -> ImportResult:
    with session_scope(engine) as s:
        return import_portal_file(s, path, ListKind.BLACKLIST)


def _store(engine: Engine, items: list[PortalItem]) -> tuple[int, int]:
    with session_scope(engine) as s:
        return store_items(s, items)


def _rows(engine: Engine) -> list[PortalRecord]:
    with Session(engine) as s:
        return list(s.scalars(select(PortalRecord).order_by(PortalRecord.id)))


def _item(
    case: str | None = None,
    *,
    day: date = DAY,
    code: str | None = CODE,
    name: str = NAME,
    kind: ListKind = ListKind.BLACKLIST,
    reason: str | None = None,
    removed: date | None = None,
) -> PortalItem:
    return PortalItem(
        list_kind=kind,
        entity_name=name,
        source="test",
        credit_code=code,
        authority="江阴市市场监督管理局",
        case_number=case,
        reason=reason,
        decided_on=day,
        removed_on=removed,
    )


@pytest.fixture
def export(tmp_path: Path) -> Path:
    f = tmp_path / "blacklist.csv"
    f.write_text(EXPORT, encoding="utf-8")
    return f


def test_crawled_with_number_then_imported_without_is_one_row(engine: Engine, export: Path) -> None:
    assert _store(engine, [_crawled()]) == (1, 0)
    r = _import(engine, export)
    assert (r.rows, r.new, r.already_stored, r.duplicates_in_file) == (1, 0, 1, 0)
    (row,) = _rows(engine)
    # the export's fresher fields, the portal's number and key
    assert (row.case_number, row.dedup_key) == (NUMBER, f"blacklist|{CODE}|{NUMBER}|2024-03-15")
    assert (row.reason, row.removed_on, row.source) == (
        "拖欠农民工工资（已结清）",
        date(2024, 6, 30),
        "import:blacklist.csv",
    )
    again = _import(engine, export)  # re-importing the same file changes nothing
    assert (again.new, again.already_stored) == (0, 1)
    (same,) = _rows(engine)
    assert (same.id, same.case_number, same.dedup_key, same.reason) == (
        row.id,
        NUMBER,
        row.dedup_key,
        row.reason,
    )


def test_imported_without_then_crawled_with_upgrades_the_row(engine: Engine, export: Path) -> None:
    assert _import(engine, export).new == 1
    (before,) = _rows(engine)
    assert (before.case_number, before.dedup_key) == (None, f"blacklist|{CODE}||2024-03-15")
    assert _store(engine, [_crawled()]) == (0, 1)
    (row,) = _rows(engine)
    assert row.id == before.id  # upgraded in place, not replaced
    assert (row.case_number, row.dedup_key) == (NUMBER, f"blacklist|{CODE}|{NUMBER}|2024-03-15")
    assert (row.reason, row.source) == ("拖欠农民工工资", "creditchina")
    assert row.removed_on == date(2024, 6, 30)  # the exit the export knew survives the page that lacks it
    r = _import(engine, export)  # and the export again: still one row, the number stays
    assert (r.new, r.already_stored) == (0, 1)
    (after,) = _rows(engine)
    assert (after.id, after.case_number, after.dedup_key) == (row.id, NUMBER, row.dedup_key)


def test_an_export_and_a_crawl_stored_together_are_one_row(engine: Engine, export: Path) -> None:
    from crawlers.portals.imports import parse_file

    (exported,) = parse_file(export, ListKind.BLACKLIST)
    assert _store(engine, [exported, _crawled()]) == (1, 1)  # the merged copy counts as already stored
    (row,) = _rows(engine)
    assert (row.case_number, row.source, row.removed_on) == (NUMBER, "creditchina", date(2024, 6, 30))


@pytest.mark.parametrize("together", [True, False], ids=["one batch", "two batches"])
@pytest.mark.parametrize("numbered_first", [True, False], ids=["numbered first", "numberless first"])
def test_a_numberless_copy_never_erases_a_number(
    engine: Engine, together: bool, numbered_first: bool
) -> None:
    """Hand-made items. Whatever the order, the later copy's fields win and the number stays."""
    numbered, numberless = _item(NUMBER, reason="甲"), _item(reason="乙")
    first, second = (numbered, numberless) if numbered_first else (numberless, numbered)
    if together:
        assert _store(engine, [first, second]) == (1, 1)
    else:
        assert _store(engine, [first]) == (1, 0)
        assert _store(engine, [second]) == (0, 1)
    (row,) = _rows(engine)
    assert (row.case_number, row.dedup_key) == (NUMBER, f"blacklist|{CODE}|{NUMBER}|2024-03-15")
    assert row.reason == second.reason


def test_an_exit_in_an_earlier_copy_of_the_batch_survives(engine: Engine) -> None:
    """Hand-made items: within one batch, as against a stored row, a copy without 移出 keeps the exit already read."""
    assert _store(engine, [_item(NUMBER, removed=date(2024, 6, 30)), _item(NUMBER, reason="旧页")]) == (1, 0)
    (row,) = _rows(engine)
    assert (row.removed_on, row.reason) == (date(2024, 6, 30), "旧页")


def test_two_decisions_on_one_day_and_a_numberless_copy_stay_three_rows(engine: Engine) -> None:
    """Hand-made items. With two numbered rows of one party on one day, a copy without a number could repeat either:
    merging it into one would be a guess that may overwrite the other decision's fields. It is stored as its own
    row: a possible duplicate, but nothing is lost or wrongly merged."""
    assert _store(engine, [_item("澄市监黑〔2024〕3号"), _item("澄市监黑〔2024〕4号")]) == (2, 0)
    assert _store(engine, [_item(reason="无文号")]) == (1, 0)
    assert _store(engine, [_item(reason="无文号")]) == (0, 1)  # re-read: idempotent
    rows = _rows(engine)
    assert sorted((r.case_number or "", r.reason or "") for r in rows) == [
        ("", "无文号"),
        ("澄市监黑〔2024〕3号", ""),
        ("澄市监黑〔2024〕4号", ""),
    ]
    # A third decision cannot tell which stored copy it is either: the numberless row is not upgraded.
    assert _store(engine, [_item("澄市监黑〔2024〕5号")]) == (1, 0)
    assert [r.case_number for r in _rows(engine)].count(None) == 1


def test_a_numberless_row_is_not_upgraded_by_one_of_two_numbered_copies(engine: Engine) -> None:
    """Hand-made items: the same ambiguity with the numberless copy stored first and the decisions in one batch."""
    assert _store(engine, [_item()]) == (1, 0)
    assert _store(engine, [_item("一号"), _item("二号")]) == (2, 0)
    assert sorted(r.case_number or "" for r in _rows(engine)) == ["", "一号", "二号"]


@pytest.mark.parametrize(
    "other",
    [
        _item(day=date(2024, 3, 16)),
        _item(code="91320281MA20ABCD1M"),
        _item(kind=ListKind.WATCHLIST),
        _item(code=None),  # the party is its code, else its name: a name is not matched to a code
    ],
    ids=["another date", "another party", "another list", "name without code"],
)
def test_different_dates_parties_or_lists_never_merge(engine: Engine, other: PortalItem) -> None:
    """Hand-made items: a numberless copy that differs in list, party or date is another entry."""
    assert _store(engine, [_item(NUMBER)]) == (1, 0)
    assert _store(engine, [other]) == (1, 0)
    assert len(_rows(engine)) == 2


def test_people_with_one_name_and_other_masked_ids_never_merge(engine: Engine) -> None:
    """Hand-made items: a masked ID number identifies a person only together with the name."""

    def person(masked_id: str, case: str | None = None) -> PortalItem:
        return _item(case, code=masked_id, name="张某某", kind=ListKind.DISHONEST_DEBTOR)

    assert _store(engine, [person("3202811979****1234", "（2024）苏0281执1号")]) == (1, 0)
    assert _store(engine, [person("3202811980****5678")]) == (1, 0)
    assert _store(engine, [person("3202811979****1234")]) == (0, 1)
    assert sorted(r.case_number or "" for r in _rows(engine)) == ["", "（2024）苏0281执1号"]


def test_an_exact_key_wins_over_a_loose_match(engine: Engine) -> None:
    """Hand-made rows as a database from before the merge may hold them: a numberless and a numbered copy of one
    entry. Each later copy refreshes its own row; none of the two is deleted or re-keyed."""
    with session_scope(engine) as s:
        for item in (_item(), _item(NUMBER)):
            s.add(PortalRecord(**record_values(item)))
    assert _store(engine, [_item(reason="新")]) == (0, 1)
    assert _store(engine, [_item(NUMBER, reason="新号")]) == (0, 1)
    assert sorted((r.case_number or "", r.reason) for r in _rows(engine)) == [("", "新"), (NUMBER, "新号")]
    assert _store(engine, [_item("另一号")]) == (
        1,
        0,
    )  # another decision: its own row, the numberless one stays
    assert len(_rows(engine)) == 3


def test_direct_inserts_get_the_match_key(engine: Engine) -> None:
    """Rows written without the store (fixtures, benchmarks) get the match_key the store would give them."""
    with session_scope(engine) as s:
        s.add(
            PortalRecord(
                dedup_key="k1", list_kind=ListKind.PENALTY, entity_name="某店", decided_on=DAY, source="t"
            )
        )
    (row,) = _rows(engine)
    assert row.match_key == "penalty|某店|2024-03-15"


# --- migration 0003 ------------------------------------------------------------------------------------------
BACKFILLED = 2345  # more than two back-fill batches


@pytest.fixture
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema) on the test backend."""
    if TEST_BACKEND == "postgresql":
        yield request.getfixturevalue("pg_url")
    else:
        yield f"sqlite:///{tmp_path / 'cw.db'}"


def _legacy_items() -> list[PortalItem]:
    people = [
        PortalItem(
            list_kind=ListKind.DISHONEST_DEBTOR,
            entity_name="张某某",
            source="test",
            credit_code="3202811979****1234",
            case_number="（2024）苏0281执1号",
            published_on=date(2024, 3, 20),  # no decided_on: the date falls back to published_on
        )
    ]
    many = [
        _item(code=None, name=f"公司{i}", day=date(2024, 1 + i % 12, 1 + i % 28)) for i in range(BACKFILLED)
    ]
    return [_item(NUMBER), *people, *many]


def test_migration_backfills_match_key_of_existing_rows(empty_db_url: str) -> None:
    migrate.upgrade(empty_db_url, "0002_job_runs")
    engine = make_engine(empty_db_url)
    try:
        legacy = _legacy_items()
        with engine.begin() as conn:
            table = sa.Table("portal_records", sa.MetaData(), autoload_with=conn)
            assert "match_key" not in table.c
            rows = [record_values(i) for i in legacy]
            for r in rows:
                del r["match_key"]
                r["list_kind"] = r["list_kind"].value
                r["created_at"] = datetime(2024, 4, 1, tzinfo=UTC)
            conn.execute(sa.insert(table), rows)
        migrate.upgrade(empty_db_url)
        columns = {c["name"]: c for c in sa.inspect(engine).get_columns("portal_records")}
        assert columns["match_key"]["nullable"] is False
        indexes = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes("portal_records")}
        assert indexes["ix_portal_records_match_key"] == ["match_key"]
        stored = {r.dedup_key: r for r in _rows(engine)}
        assert len(stored) == len(legacy)
        for item in legacy:
            row = stored[item.dedup_key]
            assert row.match_key == record_values(item)["match_key"]
            assert row.match_key == match_key(
                row.list_kind, row.entity_name, row.credit_code, row.decided_on, row.published_on
            )
        assert (
            stored[legacy[1].dedup_key].match_key == "dishonest-debtor|张某某/3202811979****1234|2024-03-20"
        )
        # the back-filled key finds the old numbered row for an export's copy
        assert _store(engine, [_item(reason="导入")]) == (0, 1)
        assert stored[legacy[0].dedup_key].id == next(r.id for r in _rows(engine) if r.reason == "导入")
        migrate.downgrade(empty_db_url, "0002_job_runs")
        assert "match_key" not in {c["name"] for c in sa.inspect(engine).get_columns("portal_records")}
        migrate.upgrade(empty_db_url)
    finally:
        engine.dispose()
