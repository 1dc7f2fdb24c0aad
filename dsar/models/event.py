"""The audit trail: append-only events, hash-chained per request.

Each event's hash covers its content and the previous event's hash, so changing or
removing any past event breaks every later link (`dsar audit verify` finds it). The
database refuses UPDATE and DELETE on this table (triggers in the migrations).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.extensions import db
from dsar.models.types import JSONType, UTCDateTime


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("request_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    seq: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    # Lets a new request and its first events go to the database in one flush.
    request = relationship("Request")
