"""Tenants and the register: controllers, the systems that hold data, processing activities.

These rows mirror the YAML register (`dsar/register`); `dsar register sync` writes them.
"""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dsar.clocks.calendar import Calendar
from dsar.extensions import db
from dsar.models.types import JSONType

activity_systems = Table(
    "activity_systems",
    db.metadata,
    Column("activity_id", ForeignKey("processing_activities.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True),
)


class Controller(db.Model):
    """A controller (tenant): a client of the operator, or the operator itself."""

    __tablename__ = "controllers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    is_operator: Mapped[bool] = mapped_column(default=False)
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    contact_email: Mapped[str] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    aliases: Mapped[list] = mapped_column(JSONType, default=list)
    forms: Mapped[list] = mapped_column(JSONType, default=list)
    names: Mapped[list] = mapped_column(JSONType, default=list)
    processor_sla_working_days: Mapped[int] = mapped_column(default=3)
    processor_sla_cutoff: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local, or none
    forwarding_working_days: Mapped[int] = mapped_column(default=1)

    activities: Mapped[list[ProcessingActivity]] = relationship(back_populates="controller")

    @property
    def calendar(self) -> Calendar:
        return Calendar(self.country, self.subdivision, self.timezone)


class System(db.Model):
    """A store holding personal data: a sub-processor's service or a database."""

    __tablename__ = "systems"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    processor: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(2))
    location_detail: Mapped[str | None] = mapped_column(String(200))
    in_eea: Mapped[bool] = mapped_column(default=True)
    transfer_safeguard: Mapped[str | None] = mapped_column(String(300))
    connector_type: Mapped[str] = mapped_column(String(40))
    connector_settings: Mapped[dict] = mapped_column(JSONType, default=dict)
    identity_fields: Mapped[list] = mapped_column(JSONType, default=list)
    actions: Mapped[list] = mapped_column(JSONType, default=list)
    owner_email: Mapped[str | None] = mapped_column(String(254))


class ProcessingActivity(db.Model):
    """One purpose of processing for one controller, as the agreements describe it."""

    __tablename__ = "processing_activities"
    __table_args__ = (UniqueConstraint("controller_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    controller_id: Mapped[str] = mapped_column(ForeignKey("controllers.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # the operator's role: controller | processor
    purpose: Mapped[str] = mapped_column(String(500))
    data_subjects: Mapped[str] = mapped_column(String(300), default="")
    data_categories: Mapped[list] = mapped_column(JSONType, default=list)
    legal_basis: Mapped[str] = mapped_column(String(30))
    retention: Mapped[str] = mapped_column(String(300))
    retention_blocks_erasure: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(300), default="")
    recipients: Mapped[list] = mapped_column(JSONType, default=list)
    automated_decisions: Mapped[str | None] = mapped_column(String(500))

    controller: Mapped[Controller] = relationship(back_populates="activities")
    systems: Mapped[list[System]] = relationship(secondary=activity_systems)
