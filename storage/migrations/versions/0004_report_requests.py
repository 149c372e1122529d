"""report requests: reports asked for in the console, generated in the background

Revision ID: 0004_report_requests
Revises: 0003_portal_match_key
Create Date: 2026-11-23 11:58:23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = '0004_report_requests'
down_revision: str | Sequence[str] | None = '0003_portal_match_key'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('city_code', sa.String(length=6), nullable=False),
    sa.Column('formats', sa.String(length=32), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'failed', 'abandoned', name='reportstate', native_enum=False, length=32), nullable=False),
    sa.Column('active_key', sa.String(length=64), nullable=True),
    sa.Column('worker', sa.String(length=128), nullable=True),
    sa.Column('requested_at', models.base.AwareDateTime(timezone=True), nullable=False),
    sa.Column('started_at', models.base.AwareDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', models.base.AwareDateTime(timezone=True), nullable=True),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_requests')),
    sa.UniqueConstraint('active_key', name=op.f('uq_report_requests_active_key'))
    )
    with op.batch_alter_table('report_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_requests_requested_at'), ['requested_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_requests_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_requests_state'))
        batch_op.drop_index(batch_op.f('ix_report_requests_requested_at'))

    op.drop_table('report_requests')
