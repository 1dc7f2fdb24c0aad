"""The demo register's own databases, as SQLite files: Septeo's product database and its
OVHcloud monitoring database (config/examples/septeo.yaml, systems `product-db` and
`ovh-monitoring-db`), so that approving a demo request runs real SQL tasks.

`build(folder, people)` (re)creates both with one user row and one monitored machine per
person; `dsar demo-data` calls it with the demo's people and `make demo` points
SEPTEO_PRODUCT_DB_URL and SEPTEO_MONITORING_DB_URL at the files (`urls`).
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("full_name", sa.String(200)),
    sa.Column("account_id", sa.String(40), index=True),
    sa.Column("processing_restricted", sa.Boolean, nullable=False, default=False),
)
sa.Index("ix_users_email_lower", sa.func.lower(users.c.email))
monitored_machines = sa.Table(
    "monitored_machines", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_email", sa.String(254), nullable=False),
    sa.Column("user_name", sa.String(200)),
    sa.Column("ip_address", sa.String(45), index=True),
    sa.Column("hostname", sa.String(200)),
)
sa.Index("ix_machines_email_lower", sa.func.lower(monitored_machines.c.user_email))

PRODUCT, MONITORING = "demo-product.sqlite3", "demo-monitoring.sqlite3"


def urls(folder: str | Path) -> dict[str, str]:
    """The environment the demo register's SQL systems read their database URL from."""
    folder = Path(folder).resolve()
    return {"SEPTEO_PRODUCT_DB_URL": f"sqlite:///{folder / PRODUCT}",
            "SEPTEO_MONITORING_DB_URL": f"sqlite:///{folder / MONITORING}"}


def build(folder: str | Path, people: list[dict]) -> dict[str, str]:
    """(Re)create both stores holding `people` ({email, name, phone?, account_id?}); their URLs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    found = urls(folder)
    product = sa.create_engine(found["SEPTEO_PRODUCT_DB_URL"])
    monitoring = sa.create_engine(found["SEPTEO_MONITORING_DB_URL"])
    try:
        for engine, table in ((product, users), (monitoring, monitored_machines)):
            table.drop(engine, checkfirst=True)
            table.create(engine)
        with product.begin() as conn:
            conn.execute(users.insert(), [
                {"email": p["email"], "phone": p.get("phone"), "full_name": p["name"],
                 "account_id": p.get("account_id"), "processing_restricted": False} for p in people])
        with monitoring.begin() as conn:
            conn.execute(monitored_machines.insert(), [
                {"user_email": p["email"], "user_name": p["name"], "ip_address": f"192.0.2.{n % 250 + 1}",
                 "hostname": f"cabinet-pc-{n:03d}"} for n, p in enumerate(people)])
    finally:
        product.dispose()
        monitoring.dispose()
    return found
