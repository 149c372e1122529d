"""manual events, evidence files, feedback owner: events typed in by staff (who, note), uploaded evidence files
(by content hash), and who answers for an event's government response

Revision ID: 0007_manual_events_evidence
Revises: 0006_event_corrections
Create Date: 2026-12-04 15:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007_manual_events_evidence"
down_revision: str | Sequence[str] | None = "0006_event_corrections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("entered_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("feedback_owner", sa.String(length=64), nullable=True))
    op.create_table(
        "evidence_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("feedback_link_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", models.base.AwareDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_evidence_files_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["feedback_link_id"],
            ["feedback_links.id"],
            name=op.f("fk_evidence_files_feedback_link_id_feedback_links"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_files")),
    )
    op.create_index(op.f("ix_evidence_files_event_id"), "evidence_files", ["event_id"], unique=False)
    op.create_index(op.f("ix_evidence_files_sha256"), "evidence_files", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_files_sha256"), table_name="evidence_files")
    op.drop_index(op.f("ix_evidence_files_event_id"), table_name="evidence_files")
    op.drop_table("evidence_files")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("feedback_owner")
        batch.drop_column("note")
        batch.drop_column("entered_by")
