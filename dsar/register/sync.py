"""Writing the YAML register into the database (`dsar register sync`).

Upserts controllers, systems and processing activities so that the database mirrors
the register. Controllers and systems the register no longer names are kept (requests
and audit events may point at them); activities are register data only and follow it.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from dsar.extensions import db
from dsar.models import Controller, ProcessingActivity, System
from dsar.register.loader import Register, RegisterError, load_register

_CONTROLLER_FIELDS = ("name", "is_operator", "country", "subdivision", "timezone", "language",
                      "contact_email", "webhook_url", "processor_sla_working_days", "forwarding_working_days")
_SYSTEM_FIELDS = ("name", "processor", "location", "location_detail", "in_eea", "transfer_safeguard",
                  "connector_type", "owner_email")
_ACTIVITY_FIELDS = ("role", "purpose", "data_subjects", "legal_basis", "retention",
                    "retention_blocks_erasure", "source", "automated_decisions")


def sync_register(register: Register) -> dict[str, int]:
    """Make the database match `register`; return counts. Commits."""
    controllers = {c.id: c for c in db.session.scalars(select(Controller))}
    for spec in register.controllers:
        row = controllers.get(spec.id) or Controller(id=spec.id)
        for attr in _CONTROLLER_FIELDS:
            setattr(row, attr, getattr(spec, attr))
        row.aliases, row.forms, row.names = list(spec.aliases), list(spec.forms), list(spec.names)
        row.processor_sla_cutoff = spec.processor_sla_cutoff.strftime("%H:%M") if spec.processor_sla_cutoff else None
        db.session.add(row)
    systems = {s.id: s for s in db.session.scalars(select(System))}
    for spec in register.systems:
        row = systems.get(spec.id) or System(id=spec.id)
        for attr in _SYSTEM_FIELDS:
            setattr(row, attr, getattr(spec, attr))
        row.connector_settings = dict(spec.connector_settings)
        row.identity_fields, row.actions = list(spec.identity_fields), list(spec.actions)
        db.session.add(row)
        systems[spec.id] = row
    db.session.flush()
    activities = {(a.controller_id, a.slug): a for a in db.session.scalars(select(ProcessingActivity))}
    wanted = set()
    for spec in register.activities:
        for controller_id in spec.controllers:
            key = (controller_id, spec.id)
            wanted.add(key)
            row = activities.get(key) or ProcessingActivity(controller_id=controller_id, slug=spec.id)
            for attr in _ACTIVITY_FIELDS:
                setattr(row, attr, getattr(spec, attr))
            row.data_categories, row.recipients = list(spec.data_categories), list(spec.recipients)
            row.systems = [systems[s] for s in spec.systems]
            db.session.add(row)
    for key, row in activities.items():
        if key not in wanted:
            db.session.delete(row)
    db.session.commit()
    return {"controllers": len(register.controllers), "systems": len(register.systems),
            "activities": len(wanted)}


register_cli = AppGroup("register", help="Load the processing register into the database.")


@register_cli.command("sync")
@click.argument("path", required=False)
def sync_command(path: str | None) -> None:
    """Validate the register (PATH, or DSAR_CONFIG) and write it to the database."""
    path = path or current_app.config["REGISTER_PATH"]
    try:
        register = load_register(path)
    except RegisterError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None
    counts = sync_register(register)
    click.echo(f"synced {path}: {counts['controllers']} controllers, {counts['systems']} systems, "
               f"{counts['activities']} activity rows")
