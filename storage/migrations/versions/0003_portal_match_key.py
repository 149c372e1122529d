"""portal records: match_key (list + party + date), so a copy without its case number finds the copy with it

Revision ID: 0003_portal_match_key
Revises: 0002_job_runs
Create Date: 2026-11-23 11:52:53
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from models.portal import match_key

revision: str = '0003_portal_match_key'
down_revision: str | Sequence[str] | None = '0002_job_runs'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Rows read and written per round trip while back-filling: bounded memory on a large table.
BACKFILL_BATCH = 1000

# The columns as they are at this revision (not the ORM model, which may change after it).
_records = sa.table(
    'portal_records',
    sa.column('id', sa.Integer()),
    sa.column('list_kind', sa.String()),
    sa.column('entity_name', sa.String()),
    sa.column('credit_code', sa.String()),
    sa.column('decided_on', sa.Date()),
    sa.column('published_on', sa.Date()),
    sa.column('match_key', sa.String()),
)


def _backfill(conn: sa.Connection) -> None:
    """match_key of every existing row, computed by the function the store uses, in id order by batches."""
    c = _records.c
    read = (
        sa.select(c.id, c.list_kind, c.entity_name, c.credit_code, c.decided_on, c.published_on)
        .where(c.match_key.is_(None), c.id > sa.bindparam('after'))
        .order_by(c.id)
        .limit(BACKFILL_BATCH)
    )
    write = sa.update(_records).where(c.id == sa.bindparam('row_id')).values(match_key=sa.bindparam('key'))
    after = 0
    while rows := conn.execute(read, {'after': after}).all():
        conn.execute(write, [{'row_id': r.id, 'key': match_key(r.list_kind, r.entity_name, r.credit_code,
                                                               r.decided_on, r.published_on)} for r in rows])
        after = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('portal_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_key', sa.String(length=512), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table('portal_records', schema=None) as batch_op:
        batch_op.alter_column('match_key', existing_type=sa.String(length=512), nullable=False)
        batch_op.create_index(batch_op.f('ix_portal_records_match_key'), ['match_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('portal_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portal_records_match_key'))
        batch_op.drop_column('match_key')
