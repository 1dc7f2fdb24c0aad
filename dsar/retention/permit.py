"""Purge permits: the one, narrow exception to the append-only audit trail.

The database refuses every UPDATE and every DELETE on `events` (triggers, migration
0001). Since migration 0007 the DELETE trigger lets a row go when, and only when, a row
of `purge_permits` names that event's request. The purge inserts the permit, deletes the
request's events, records the skeleton's new chain and deletes the permit, all in one
transaction, so no permit outlives it. A further trigger accepts a permit only for a
finished request (closed, cancelled, duplicate): no code path, buggy or not, can remove
the trail of a request still being handled. UPDATE stays refused without exception.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dsar.extensions import db
from dsar.models.types import UTCDateTime


class PurgePermit(db.Model):
    __tablename__ = "purge_permits"

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
