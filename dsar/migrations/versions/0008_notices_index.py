"""The notices duty finds the email notices still to send without reading them all.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_notices_status_channel", "notices", ["status", "channel"])


def downgrade():
    op.drop_index("ix_notices_status_channel", table_name="notices")
