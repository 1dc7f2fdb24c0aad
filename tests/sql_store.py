"""A small customer database for the SQL connector's tests, on PostgreSQL or SQLite.

customers (email unique, phone, full_name without index, account_id indexed, two flags)
  <- orders (customer_id, indexed)  <- order_lines (order_id)
newsletter (email without any index), access_logs (ip_address, no primary key).
"""
from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa

metadata = sa.MetaData()

customers = sa.Table(
    "customers", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(200), nullable=False, unique=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("full_name", sa.String(200)),
    sa.Column("account_id", sa.Integer, index=True),
    sa.Column("processing_restricted", sa.Boolean, nullable=False, default=False),
    sa.Column("marketing_opt_out", sa.Boolean, nullable=False, default=False),
    sa.Column("signed_up_at", sa.DateTime),
    sa.Column("balance", sa.Numeric(10, 2)),
    sa.Column("avatar", sa.LargeBinary),
)
orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), index=True),
    sa.Column("reference", sa.String(40), nullable=False),
    sa.Column("delivery_address", sa.Text),
    sa.Column("shipped_on", sa.Date),
)
order_lines = sa.Table(
    "order_lines", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("product", sa.String(100), nullable=False),
)
newsletter = sa.Table(
    "newsletter", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("email", sa.String(200)),
    sa.Column("unsubscribed_at", sa.DateTime),
)
access_logs = sa.Table(
    "access_logs", metadata,
    sa.Column("ip_address", sa.String(45), nullable=False),
    sa.Column("path", sa.String(200), nullable=False),
)

ALICE = {"email": ["Alice@Example.com"], "phone": ["+33 6 12 34 56 78"], "name": ["Alice Martin"],
         "customer_id": ["1001"]}
BOB = {"email": ["bob@example.com"]}


def build(engine: sa.Engine) -> None:
    """(Re)create the tables and fill them: Alice (1) with two orders, Bob (2) with one, Carol (3)."""
    metadata.drop_all(engine)
    metadata.create_all(engine)
    signed_up = dt.datetime(2024, 3, 1, 9, 30)
    with engine.begin() as conn:
        conn.execute(customers.insert(), [
            {"id": 1, "email": "alice@example.com", "phone": "06.12.34.56.78 ", "full_name": "Alice Martin",
             "account_id": 1001, "signed_up_at": signed_up, "balance": decimal.Decimal("12.50"),
             "avatar": b"\x89PNG", "processing_restricted": False, "marketing_opt_out": False},
            {"id": 2, "email": "bob@example.com", "phone": "+44 20 7946 0000", "full_name": "Bob Stone",
             "account_id": 1002, "signed_up_at": signed_up, "balance": decimal.Decimal("0"),
             "avatar": None, "processing_restricted": False, "marketing_opt_out": False},
            {"id": 3, "email": "carol@example.com", "phone": None, "full_name": "Carol Ray",
             "account_id": 1003, "signed_up_at": None, "balance": None, "avatar": None,
             "processing_restricted": False, "marketing_opt_out": False},
        ])
        conn.execute(orders.insert(), [
            {"id": 10, "customer_id": 1, "reference": "A-10", "delivery_address": "1 rue de la Paix, Paris",
             "shipped_on": dt.date(2024, 4, 2)},
            {"id": 11, "customer_id": 1, "reference": "A-11", "delivery_address": "1 rue de la Paix, Paris",
             "shipped_on": None},
            {"id": 20, "customer_id": 2, "reference": "B-20", "delivery_address": "10 Downing St",
             "shipped_on": None},
        ])
        conn.execute(order_lines.insert(), [
            {"id": 100, "order_id": 10, "product": "tea"},
            {"id": 101, "order_id": 11, "product": "cups"},
            {"id": 200, "order_id": 20, "product": "biscuits"},
        ])
        conn.execute(newsletter.insert(), [{"id": 1, "email": "ALICE@example.com"}, {"id": 2, "email": "bob@example.com"}])
        conn.execute(access_logs.insert(), [
            {"ip_address": "192.0.2.7", "path": "/login"}, {"ip_address": "192.0.2.7", "path": "/home"},
            {"ip_address": "198.51.100.9", "path": "/login"},
        ])


def rows(engine: sa.Engine, table: sa.Table) -> dict:
    """The table's rows by primary key (or, without one, as a sorted list)."""
    with engine.connect() as conn:
        found = [dict(row) for row in conn.execute(sa.select(table)).mappings()]
    if not table.primary_key.columns:
        return sorted(found, key=repr)
    return {row["id"]: row for row in found}
