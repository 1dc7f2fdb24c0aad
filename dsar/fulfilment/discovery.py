"""Discovery for routing (DESIGN §6): ask the stores who holds data for an identity.

Only a system that serves one controller can answer "that controller": a store shared
by several clients (a support desk, the product database) says nothing about whose
client the person is, so it is not asked. A system whose credentials are not set cannot
be asked either, and is skipped. Registered with `dsar.routing` by `fulfilment.init_app`.
"""
from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import select

from dsar import connectors
from dsar.connectors.base import Connector, ConnectorError, RetryLater
from dsar.extensions import db
from dsar.models import ProcessingActivity, System, activity_systems

log = logging.getLogger(__name__)


def controllers_holding(identities: dict[str, list[str]]) -> list[str]:
    """The controllers whose own systems hold something for these identities."""
    owners: dict[str, set[str]] = defaultdict(set)
    for system_id, controller_id in db.session.execute(
            select(activity_systems.c.system_id, ProcessingActivity.controller_id)
            .join(ProcessingActivity, ProcessingActivity.id == activity_systems.c.activity_id)):
        owners[system_id].add(controller_id)
    found: list[str] = []
    errors: list[str] = []
    for system in db.session.scalars(select(System).where(System.id.in_(
            [s for s, c in owners.items() if len(c) == 1])).order_by(System.id)):
        (controller_id,) = owners[system.id]
        if controller_id in found or not _can_discover(system):
            continue
        searchable = {k: v for k, v in identities.items() if k in system.identity_fields and v}
        if not searchable:
            continue
        try:
            connector = connectors.build(system)
            if connector.discover(searchable):
                found.append(controller_id)
        except connectors.NotConfigured as exc:
            log.info("discovery skips %s: %s", system.id, exc)
        except (ConnectorError, RetryLater) as exc:
            errors.append(f"{system.id}: {exc}")
    if errors:
        log.warning("discovery: %s", "; ".join(errors))
        if not found:  # routing then says discovery was incomplete, naming the systems
            raise RuntimeError("; ".join(errors))
    return found


def _can_discover(system: System) -> bool:
    try:
        cls = connectors.connector_class(system.connector_type)
    except connectors.NotConfigured:
        return False
    return cls.discover is not Connector.discover
