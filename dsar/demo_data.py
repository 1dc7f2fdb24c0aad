"""`dsar demo-data`: a few dozen requests in every state, so the demo's queue, dashboard
and alerts have something to show. Filed and moved through the request service, with
dates in the past, exactly as real ones would be; never run on a database that already
holds requests."""
from __future__ import annotations

import random
from pathlib import Path
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from dsar.extensions import db
from dsar.fulfilment import queue
from dsar.models import Controller, Request, Role
from dsar.models.rights import RIGHT_NAMES
from dsar.permissions import Principal
from dsar.requests.service import NewRequest, create_request, perform
from dsar.timeutil import now as current_time

FIRST_NAMES = ("Jeanne", "Lucía", "Jonas", "Amira", "Tomás", "Elif", "Noah", "Chiara", "Pieter", "Ana")
LAST_NAMES = ("Martin", "García", "Huber", "Haddad", "Ferreira", "Yilmaz", "Dubois", "Rossi", "de Vries", "Novak")
# How far each demo request gets, and with what weight.
STAGES = (("received", 3), ("routed", 6), ("approved", 3), ("answered", 5), ("rejected", 1))


@click.command("demo-data")
@click.option("--count", default=48, show_default=True, help="How many requests to file.")
@click.option("--seed", default=7, show_default=True, help="Random seed (the same seed, the same data).")
@with_appcontext
def demo_data_command(count: int, seed: int) -> None:
    """File demo requests across the register's controllers, in every state."""
    if db.session.scalar(select(func.count()).select_from(Request)):
        click.echo("demo data: the database already holds requests; nothing added")
        return
    rng = random.Random(seed)
    people = [{"email": f"subject{n}@example.org", "name": _name(n), "phone": f"+33 6 00 00 {n:04d}"}
              for n in range(count)]
    stores = _demo_stores(people)
    controllers = list(db.session.scalars(select(Controller).order_by(Controller.id)))
    intake = Principal(Role.BOT, None, "demo-data")
    stages = [name for name, weight in STAGES for _ in range(weight)]
    today = current_time()
    for n in range(count):
        controller = rng.choice(controllers)
        name = people[n]["name"]
        received = today - timedelta(days=rng.randint(0, 50), hours=rng.randint(0, 23))
        stage = rng.choice(stages)
        rights = rng.sample(RIGHT_NAMES[:6], k=rng.choice((1, 1, 2)))
        (request,) = create_request(NewRequest(
            rights=rights, controller_id=controller.id, received_at=received, channel=rng.choice(("email", "form", "api")),
            identities=[("email", f"subject{n}@example.org"), ("name", name)], language=controller.language,
            corrections={"address": "12 rue des Lilas"} if "rectification" in rights else None,
            identity_verified=stage != "received", details="Demo request."), intake, now=received)
        decider = Principal(Role.BOT, controller.id, "demo-controller")
        operator = Principal(Role.BOT, None, "demo-operator")
        at = received + timedelta(days=rng.randint(1, 3))
        if stage in ("approved", "answered") and at < today:
            # Approval runs the tasks (in this process, without Redis) against the demo stores.
            perform(request.reference, "approve", decider, {"instruction": "fulfil as asked"}, now=at)
            queue.wait_idle(current_app._get_current_object(), 60)
            if stage == "answered" and at + timedelta(days=2) < today:
                db.session.refresh(request)
                if request.status != "fulfilled":  # staff finished by hand what the tasks could not
                    perform(request.reference, "complete", operator, {"summary": "finished by hand"},
                            now=at + timedelta(days=1, hours=1))
                perform(request.reference, "answer", decider, now=at + timedelta(days=2, hours=1))
        elif stage == "rejected" and at < today:
            perform(request.reference, "reject", decider,
                    {"grounds": "excessive", "reason": "The same request for the fourth time this month."}, now=at)
    click.echo(f"demo data: {count} requests filed across {len(controllers)} controllers")
    if stores:
        click.echo(f"demo data: the register's SQL stores hold the demo people: {stores}")


def _name(n: int) -> str:
    """Distinct names for the first hundred people (a shared name would match two people)."""
    return f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]}"


def _demo_stores(people: list[dict]) -> str:
    """Fill the demo register's SQL stores (`make demo` points the register at them)
    when their environment names SQLite files that do not exist yet."""
    import os

    from dsar import demo_stores

    wanted = demo_stores.urls(current_app.instance_path)
    if any(os.environ.get(name) != url for name, url in wanted.items()):
        return ""
    if all(Path(url.removeprefix("sqlite:///")).exists() for url in wanted.values()):
        return ""
    demo_stores.build(current_app.instance_path, people)
    return ", ".join(wanted.values())
