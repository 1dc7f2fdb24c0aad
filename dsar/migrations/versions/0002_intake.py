"""Intake: what each message was understood as, attachments, IMAP positions, duplicate flag.

Revision ID: 0002
Revises: 0001

Plain ADD COLUMNs, no batch mode: on SQLite batch mode copies and drops `requests`,
and with foreign keys on, dropping it would cascade into the identities.
"""
from alembic import op
import sqlalchemy as sa

from dsar.models.types import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mailboxes",
        sa.Column("id", sa.String(length=300), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("polled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "message_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("omitted", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_attachments_message_id", "message_attachments", ["message_id"])

    op.add_column("messages", sa.Column("source", sa.String(length=12), nullable=False, server_default=""))
    op.add_column("messages", sa.Column("in_reply_to", sa.Text(), nullable=False, server_default=""))
    for column in (
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("understanding", JSONType, nullable=True),
        sa.Column("triaged_by", sa.String(length=120), nullable=True),
        sa.Column("triaged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=True),
        sa.Column("delivery", sa.String(length=12), nullable=True),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
    ):
        op.add_column("messages", column)
    op.create_index("ix_messages_disposition", "messages", ["disposition", "id"])

    if op.get_bind().dialect.name == "sqlite":
        # SQLite takes a REFERENCES clause in ADD COLUMN but no ADD CONSTRAINT.
        op.execute("ALTER TABLE requests ADD COLUMN suspected_duplicate_of_id INTEGER REFERENCES requests (id)")
    else:
        op.add_column("requests", sa.Column("suspected_duplicate_of_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_requests_suspected_duplicate_of", "requests", "requests",
                              ["suspected_duplicate_of_id"], ["id"])
    op.add_column("requests", sa.Column("chased_at", UTCDateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("requests", "chased_at")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_requests_suspected_duplicate_of", "requests", type_="foreignkey")
    op.drop_column("requests", "suspected_duplicate_of_id")
    op.drop_index("ix_messages_disposition", table_name="messages")
    for name in ("sent_at", "delivery_error", "delivery", "template", "triaged_at", "triaged_by",
                 "understanding", "disposition", "language", "in_reply_to", "source"):
        op.drop_column("messages", name)
    op.drop_table("message_attachments")
    op.drop_table("mailboxes")
