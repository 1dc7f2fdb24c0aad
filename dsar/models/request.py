"""A data-subject request, the identities it names, and the pauses of its clock."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.extensions import db
from dsar.models.controller import Controller
from dsar.models.rights import from_mask, to_mask
from dsar.models.types import JSONType, UTCDateTime

# Sorts after every real due date, so requests with no running clock come last.
NO_DUE_DATE = date(9999, 12, 31)


class Request(db.Model):
    """One request, for one controller (or none yet: unroutable)."""

    __tablename__ = "requests"
    __table_args__ = (
        # The queue: one tenant's requests by urgency, and everyone's for operators.
        Index("ix_requests_controller_urgency", "controller_id", "urgency_on", "id"),
        Index("ix_requests_urgency", "urgency_on", "id"),
        # The queue filtered by state: closed states all sort last (NO_DUE_DATE), and
        # without these the planner walks the urgency index past every open request.
        Index("ix_requests_status_urgency", "status", "urgency_on", "id"),
        Index("ix_requests_controller_status_urgency", "controller_id", "status", "urgency_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    controller_id: Mapped[str | None] = mapped_column(ForeignKey("controllers.id"))
    status: Mapped[str] = mapped_column(String(24))
    verification: Mapped[str] = mapped_column(String(12), default="unverified")
    rights_mask: Mapped[int] = mapped_column()
    channel: Mapped[str] = mapped_column(String(12))
    language: Mapped[str | None] = mapped_column(String(2))
    details: Mapped[str] = mapped_column(Text, default="")
    corrections: Mapped[dict | None] = mapped_column(JSONType)
    # True when the controller itself sent us the request (flow 3): no forwarding due,
    # and the processor SLA runs from its receipt.
    via_controller: Mapped[bool] = mapped_column(default=False)
    routing: Mapped[dict] = mapped_column(JSONType, default=dict)
    assignee: Mapped[str | None] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))
    # Set by intake when the same person asked the same thing days before: triage merges.
    suspected_duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"))

    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(default=False)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    instructed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # The last reminder (admonition) the subject sent about this request.
    chased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Denormalised from the clocks on every change: the nearest running due date.
    urgency_on: Mapped[date] = mapped_column(Date, default=NO_DUE_DATE)
    statutory_due: Mapped[date | None] = mapped_column(Date)
    # Set by `dsar purge` (dsar.retention): only a non-identifying skeleton of the request is left.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    controller: Mapped[Controller | None] = relationship()
    identities: Mapped[list[SubjectIdentity]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="SubjectIdentity.id"
    )
    pauses: Mapped[list[Pause]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="Pause.id"
    )
    parent: Mapped[Request | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    suspected_duplicate_of: Mapped[Request | None] = relationship(
        remote_side=[id], foreign_keys=[suspected_duplicate_of_id])

    @property
    def subject_email(self) -> str | None:
        """The address the subject is written to: their first email identity."""
        return next((i.value for i in self.identities if i.kind == "email"), None)

    @property
    def rights(self) -> list[str]:
        return from_mask(self.rights_mask)

    @rights.setter
    def rights(self, values) -> None:
        self.rights_mask = to_mask(values)


class SubjectIdentity(db.Model):
    """An identifier of the data subject: email, phone, name, customer id…"""

    __tablename__ = "subject_identities"
    __table_args__ = (Index("ix_identities_lookup", "kind", "normalized"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(320))
    # Lower-cased / digits-only form, for matching and discovery.
    normalized: Mapped[str] = mapped_column(String(320))

    request: Mapped[Request] = relationship(back_populates="identities")


class Pause(db.Model):
    """A time the controller waited for information from the subject (clock paused)."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)

    request: Mapped[Request] = relationship(back_populates="pauses")
