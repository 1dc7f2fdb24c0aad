"""A task: one action on one system for one request (DESIGN §3, §8).

Its life: `queued` → `running` → `done` | `retrying` (waits for `next_attempt_at`) |
`failed`; or, for a system a person or an outside program fulfils (manual, webhook,
bot), `running` → `waiting` until their report arrives. `lease_until` bounds a run: a
task still `running` past it belonged to a worker that died, and is run again.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.extensions import db
from dsar.models.types import JSONType, UTCDateTime

# Task states; a task in FINISHED needs nothing more.
QUEUED, RUNNING, RETRYING, WAITING, DONE, FAILED = "queued", "running", "retrying", "waiting", "done", "failed"
TASK_STATES = (QUEUED, RUNNING, RETRYING, WAITING, DONE, FAILED)
FINISHED = frozenset({DONE, FAILED})


class Task(db.Model):
    __tablename__ = "tasks"
    # One task per (request, system, action) keeps re-enqueueing idempotent.
    __table_args__ = (
        UniqueConstraint("request_id", "system_id", "action"),
        # The sweeper's look-ups: due retries and expired leases.
        Index("ix_tasks_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    system_id: Mapped[str] = mapped_column(ForeignKey("systems.id"))
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(100))
    # The system's overall outcome (connectors.md's words), and the per-record summary.
    outcome: Mapped[str | None] = mapped_column(String(24))
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who holds the run: a worker's name, or an outside bot's token label.
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request = relationship("Request")
    system = relationship("System")

    @property
    def finished(self) -> bool:
        return self.status in FINISHED
