"""Retention of our own records: purge permits, and `requests.purged_at`.

The audit table `events` is append-only: since 0001 a trigger refuses every UPDATE and
every DELETE on it. Purging a request past retention (`dsar purge`, dsar.retention) must
remove its events, whose data names the subject, so this migration makes one narrow,
designed exception:

- a table `purge_permits(request_id, granted_at)`;
- the DELETE trigger on `events` lets a row go only when a permit names its request
  (OLD.request_id); without one it refuses as before. UPDATE stays refused, always;
- a trigger on `purge_permits` accepts a permit only for a finished request (closed,
  cancelled, duplicate), so no code can remove the trail of a request still handled.

The purge inserts the permit, deletes the request's events, records the request's new
one-event chain (`purged`) and deletes the permit, all in one transaction: no permit
outlives it. On PostgreSQL the trigger function `dsar_events_append_only()` is replaced
(the trigger `events_append_only` calling it stays); on SQLite the trigger
`events_no_delete` is re-created with a WHEN clause. Plain DDL, no batch mode: copying
`requests` would lose other triggers and indexes.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from dsar.models.types import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

FINISHED = "('cancelled', 'closed', 'duplicate')"

PG_EVENTS_FUNCTION = """
    CREATE OR REPLACE FUNCTION dsar_events_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM purge_permits WHERE request_id = OLD.request_id) THEN
            RETURN OLD;  -- a purge of this request, within the transaction holding its permit
        END IF;
        RAISE EXCEPTION 'the audit trail is append-only: % on events refused', TG_OP;
    END;
    $$ LANGUAGE plpgsql"""

# 0001's function, restored by the downgrade.
PG_EVENTS_FUNCTION_0001 = """
    CREATE OR REPLACE FUNCTION dsar_events_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'the audit trail is append-only: % on events refused', TG_OP; END;
    $$ LANGUAGE plpgsql"""

SQLITE_NO_DELETE_0001 = """
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on events refused'); END"""


def upgrade():
    op.add_column('requests', sa.Column('purged_at', UTCDateTime(timezone=True), nullable=True))
    op.create_table('purge_permits',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('granted_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id')
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_EVENTS_FUNCTION)
        op.execute(f"""
            CREATE FUNCTION dsar_purge_permits_finished_only() RETURNS trigger AS $$
            BEGIN
                IF NOT EXISTS (SELECT 1 FROM requests WHERE id = NEW.request_id AND status IN {FINISHED}) THEN
                    RAISE EXCEPTION 'a purge permit is only granted for a finished request (request id %)', NEW.request_id;
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER purge_permits_finished_only BEFORE INSERT OR UPDATE ON purge_permits
                      FOR EACH ROW EXECUTE FUNCTION dsar_purge_permits_finished_only()""")
    else:
        op.execute("DROP TRIGGER events_no_delete")
        op.execute("""
            CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            WHEN NOT EXISTS (SELECT 1 FROM purge_permits WHERE request_id = OLD.request_id)
            BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on events refused'); END""")
        for operation in ("INSERT", "UPDATE"):
            op.execute(f"""
                CREATE TRIGGER purge_permits_finished_only_{operation.lower()} BEFORE {operation} ON purge_permits
                WHEN NOT EXISTS (SELECT 1 FROM requests WHERE id = NEW.request_id AND status IN {FINISHED})
                BEGIN SELECT RAISE(ABORT, 'a purge permit is only granted for a finished request'); END""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS purge_permits_finished_only ON purge_permits")
        op.execute("DROP FUNCTION IF EXISTS dsar_purge_permits_finished_only()")
        op.execute(PG_EVENTS_FUNCTION_0001)
    else:
        op.execute("DROP TRIGGER IF EXISTS purge_permits_finished_only_insert")
        op.execute("DROP TRIGGER IF EXISTS purge_permits_finished_only_update")
        op.execute("DROP TRIGGER events_no_delete")
        op.execute(SQLITE_NO_DELETE_0001)
    op.drop_table('purge_permits')
    op.drop_column('requests', 'purged_at')
