"""Idempotent writes: INSERT ... ON CONFLICT on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.base import Base

M = TypeVar("M", bound=Base)


def upsert(
    session: Session,
    model: type[M],
    values: dict[str, Any],
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> M:
    """Insert `values`, or on a clash of the unique `key` columns update `update` (None: all non-key columns;
    empty: keep the stored row). Returns the stored row."""
    table = model.__table__
    assert isinstance(table, Table)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    cols = [c for c in values if c not in key] if update is None else list(update)
    if cols:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in cols})
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    session.execute(stmt)
    where = [getattr(model, k) == values[k] for k in key]
    row = session.scalars(select(model).where(*where).execution_options(populate_existing=True)).one()
    return row
