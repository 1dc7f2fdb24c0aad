"""The SQL connector: one person's rows in any database SQLAlchemy reaches.

Settings (a system's `connector.settings` in the register):

    url: {env: SHOP_DB_URL}        # or a URL without a password: sqlite:///data/shop.db
    schema: crm                    # optional: the database's default schema otherwise
    tables:
      - name: users
        identity_columns: {email: email, phone: phone, name: full_name, customer_id: account_id}
        erase: delete_row          # or null | mask | hash (of the identity columns), or {column: strategy}
        restrict_column: processing_restricted   # optional boolean flag, also used by suppress
        suppress_column: marketing_opt_out       # optional
        children: [{name: invoices, erase: {billing_address: mask}}]   # optional; true (default), false

A row matches when any identity the table has a column for matches: email regardless of
case, phone by its digits, the others exactly. Tables holding a foreign key to a named
table are its children (and theirs, a few levels down): their rows belong to the subject
too and are found, exported and erased with the parent's rows. A deleted parent's
children are deleted first (never relying on ON DELETE CASCADE) unless `children` gives
them their own strategy, which keeps them anonymised and detached; children of a row that
is anonymised rather than deleted are kept, and the result says so.

Safety: table and column names from the register are looked up in the database's
reflected schema and used only as SQLAlchemy `Table`/`Column` objects; values travel as
bound parameters. Every write of one action runs in one transaction (one statement per
table and strategy), so a failure leaves the store as it was.

Speed: one Engine per URL and one reflected plan per (URL, schema, tables) are kept for
the life of the process (`forget` drops them, e.g. after a migration).
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import ipaddress
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from dsar.connectors import register
from dsar.connectors.base import (ActionResult, Connector, ConnectorError, EnvRef, NotConfigured, RetryLater,
                                  Subject, resolve)

IDENTITY_KINDS = ("email", "phone", "name", "customer_id", "ip_address")
ROW_STRATEGIES = ("delete_row", "null", "mask", "hash")
COLUMN_STRATEGIES = ("null", "mask", "hash")
MASK = "[erased]"
# Children of children are followed this deep (orders -> order_lines -> …).
MAX_DEPTH = 4
# Values per IN list: keeps every driver under its bound-parameter limit.
CHUNK = 900
# A phone number with fewer digits than this would match too many unrelated rows.
MIN_PHONE_DIGITS = 6
# Punctuation people put in phone numbers; stripped on both sides before comparing.
PHONE_PUNCTUATION = (" ", "-", ".", "(", ")", "+", "/")
# The correction key that carries the subject's own words, not a field to set.
FREE_TEXT_KEY = "requested"


# -- settings ---------------------------------------------------------------------------

class DatabaseUrl(fields.Field):
    """`{env: VAR}`, or a plain URL without a password (e.g. `sqlite:///path/to.db`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            return EnvRef()._deserialize(value, attr, data, **kwargs)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a database URL or an environment reference: {env: VARIABLE_NAME}")
        try:
            url = sa.make_url(value.strip())
        except sa.exc.ArgumentError:
            raise ValidationError("not a database URL (e.g. postgresql+psycopg://user@host/db, "
                                  "sqlite:///path/to.db)") from None
        if url.password:
            raise ValidationError("a URL holding a password must be an environment reference: {env: VARIABLE_NAME}")
        return value.strip()


class EraseStrategy(fields.Field):
    """One strategy for the row (`delete_row`, or `null`/`mask`/`hash` of the identity
    columns), or `{column: null|mask|hash}`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            if value not in ROW_STRATEGIES:
                raise ValidationError(f"must be one of {', '.join(ROW_STRATEGIES)} or {{column: strategy}}")
            return value
        if isinstance(value, dict) and value:
            for column, strategy in value.items():
                if not isinstance(column, str) or not column.strip():
                    raise ValidationError("column names must be non-empty strings")
                if strategy not in COLUMN_STRATEGIES:
                    raise ValidationError(f"{column}: must be one of {', '.join(COLUMN_STRATEGIES)} "
                                          "(delete_row applies to the whole row: give it as the only strategy)")
            return dict(value)
        raise ValidationError(f"must be one of {', '.join(ROW_STRATEGIES)} or {{column: strategy}}")


class ChildSettings(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1))
    erase = EraseStrategy(required=True)

    @validates_schema
    def _row_or_columns(self, data, **kwargs):
        # A child has no identity columns, so only the whole row or named columns make sense.
        if data.get("erase") in ("null", "mask", "hash"):
            raise ValidationError("a child table takes delete_row or {column: strategy}", "erase")


class Children(fields.Field):
    """`true` (default: follow every foreign key to the table), `false`, or a list of
    `{name, erase}` giving some children their own strategy (the others still follow)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return {"follow": value, "erase": {}}
        if isinstance(value, list):
            loaded = ChildSettings(many=True).load(value)
            return {"follow": True, "erase": {child["name"]: child["erase"] for child in loaded}}
        raise ValidationError("must be true, false or a list of {name, erase}")


class TableSettings(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1))
    identity_columns = fields.Dict(keys=fields.Str(validate=validate.OneOf(IDENTITY_KINDS)),
                                   values=fields.Str(validate=validate.Length(min=1)),
                                   required=True, validate=validate.Length(min=1))
    erase = EraseStrategy(load_default=None)
    restrict_column = fields.Str(load_default=None)
    suppress_column = fields.Str(load_default=None)
    children = Children(load_default=lambda: {"follow": True, "erase": {}})


