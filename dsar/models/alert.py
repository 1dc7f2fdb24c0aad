"""Alerts already sent: one row per (request, threshold, recipient), so none goes twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dsar.extensions import db
from dsar.models.types import UTCDateTime


class AlertSent(db.Model):
    __tablename__ = "alerts_sent"
    __table_args__ = (UniqueConstraint("request_id", "threshold", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    # Which clock crossed which line, e.g. "statutory:due_in_7" or "processor_sla:overdue_1".
    threshold: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12))  # digest | escalation
    recipient: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
