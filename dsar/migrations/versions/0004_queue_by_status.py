"""The queue filtered by state stays fast at a million rows (bench/queue.py).

ix_requests_status (status) is replaced by (status, urgency_on, id), which also serves
every lookup by status alone, and a per-tenant twin is added.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_requests_status", table_name="requests")
    op.create_index("ix_requests_status_urgency", "requests", ["status", "urgency_on", "id"])
    op.create_index("ix_requests_controller_status_urgency", "requests",
                    ["controller_id", "status", "urgency_on", "id"])


def downgrade():
    op.drop_index("ix_requests_controller_status_urgency", table_name="requests")
    op.drop_index("ix_requests_status_urgency", table_name="requests")
    op.create_index("ix_requests_status", "requests", ["status"])