class SqlSettings(Schema):
    url = DatabaseUrl(required=True)
    schema = fields.Str(load_default=None)
    tables = fields.List(fields.Nested(TableSettings), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _distinct_tables(self, data, **kwargs):
        names = [table["name"] for table in data.get("tables", ())]
        if len(names) != len(set(names)):
            raise ValidationError("each table may be named once", "tables")


# -- engines and reflected plans, shared by every task of the process ---------------------

_lock = threading.Lock()
_engines: dict[str, sa.Engine] = {}
_plans: dict[tuple, Plan] = {}


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked; enforcing them makes it refuse, like any
    # other database, a delete that would leave children pointing at nothing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_engine(url_text: str) -> sa.Engine:
    try:
        url = sa.make_url(url_text)
    except sa.exc.ArgumentError:
        raise NotConfigured("setting 'url' is not a database URL") from None
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver dsar ships with
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "postgresql":
        options.update(pool_recycle=1800, connect_args={"connect_timeout": 10})
    try:
        engine = sa.create_engine(url, **options)
    except (sa.exc.NoSuchModuleError, ImportError):
        raise NotConfigured(f"no database driver installed for {url.drivername!r}") from None
    if url.get_backend_name() == "sqlite":
        sa.event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def _engine(url: str) -> sa.Engine:
    engine = _engines.get(url)
    if engine is None:
        with _lock:
            engine = _engines.get(url)
            if engine is None:
                engine = _engines[url] = _create_engine(url)
    return engine


def forget(url: str | None = None) -> None:
    """Drop the cached engine (closing its connections) and plans of `url`, or of all."""
    with _lock:
        for key in [key for key in _plans if url is None or key[0] == url]:
            del _plans[key]
        for key in [key for key in _engines if url is None or key == url]:
            _engines.pop(key).dispose()


@dataclass
class Node:
    """A table to search: a register table (`link` None) or a child reached by foreign key."""

    table: sa.Table
    config: dict                                  # the register table this node belongs to
    identity: dict[str, sa.Column] = field(default_factory=dict)
    link: tuple[list[sa.Column], list[str]] | None = None   # (own columns, parent's columns)
    children: list[Node] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key(self) -> list[sa.Column]:
        return list(self.table.primary_key.columns)


@dataclass
class Plan:
    nodes: list[Node]
    referencing: dict[str, set[str]]   # table -> tables with a foreign key to it
    notes: list[str]


def _plan(engine: sa.Engine, schema: str | None, tables: list[dict], url: str) -> Plan:
    key = (url, schema, json.dumps(tables, sort_keys=True, default=str))
    plan = _plans.get(key)
    if plan is None:
        with _lock:
            plan = _plans.get(key)
        if plan is None:
            plan = _reflect(engine, schema, tables)
            with _lock:
                _plans[key] = plan
    return plan


def _reflect(engine: sa.Engine, schema: str | None, tables: list[dict]) -> Plan:
    """Check the register against the database and reflect the tables it needs, once.

    (SQLite's dialect warns that it skips expression indexes such as lower(email): the
    index note may then say a search scans the table when it does not.)"""
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        existing = set(inspector.get_table_names(schema=schema))
        for config in tables:
            if config["name"] not in existing:
                raise ConnectorError(f"table {config['name']!r} is not in the database")
        # Read once even when no child is followed: the order of deletes needs the links too.
        referencing: dict[str, list[tuple[str, list[str], list[str]]]] = {}
        for (_schema, child), keys in inspector.get_multi_foreign_keys(schema=schema).items():
            for fk in keys:
                if fk.get("referred_schema") not in (None, schema) or not fk["constrained_columns"]:
                    continue
                referencing.setdefault(fk["referred_table"], []).append(
                    (child, fk["constrained_columns"], fk["referred_columns"]))

        needed = {config["name"] for config in tables}

        def children_of(name: str, path: frozenset, depth: int) -> list[tuple]:
            if depth >= MAX_DEPTH:
                return []
            found = []
            for child, own, theirs in referencing.get(name, ()):
                if child in path:   # a table pointing at itself or a cycle: not a child
                    continue
                needed.add(child)
                found.append((child, own, theirs, children_of(child, path | {child}, depth + 1)))
            return found

        shapes = [children_of(config["name"], frozenset({config["name"]}), 0)
                  if config["children"]["follow"] else [] for config in tables]
        metadata = sa.MetaData()
        metadata.reflect(bind=conn, schema=schema, only=sorted(needed), resolve_fks=False)

    def table(name: str) -> sa.Table:
        return metadata.tables[f"{schema}.{name}" if schema else name]

    def column(tbl: sa.Table, name: str | None, what: str) -> sa.Column | None:
        if name is None:
            return None
        col = tbl.c.get(name)
        if col is None:
            raise ConnectorError(f"column {tbl.name}.{name} ({what}) is not in the database; "
                                 f"{tbl.name} has {', '.join(tbl.c.keys())}")
        return col

    def build(shape: tuple, config: dict) -> Node:
        child, own, theirs, grandchildren = shape
        tbl = table(child)
        return Node(tbl, config, link=([tbl.c[name] for name in own], list(theirs)),
                    children=[build(g, config) for g in grandchildren])

    nodes, notes = [], []
    for config, shape in zip(tables, shapes):
        tbl = table(config["name"])
        identity = {kind: column(tbl, name, f"identity {kind}") for kind, name in config["identity_columns"].items()}
        column(tbl, config["restrict_column"], "restrict_column")
        column(tbl, config["suppress_column"], "suppress_column")
        if isinstance(config["erase"], dict):
            for name in config["erase"]:
                column(tbl, name, "erase")
        node = Node(tbl, config, identity=identity, children=[build(s, config) for s in shape])
        descendants = {n.name: n for n in _walk(node.children)}
        for name, strategy in config["children"]["erase"].items():
            if name not in descendants:
                raise ConnectorError(f"table {name!r} is not a child of {tbl.name} (no foreign key leads to it)")
            if isinstance(strategy, dict):
                for col in strategy:
                    column(descendants[name].table, col, "erase")
        nodes.append(node)
        for kind, col in identity.items():
            notes.extend(_index_note(tbl, kind, col))
        for child in _walk(node.children):
            if not _indexed(child.table, child.link[0][0]):
                notes.append(f"{child.name}.{child.link[0][0].name} has no index: "
                             f"finding {child.name} rows scans the table")
    graph: dict[str, set[str]] = {}
    for parent, links in referencing.items():
        graph.setdefault(parent, set()).update(child for child, _own, _theirs in links if child != parent)
    return Plan(nodes, graph, list(dict.fromkeys(notes)))


def _walk(nodes: list[Node]):
    for node in nodes:
        yield node
        yield from _walk(node.children)


def _indexed(table: sa.Table, col: sa.Column) -> bool:
    """Whether an index (primary key, unique constraint or index) starts with `col`."""
    leading = []
    if table.primary_key.columns:
        leading.append(list(table.primary_key.columns)[0])
    leading += [list(index.columns)[0] for index in table.indexes if index.columns]
    leading += [list(c.columns)[0] for c in table.constraints if isinstance(c, sa.UniqueConstraint) and c.columns]
    return any(c.name == col.name for c in leading)


def _lower_indexed(table: sa.Table, col: sa.Column) -> bool:
    """Whether an index on lower(col) serves the case-insensitive email search."""
    pattern = re.compile(rf"^\s*lower\(\W*{re.escape(col.name)}\b", re.I)
    return any(pattern.search(str(expr)) for index in table.indexes
               for expr in list(getattr(index, "expressions", ()))[:1])


def _index_note(table: sa.Table, kind: str, col: sa.Column) -> list[str]:
    """What the report should say when the search by `kind` has to read the whole table."""
    where = f"{table.name}.{col.name}"
    if kind == "email" and _is_text(col):
        if _lower_indexed(table, col):
            return []
        if _indexed(table, col):
            return [f"{where} is indexed, but the case-insensitive search compares lower({col.name}), which that "
                    f"index does not serve: the search scans the table (an index on lower({col.name}) would)"]
    elif kind == "phone" and _is_text(col):
        return [f"{where} is compared by its digits only, which no index serves: the search scans the table"]
    if not _indexed(table, col):
        return [f"{where} has no index: the search scans the table"]
    return []


def _unique(table: sa.Table, col: sa.Column) -> bool:
    groups = [table.primary_key.columns]
    groups += [index.columns for index in table.indexes if index.unique]
    groups += [c.columns for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    return any(col.name in group.keys() for group in groups if len(group))


def _is_text(col: sa.Column) -> bool:
    return isinstance(col.type, sa.String) and not isinstance(col.type, sa.Enum)


# -- matching ---------------------------------------------------------------------------

def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _typed_values(col: sa.Column, values: list[str]) -> list[Any]:
    """The subject's values as the column's type; values that cannot be one match nothing."""
    if _is_text(col):
        return list(values)
    try:
        python_type = col.type.python_type
    except NotImplementedError:
        python_type = None
    if isinstance(col.type, sa.types.NullType):   # a type SQLAlchemy does not know: let the database compare
        return list(values)
    out: list[Any] = []
    for value in values:
        try:
            if python_type is int:
                out.append(int(value.strip()))
            elif python_type in (float, decimal.Decimal):
                out.append(decimal.Decimal(value.strip()))
            elif python_type is uuid.UUID:
                out.append(uuid.UUID(value.strip()))
            elif python_type is str:
                out.append(value)
            elif python_type is bool:
                out.append({"true": True, "1": True, "yes": True, "false": False, "0": False,
                            "no": False}[value.strip().lower()])
            elif python_type is dt.datetime:
                out.append(dt.datetime.fromisoformat(value.strip()))
            elif python_type is dt.date:
                out.append(dt.date.fromisoformat(value.strip()))
            elif "INET" in type(col.type).__name__.upper() or "CIDR" in type(col.type).__name__.upper():
                ipaddress.ip_interface(value.strip())
                out.append(sa.cast(sa.literal(value.strip(), sa.String), col.type))
            else:
                out.append(sa.cast(sa.literal(value, sa.String), col.type))
        except (ValueError, ArithmeticError, KeyError):
            continue
    return out


def _phone_digits(col: sa.Column) -> sa.ColumnElement:
    expr: sa.ColumnElement = col
    for mark in PHONE_PUNCTUATION:
        expr = sa.func.replace(expr, mark, "")
    return expr


def _matcher(node: Node, identities: dict[str, list[str]]) -> sa.ColumnElement | None:
    """The condition for the subject's rows: any identity the table has a column for."""
    clauses = []
    for kind, col in node.identity.items():
        values = [str(v).strip() for v in identities.get(kind, ()) if v is not None and str(v).strip()]
        if not values:
            continue
        if kind == "email" and _is_text(col):
            clauses.append(sa.func.lower(col).in_(sorted({v.lower() for v in values})))
        elif kind == "phone" and _is_text(col):
            digits = sorted({_digits(v) for v in values if len(_digits(v)) >= MIN_PHONE_DIGITS})
            if digits:
                clauses.append(_phone_digits(col).in_(digits))
        else:
            typed = _typed_values(col, values)
            if typed:
                clauses.append(col.in_(typed))
    return sa.or_(*clauses) if clauses else None


def _in(cols: list[sa.Column], keys: list[tuple]) -> sa.ColumnElement:
    if len(cols) == 1:
        return cols[0].in_([key[0] for key in keys])
    return sa.tuple_(*cols).in_(keys)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class Hit:
    """The rows one node matched, and what its children matched from them."""

    node: Node
    rows: list[dict]
    where: sa.ColumnElement
    children: list[Hit] = field(default_factory=list)


def _find(conn: sa.Connection, plan: Plan, identities: dict[str, list[str]], lock: bool = False,
          children: bool = True) -> list[Hit]:
    """The subject's rows in each register table and, with `children`, their children's rows."""
    hits = []
    for node in plan.nodes:
        where = _matcher(node, identities)
        if where is not None:
            hit = _select(conn, node, where, lock, children)
            if hit:
                hits.append(hit)
    return hits


def _select(conn: sa.Connection, node: Node, where: sa.ColumnElement, lock: bool,
            children: bool = True) -> Hit | None:
    query = sa.select(node.table).where(where)
    if lock and node.key:
        query = query.with_for_update()
    rows = [dict(row) for row in conn.execute(query).mappings()]
    if not rows:
        return None
    hit = Hit(node, rows, where)
    for child in node.children if children else ():
        own, theirs = child.link
        parents = sorted({tuple(row[name] for name in theirs) for row in rows}
                         - {tuple(None for _ in theirs)}, key=repr)
        parents = [values for values in parents if None not in values]
        for batch in _chunks(parents):
            found = _select(conn, child, _in(own, batch), lock)
            if found:
                hit.children.append(found)
    return hit


def _flatten(hits: list[Hit]):
    for hit in hits:
        yield hit
        yield from _flatten(hit.children)


def _row_key(node: Node, row: dict) -> tuple:
    if node.key:
        return tuple(row[col.name] for col in node.key)
    return ("#" + hashlib.sha256(json.dumps(_jsonable(row), sort_keys=True).encode()).hexdigest()[:16],)


def _row_id(key: tuple) -> str:
    return "/".join(str(part) for part in key)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)   # Decimal, UUID, timedelta, IP addresses, enums…


def _sha256(value: Any) -> str:
    return hashlib.sha256(str(value).encode("utf-8")).hexdigest()


# -- the connector ----------------------------------------------------------------------

@register
class SqlConnector(Connector):
    """Tables of one database, reached through SQLAlchemy."""

    type = "sql"
    Settings = SqlSettings
    capabilities = frozenset({"access", "export", "erase", "rectify", "restrict", "suppress", "discover"})

    # -- plumbing
    def _url(self) -> str:
        url = resolve(self.settings["url"], "url")
        try:
            sa.make_url(url)
        except sa.exc.ArgumentError:
            raise NotConfigured("setting 'url' is not a database URL") from None
        return url

    def _plan(self) -> tuple[str, sa.Engine, Plan]:
        url = self._url()
        engine = _engine(url)
        return url, engine, self._guard("reflect", url, lambda: _plan(engine, self.settings.get("schema"),
                                                                      self.settings["tables"], url))

    def _guard(self, action: str, url: str, work):
        """Run `work`, turning the database's errors into the connector's, secret-free."""
        try:
            return work()
        except (ConnectorError, RetryLater):
            raise
        except sa.exc.TimeoutError:
            raise RetryLater(f"sql {self.system_id}: no free database connection for {action}") from None
        except sa.exc.DBAPIError as exc:
            with _lock:   # the schema may have changed: reflect again next time
                for key in [key for key in _plans if key[0] == url]:
                    del _plans[key]
            message = str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0][:300]
            transient = (exc.connection_invalidated or isinstance(exc, (sa.exc.OperationalError,
                                                                        sa.exc.InterfaceError)))
            if transient and not re.search(r"no such|does not exist|syntax|authentication|permission", message, re.I):
                raise RetryLater(f"sql {self.system_id}: the database is unavailable for {action}: {message}") from None
            raise ConnectorError(f"sql {self.system_id}: the database refused the {action}: {message}") from None
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"sql {self.system_id}: {action} failed: {type(exc).__name__}") from None

    def _read(self, action: str, work) -> Any:
        url, engine, plan = self._plan()

        def run():
            # Reading needs no transaction: autocommit saves the BEGIN/ROLLBACK round trips.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                return work(conn, plan)
        return self._guard(action, url, run)

    def _write(self, action: str, work) -> Any:
        url, engine, plan = self._plan()

        def run():
            with engine.begin() as conn:   # one transaction: all of it, or nothing
                return work(conn, plan)
        return self._guard(action, url, run)

    # -- actions
    def discover(self, identities: dict[str, list[str]]) -> bool:
        def work(conn, plan):
            for node in plan.nodes:
                where = _matcher(node, identities)
                if where is not None and conn.execute(
                        sa.select(sa.literal(1)).select_from(node.table).where(where).limit(1)).first():
                    return True
            return False
        return self._read("discover", work)

    def access(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=False)

    def export(self, subject: Subject) -> ActionResult:
        return self._collect(subject, with_data=True)

    def _collect(self, subject: Subject, with_data: bool) -> ActionResult:
        def work(conn, plan):
            result = ActionResult(notes=list(plan.notes))
            seen = set()
            for hit in _flatten(_find(conn, plan, subject.identities)):
                for row in hit.rows:
                    key = (hit.node.name, _row_key(hit.node, row))
                    if key in seen:
                        continue
                    seen.add(key)
                    if with_data:
                        result.add(f"{hit.node.name} row", _row_id(key[1]), "exported", data=_jsonable(row))
                    else:
                        result.add(f"{hit.node.name} row", _row_id(key[1]), "found")
            return result
        return self._read("export" if with_data else "access", work)

    def erase(self, subject: Subject) -> ActionResult:
        return self._write("erase", lambda conn, plan: _Eraser(conn, plan).run(subject))

    def rectify(self, subject: Subject) -> ActionResult:
        corrections = dict(subject.corrections or {})
        free_text = corrections.pop(FREE_TEXT_KEY, None)
        if not corrections:
            reason = ("the correction is free text, which cannot be applied automatically: a person must "
                      "read it and change the rows" if free_text else "the request names no field to correct")
            return ActionResult.not_supported(reason)

        def work(conn, plan):
            result = ActionResult(notes=list(plan.notes))
            used: set[str] = set()
            hits = _find(conn, plan, subject.identities, lock=True, children=False)
            for hit in hits:
                table = hit.node.table
                values: dict[str, Any] = {}
                for key, value in corrections.items():
                    col = hit.node.identity.get(key) if key in IDENTITY_KINDS else table.c.get(key)
                    if col is None:
                        continue
                    used.add(key)
                    if col.primary_key or col.name in (hit.node.config["restrict_column"],
                                                       hit.node.config["suppress_column"]):
                        result.notes.append(f"{table.name}.{col.name} is not changed by a correction")
                        continue
                    typed = _typed_values(col, [str(value)]) if value is not None else [None]
                    if not typed:
                        result.notes.append(f"{key}: the value does not fit {table.name}.{col.name}")
                        continue
                    values[col.name] = typed[0]
                if values:
                    _update(conn, hit.node, hit.rows, hit.where, values)
                    for row in hit.rows:
                        result.add(f"{table.name} row", _row_id(_row_key(hit.node, row)), "rectified",
                                   ", ".join(sorted(values)))
            unknown = [key for key in corrections if key not in used]
            if unknown:
                result.notes.append(f"not applied (no such field in {', '.join(n.name for n in plan.nodes)}): "
                                    f"{', '.join(sorted(unknown))}")
            if free_text:
                result.notes.append(f"the free-text part of the correction ({FREE_TEXT_KEY}) needs a person")
            if hits and not result.records:   # rows exist, but nothing asked could be set on them
                result.outcome = "not_supported"
            return result
        return self._write("rectify", work)

    def restrict(self, subject: Subject) -> ActionResult:
        return self._flag(subject, "restricted", lambda config: config["restrict_column"])

    def suppress(self, subject: Subject) -> ActionResult:
        return self._flag(subject, "suppressed",
                          lambda config: config["suppress_column"] or config["restrict_column"])

    def _flag(self, subject: Subject, outcome: str, column_of) -> ActionResult:
        if not any(column_of(config) for config in self.settings["tables"]):
            return ActionResult.not_supported(
                f"no table of this database has a column recording that processing is {outcome} "
                "(restrict_column / suppress_column in the register)")

        def work(conn, plan):
            result = ActionResult(notes=list(plan.notes))
            for hit in _find(conn, plan, subject.identities, lock=True, children=False):
                name = column_of(hit.node.config)
                if name:
                    _update(conn, hit.node, hit.rows, hit.where, {name: _flag_value(hit.node.table.c[name])})
                for row in hit.rows:
                    ident = _row_id(_row_key(hit.node, row))
                    if name:
                        result.add(f"{hit.node.name} row", ident, outcome, f"{name} set")
                    else:
                        result.add(f"{hit.node.name} row", ident, "not_supported",
                                   f"{hit.node.name} has no column to record it in the register")
            return result
        return self._write(outcome, work)


