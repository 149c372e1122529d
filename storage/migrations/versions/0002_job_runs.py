"""job runs: scheduler outcomes shown in the web console

Revision ID: 0002_job_runs
Revises: 0001
Create Date: 2026-11-23 00:55:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base


revision: str = '0002_job_runs'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('scheduled_at', models.base.AwareDateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', models.base.AwareDateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_outcome'), ['outcome'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_runs_recorded_at'), ['recorded_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_job_runs_outcome'))
        batch_op.drop_index(batch_op.f('ix_job_runs_job_id'))
    op.drop_table('job_runs')
