"""Fulfilment: a task's lease, retry time, outcome, claimant and reminder.

Plain ADD COLUMN (no batch copy of the table), so it runs the same on SQLite and
PostgreSQL.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from dsar.models.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("tasks", sa.Column("outcome", sa.String(24), nullable=True))
    op.add_column("tasks", sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("claimed_by", sa.String(120), nullable=True))
    op.add_column("tasks", sa.Column("reminded_at", UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_tasks_status_next_attempt", "tasks", ["status", "next_attempt_at"])


def downgrade():
    op.drop_index("ix_tasks_status_next_attempt", table_name="tasks")
    for column in ("reminded_at", "claimed_by", "lease_until", "next_attempt_at", "outcome"):
        op.drop_column("tasks", column)