def _flag_value(col: sa.Column) -> Any:
    """What marks a row in its flag column: true, 1, or the time it was set (`restricted_at`)."""
    if isinstance(col.type, (sa.DateTime, sa.Date)):
        return sa.func.current_timestamp()
    if isinstance(col.type, sa.Integer):
        return 1
    if _is_text(col):
        return "true"
    return True


def _rows_where(node: Node, rows: list[dict], where: sa.ColumnElement) -> list[sa.ColumnElement]:
    """Conditions addressing exactly `rows`: their primary keys, else the search itself."""
    if not node.key:
        return [where]
    keys = sorted({_row_key(node, row) for row in rows}, key=repr)
    return [_in(node.key, batch) for batch in _chunks(keys)]


def _update(conn: sa.Connection, node: Node, rows: list[dict], where: sa.ColumnElement, values: dict) -> int:
    count = 0
    for condition in _rows_where(node, rows, where):
        count += conn.execute(node.table.update().where(condition).values(values)).rowcount or 0
    return count


# -- erasure ----------------------------------------------------------------------------

STRATEGY_WORDS = {"null": "set to NULL", "mask": "masked", "hash": "hashed", "detach": "detached"}


class _Eraser:
    """Decides what happens to each row found, then writes it: updates, then deletes
    children before parents, all inside the caller's transaction."""

    def __init__(self, conn: sa.Connection, plan: Plan):
        self.conn, self.plan = conn, plan
        self.deletes: dict[str, dict] = {}    # table -> {key: (node, row)}
        self.updates: dict[str, dict] = {}    # table -> {key: (node, row, {column: strategy})}
        self.whole: list[tuple] = []          # rows of tables without primary key: (node, where, action, rows)
        self.unconfigured: list[tuple] = []   # (node, row)
        self.kept: dict[str, int] = {}

    def run(self, subject: Subject) -> ActionResult:
        for hit in _find(self.conn, self.plan, subject.identities, lock=True):
            self._decide(hit, parent_action=None)
        result = ActionResult(notes=list(self.plan.notes))
        done: dict[tuple, str] = {}
        for table_name, rows in self.updates.items():
            self._write_updates(table_name, {k: v for k, v in rows.items()
                                             if k not in self.deletes.get(table_name, {})}, done)
        for node, where, action, rows in self.whole:
            if action == "delete":
                continue
            self._write_updates_where(node, where, action, rows, done)
        for table_name in self._delete_order():
            rows = self.deletes.get(table_name, {})
            if rows:
                node = next(iter(rows.values()))[0]
                for condition in [_in(node.key, batch) for batch in _chunks(sorted(rows, key=repr))]:
                    self.conn.execute(node.table.delete().where(condition))
                for key in rows:
                    done[(table_name, key)] = "row deleted"
            for node, where, action, found in self.whole:
                if action == "delete" and node.name == table_name:
                    self.conn.execute(node.table.delete().where(where))
                    for row in found:
                        done[(table_name, _row_key(node, row))] = "row deleted"
        for (table_name, key), detail in done.items():
            result.add(f"{table_name} row", _row_id(key), "erased", detail)
        for node, row in self.unconfigured:
            if (node.name, _row_key(node, row)) not in done:
                result.add(f"{node.name} row", _row_id(_row_key(node, row)), "not_supported",
                           f"no erase strategy for {node.name} in the register")
        for table_name, count in self.kept.items():
            result.notes.append(f"{count} {table_name} row(s) of the subject kept: the row they belong to "
                                f"was not deleted, and {table_name} has no erase strategy of its own")
        return result

    def _decide(self, hit: Hit, parent_action) -> None:
        node = hit.node
        if node.link is None:
            erase = node.config["erase"]
            if erase is None:
                action = None
            elif erase == "delete_row":
                action = "delete"
            elif isinstance(erase, str):
                # A primary key stays: rows elsewhere may point at it, and it says nothing alone.
                action = {col.name: erase for col in node.identity.values() if not col.primary_key}
            else:
                action = dict(erase)
        else:
            own = node.config["children"]["erase"].get(node.name)
            if own == "delete_row":
                action = "delete"
            elif isinstance(own, dict):
                action = dict(own)
                if parent_action == "delete":   # the row stays; its link to the deleted parent goes
                    action.update({col.name: "detach" for col in node.link[0]})
            else:
                action = "delete" if parent_action == "delete" else "keep"
        if isinstance(action, dict):
            action = _effective(node.table, action) or None   # nothing left to change: say so
        for row in hit.rows:
            if action is None:
                self.unconfigured.append((node, row))
            elif action == "keep":
                self.kept[node.name] = self.kept.get(node.name, 0) + 1
            elif not node.key:
                pass
            elif action == "delete":
                self.deletes.setdefault(node.name, {})[_row_key(node, row)] = (node, row)
            else:
                entry = self.updates.setdefault(node.name, {}).setdefault(_row_key(node, row), (node, row, {}))
                entry[2].update(action)
        if action not in (None, "keep") and not node.key:
            self.whole.append((node, hit.where, action, hit.rows))
        for child in hit.children:
            self._decide(child, action)

    def _values(self, node: Node, action: dict, rows: list[dict]) -> dict:
        """The SET clause for `rows`, all under the same {column: strategy}."""
        table, values = node.table, {}
        for name, strategy in action.items():
            col = table.c[name]
            if strategy in ("null", "detach"):
                if not col.nullable:
                    if strategy == "detach":
                        raise ConnectorError(
                            f"{table.name}.{name} cannot be NULL, so {table.name} rows cannot outlive the row "
                            f"they point to: give {table.name} erase: delete_row in the register")
                    raise ConnectorError(f"{table.name}.{name} cannot be NULL, which is how the null strategy "
                                         "(and mask or hash of a column without text) erases it: choose another "
                                         "strategy in the register")
                values[name] = None
            elif strategy == "mask":
                values[name] = self._mask(node, col)
            else:
                length = getattr(col.type, "length", None)
                width = 64 if not length else min(64, length)
                hashes = {row[name]: _sha256(row[name])[:width] for row in rows if row[name] is not None}
                if hashes:
                    values[name] = sa.case(hashes, value=col, else_=col)
        return values

    @staticmethod
    def _mask(node: Node, col: sa.Column) -> Any:
        length = getattr(col.type, "length", None)
        if _unique(node.table, col) and node.key:
            # Every masked row must stay distinct: the mask carries the row's key, nothing personal.
            expr = sa.literal("[erased ", sa.String)
            for i, key_col in enumerate(node.key):
                if i:
                    expr = expr + sa.literal("/", sa.String)
                expr = expr + sa.cast(key_col, sa.String)
            return expr + sa.literal("]", sa.String)
        return MASK[:length] if length else MASK

    def _write_updates(self, table_name: str, rows: dict, done: dict) -> None:
        groups: dict[tuple, list] = {}
        for key, (node, row, action) in rows.items():
            groups.setdefault(tuple(sorted(action.items())), []).append((key, node, row))
        for action_items, members in groups.items():
            node = members[0][1]
            action = dict(action_items)
            found = [row for _key, _node, row in members]
            values = self._values(node, action, found)
            if values:
                keys = [key for key, _node, _row in members]
                for batch in _chunks(keys):
                    self.conn.execute(node.table.update().where(_in(node.key, batch)).values(values))
            for key, _node, _row in members:
                done[(table_name, key)] = _describe(action)

    def _write_updates_where(self, node: Node, where, action: dict, rows: list[dict], done: dict) -> None:
        values = self._values(node, action, rows)
        if values:
            self.conn.execute(node.table.update().where(where).values(values))
        for row in rows:
            done[(node.name, _row_key(node, row))] = _describe(action)

    def _delete_order(self) -> list[str]:
        """Tables with rows to delete, each after every table that points at it."""
        remaining = set(self.deletes) | {node.name for node, _w, action, _r in self.whole if action == "delete"}
        order = []
        while remaining:
            ready = sorted(t for t in remaining if not (self.plan.referencing.get(t, set()) & (remaining - {t})))
            if not ready:   # a cycle: let the database say whether it accepts this order
                ready = sorted(remaining)
            order += ready
            remaining -= set(ready)
        return order


def _effective(table: sa.Table, action: dict) -> dict:
    """The strategies as they will act: a column that holds no text cannot carry a mask
    or a hash, so it is set to NULL instead."""
    return {name: ("null" if strategy in ("mask", "hash") and not _is_text(table.c[name]) else strategy)
            for name, strategy in action.items()}


def _describe(action: dict) -> str:
    by_word: dict[str, list[str]] = {}
    for column, strategy in sorted(action.items()):
        by_word.setdefault(STRATEGY_WORDS[strategy], []).append(column)
    return "; ".join(f"{', '.join(cols)} {word}" for word, cols in by_word.items())


__all__ = ["SqlConnector", "SqlSettings", "forget"]
