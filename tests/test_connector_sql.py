"""The SQL connector against real databases: PostgreSQL and SQLite, the same tests on both.

Each test builds the small store of `tests/sql_store.py`, runs the connector, then reads
the store itself to check what really happened to the rows.
"""
from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from dsar.connectors import connector_class, sql
from dsar.connectors.base import ConnectorError, NotConfigured, RetryLater, Subject, ValidationError
from tests import sql_store
from tests.sql_store import ALICE, BOB, access_logs, customers, newsletter, order_lines, orders

POSTGRES = os.environ.get("DSAR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "examples"

CUSTOMERS = {"name": "customers",
             "identity_columns": {"email": "email", "phone": "phone", "name": "full_name",
                                  "customer_id": "account_id"},
             "erase": "delete_row", "restrict_column": "processing_restricted"}
NEWSLETTER = {"name": "newsletter", "identity_columns": {"email": "email"}, "erase": "delete_row"}


@pytest.fixture(scope="module")
def postgres_url():
    """A database of its own on the PostgreSQL server, dropped at the end of the module."""
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    name = f"dsar_sql_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError:
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip("no PostgreSQL server to test on")
    url = sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    yield url
    sql.forget(url)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="module")
def postgres_engine(postgres_url):
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


class Store:
    """The test's database: its URL for the connector, an engine for reading it back."""

    def __init__(self, url: str, engine: sa.Engine):
        self.url, self.engine = url, engine

    def rows(self, table: sa.Table):
        return sql_store.rows(self.engine, table)

    def connector(self, *tables: dict, **settings) -> sql.SqlConnector:
        cls = connector_class("sql")
        checked = cls.check_settings({"url": self.url, "tables": list(tables or (CUSTOMERS, NEWSLETTER)),
                                      **settings})
        return cls("product-db", checked)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        engine = sa.create_engine(url)
        sa.event.listen(engine, "connect", lambda dbapi, _r: dbapi.execute("PRAGMA foreign_keys=ON"))
        sql_store.build(engine)
        yield Store(url, engine)
        sql.forget(url)
        engine.dispose()
    else:
        engine = request.getfixturevalue("postgres_engine")
        sql_store.build(engine)
        yield Store(request.getfixturevalue("postgres_url"), engine)


def subject(identities: dict, corrections: dict | None = None) -> Subject:
    return Subject("DSAR-1", identities, corrections or {})


def outcomes(result) -> dict:
    return {(r.kind, r.id): r.outcome for r in result.records}


# -- settings ---------------------------------------------------------------------------

def test_the_example_registers_settings_load():
    cls = connector_class("sql")
    seen = 0
    for path in EXAMPLES.glob("*.yaml"):
        for system in yaml.safe_load(path.read_text())["systems"]:
            connector = system.get("connector") or {}
            if connector.get("type") == "sql":
                settings = cls.check_settings(connector["settings"])
                assert settings["url"] == connector["settings"]["url"]
                seen += 1
    assert seen >= 3


@pytest.mark.parametrize("settings, problem", [
    ({"url": "postgresql://app:s3cret@db/app", "tables": [CUSTOMERS]}, "url"),
    ({"url": {"env": ""}, "tables": [CUSTOMERS]}, "url"),
    ({"url": "not a url", "tables": [CUSTOMERS]}, "url"),
    ({"url": "sqlite:///x.db", "tables": []}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [{**CUSTOMERS, "colour": "blue"}]}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [{**CUSTOMERS, "erase": "shred"}]}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [{**CUSTOMERS, "erase": {"email": "delete_row"}}]}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [{**CUSTOMERS, "identity_columns": {"iban": "iban"}}]}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [{**CUSTOMERS, "children": [{"name": "orders", "erase": "mask"}]}]},
     "tables"),
    ({"url": "sqlite:///x.db", "tables": [CUSTOMERS, CUSTOMERS]}, "tables"),
    ({"url": "sqlite:///x.db", "tables": [CUSTOMERS], "password": "x"}, "password"),
])
def test_bad_settings_are_rejected(settings, problem):
    with pytest.raises(ValidationError) as caught:
        connector_class("sql").check_settings(settings)
    assert problem in caught.value.messages
    assert "s3cret" not in str(caught.value.messages)


def test_an_unset_url_variable_is_not_configured(monkeypatch):
    monkeypatch.delenv("DSAR_TEST_NO_SUCH_URL", raising=False)
    cls = connector_class("sql")
    connector = cls("db", cls.check_settings({"url": {"env": "DSAR_TEST_NO_SUCH_URL"}, "tables": [CUSTOMERS]}))
    with pytest.raises(NotConfigured, match="DSAR_TEST_NO_SUCH_URL"):
        connector.access(subject(ALICE))


# -- finding and exporting ----------------------------------------------------------------

def test_access_finds_the_subjects_rows_and_their_children(store):
    result = store.connector().access(subject(ALICE))
    assert outcomes(result) == {
        ("customers row", "1"): "found", ("orders row", "10"): "found", ("orders row", "11"): "found",
        ("order_lines row", "100"): "found", ("order_lines row", "101"): "found",
        ("newsletter row", "1"): "found"}
    assert all(r.data is None for r in result.records)


@pytest.mark.parametrize("identities", [
    {"email": ["ALICE@example.COM"]},
    {"phone": ["06 12 34 56 78"]},
    {"name": ["Alice Martin"]},
    {"customer_id": ["1001"]},
    {"customer_id": ["not-a-number"], "email": ["alice@example.com"]},
])
def test_each_identity_finds_the_subject(store, identities):
    found = {r.id for r in store.connector(CUSTOMERS).access(subject(identities)).records if r.kind == "customers row"}
    assert found == {"1"}


def test_nothing_found_for_a_stranger(store):
    result = store.connector().access(subject({"email": ["nobody@example.com"], "customer_id": ["zz"]}))
    assert result.records == [] and result.overall == "not_found"


def test_export_copies_each_row_as_json(store):
    result = store.connector().export(subject({"email": ["alice@example.com"]}))
    data = {(r.kind, r.id): r.data for r in result.records}
    assert {r.outcome for r in result.records} == {"exported"}
    alice = data[("customers row", "1")]
    assert alice["email"] == "alice@example.com" and alice["full_name"] == "Alice Martin"
    assert alice["signed_up_at"] == "2024-03-01T09:30:00"
    assert alice["balance"] == "12.50"
    assert alice["avatar"] == "iVBORw=="   # base64 of b"\x89PNG"
    assert data[("orders row", "10")] == {"id": 10, "customer_id": 1, "reference": "A-10",
                                          "delivery_address": "1 rue de la Paix, Paris",
                                          "shipped_on": "2024-04-02"}
    assert data[("order_lines row", "101")]["product"] == "cups"
    assert ("orders row", "20") not in data


def test_a_table_without_primary_key_is_found_by_ip(store):
    logs = {"name": "access_logs", "identity_columns": {"ip_address": "ip_address"}, "erase": "delete_row"}
    result = store.connector(logs).export(subject({"ip_address": ["192.0.2.7"]}))
    assert sorted(r.data["path"] for r in result.records) == ["/home", "/login"]
    assert len({r.id for r in result.records}) == 2


def test_discover(store):
    connector = store.connector()
    assert connector.discover({"phone": ["+33612345678"]}) is False   # digits differ from 0612345678
    assert connector.discover({"phone": ["0612345678"]}) is True
    assert connector.discover({"email": ["nobody@example.com"]}) is False


# -- erasure ----------------------------------------------------------------------------

def test_delete_row_deletes_the_subject_and_children_then_finds_nothing(store):
    connector = store.connector()
    result = connector.erase(subject(ALICE))
    assert outcomes(result) == {
        ("customers row", "1"): "erased", ("orders row", "10"): "erased", ("orders row", "11"): "erased",
        ("order_lines row", "100"): "erased", ("order_lines row", "101"): "erased",
        ("newsletter row", "1"): "erased"}
    assert set(store.rows(customers)) == {2, 3}
    assert set(store.rows(orders)) == {20}
    assert set(store.rows(order_lines)) == {200}
    assert set(store.rows(newsletter)) == {2}
    again = connector.erase(subject(ALICE))
    assert again.records == [] and again.overall == "not_found"


def test_per_column_strategies_change_only_the_subjects_row(store):
    table = {**CUSTOMERS, "erase": {"email": "hash", "phone": "mask", "full_name": "null", "avatar": "null"}}
    before = store.rows(customers)
    identities = {"email": ["alice@example.com"], "name": ["Alice Martin"]}
    result = store.connector(table).erase(subject(identities))
    assert outcomes(result) == {("customers row", "1"): "erased"}
    assert "email hashed" in result.records[0].detail
    after = store.rows(customers)
    assert after[1]["email"] == hashlib.sha256(b"alice@example.com").hexdigest()
    assert after[1]["phone"] == "[erased]"
    assert after[1]["full_name"] is None and after[1]["avatar"] is None
    assert after[1]["account_id"] == 1001
    assert after[2] == before[2] and after[3] == before[3]
    assert set(store.rows(orders)) == {10, 11, 20}   # the kept row keeps its orders
    assert any("orders" in note for note in result.notes)
    assert store.connector(table).erase(subject(identities)).overall == "not_found"


def test_mask_keeps_unique_columns_distinct(store):
    table = {**CUSTOMERS, "erase": "mask"}
    connector = store.connector(table)
    assert connector.erase(subject({"email": ["alice@example.com"]})).overall == "erased"
    assert connector.erase(subject(BOB)).overall == "erased"
    after = store.rows(customers)
    assert after[1]["email"] == "[erased 1]" and after[2]["email"] == "[erased 2]"
    assert after[1]["phone"] == "[erased]" and after[1]["full_name"] == "[erased]"
    assert after[1]["account_id"] is None   # not text: masked as NULL
    assert after[3]["email"] == "carol@example.com"


def test_a_child_with_its_own_strategy_is_kept_anonymised_and_detached(store):
    table = {**CUSTOMERS, "children": [{"name": "orders", "erase": {"delivery_address": "mask"}}]}
    result = store.connector(table).erase(subject({"email": ["alice@example.com"]}))
    assert outcomes(result)[("orders row", "10")] == "erased"
    kept = store.rows(orders)
    assert kept[10]["delivery_address"] == "[erased]" and kept[10]["customer_id"] is None
    assert kept[20]["delivery_address"] == "10 Downing St" and kept[20]["customer_id"] == 2
    assert 1 not in store.rows(customers)
    assert set(store.rows(order_lines)) == {100, 101, 200}   # children of a kept order stay


def test_a_child_that_cannot_be_detached_stops_the_erasure(store):
    table = {**CUSTOMERS, "children": [{"name": "order_lines", "erase": {"product": "mask"}}]}
    with pytest.raises(ConnectorError, match="order_lines.order_id cannot be NULL"):
        store.connector(table).erase(subject({"email": ["alice@example.com"]}))
    assert set(store.rows(customers)) == {1, 2, 3}
    assert set(store.rows(orders)) == {10, 11, 20}


def test_null_on_a_not_null_column_is_refused_before_writing(store):
    table = {**CUSTOMERS, "erase": {"full_name": "null", "email": "null"}}
    with pytest.raises(ConnectorError, match="customers.email cannot be NULL"):
        store.connector(table).erase(subject(BOB))
    assert store.rows(customers)[2]["full_name"] == "Bob Stone"


def _block_customer_deletes(store: Store) -> None:
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.exec_driver_sql("CREATE OR REPLACE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'customer rows are on legal hold'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER hold BEFORE DELETE ON customers "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_delete()")
        else:
            conn.exec_driver_sql("CREATE TRIGGER hold BEFORE DELETE ON customers "
                                 "BEGIN SELECT RAISE(ABORT, 'customer rows are on legal hold'); END")


def test_a_failing_statement_writes_nothing(store):
    _block_customer_deletes(store)
    table = {**CUSTOMERS, "erase": "delete_row"}
    # newsletter is updated, then order_lines and orders deleted, before customers refuses.
    hashed = {**NEWSLETTER, "erase": {"email": "hash"}}
    before = {t.name: store.rows(t) for t in (customers, orders, order_lines, newsletter)}
    with pytest.raises(ConnectorError, match="legal hold") as caught:
        store.connector(table, hashed).erase(subject(ALICE))
    assert "alice" not in str(caught.value).lower()
    assert {t.name: store.rows(t) for t in (customers, orders, order_lines, newsletter)} == before


def test_rows_without_primary_key_are_erased(store):
    logs = {"name": "access_logs", "identity_columns": {"ip_address": "ip_address"}, "erase": "delete_row"}
    result = store.connector(logs).erase(subject({"ip_address": ["192.0.2.7"]}))
    assert [r.outcome for r in result.records] == ["erased", "erased"]
    assert store.rows(access_logs) == [{"ip_address": "198.51.100.9", "path": "/login"}]


def test_a_table_without_erase_strategy_says_so(store):
    table = {k: v for k, v in CUSTOMERS.items() if k != "erase"}
    result = store.connector(table).erase(subject(BOB))
    assert outcomes(result) == {("customers row", "2"): "not_supported"}
    assert set(store.rows(customers)) == {1, 2, 3}


# -- rectification, restriction, objection -----------------------------------------------

def test_rectify_sets_identity_and_named_columns(store):
    corrections = {"email": "alice.martin@example.org", "name": "Alice Martin-Durand", "account_id": "2001",
                   "favourite_colour": "blue"}
    result = store.connector().rectify(subject({"email": ["alice@example.com"]}, corrections))
    assert outcomes(result) == {("customers row", "1"): "rectified", ("newsletter row", "1"): "rectified"}
    alice = store.rows(customers)[1]
    assert (alice["email"], alice["full_name"], alice["account_id"]) == (
        "alice.martin@example.org", "Alice Martin-Durand", 2001)
    assert store.rows(newsletter)[1]["email"] == "alice.martin@example.org"
    assert store.rows(customers)[2]["email"] == "bob@example.com"
    assert any("favourite_colour" in note for note in result.notes)


def test_free_text_correction_is_not_supported(store):
    result = store.connector().rectify(subject(ALICE, {"requested": "my address changed last year"}))
    assert result.overall == "not_supported" and "free text" in result.notes[0]
    assert store.rows(customers)[1]["full_name"] == "Alice Martin"


def test_a_correction_of_no_known_field_is_not_supported(store):
    result = store.connector().rectify(subject(BOB, {"favourite_colour": "green"}))
    assert result.records == [] and result.overall == "not_supported"
    assert "favourite_colour" in result.notes[-1]


def test_a_value_that_does_not_fit_is_noted_not_written(store):
    result = store.connector(CUSTOMERS).rectify(subject(BOB, {"customer_id": "B-7", "phone": "0700 000000"}))
    assert outcomes(result) == {("customers row", "2"): "rectified"}
    bob = store.rows(customers)[2]
    assert bob["account_id"] == 1002 and bob["phone"] == "0700 000000"
    assert any("customer_id" in note for note in result.notes)


def test_restrict_sets_the_flag_of_the_subjects_rows_only(store):
    result = store.connector().restrict(subject({"email": ["alice@example.com"]}))
    assert outcomes(result) == {("customers row", "1"): "restricted", ("newsletter row", "1"): "not_supported"}
    flags = {key: row["processing_restricted"] for key, row in store.rows(customers).items()}
    assert flags == {1: True, 2: False, 3: False}


def test_restrict_without_a_flag_column_is_not_supported(store):
    result = store.connector(NEWSLETTER).restrict(subject(ALICE))
    assert result.overall == "not_supported" and "restrict_column" in result.notes[0]


def test_suppress_uses_its_own_column_or_the_restriction_flag(store):
    store.connector({**CUSTOMERS, "suppress_column": "marketing_opt_out"}).suppress(subject(BOB))
    bob = store.rows(customers)[2]
    assert (bob["marketing_opt_out"], bob["processing_restricted"]) == (True, False)
    result = store.connector(CUSTOMERS).suppress(subject({"email": ["carol@example.com"]}))
    assert outcomes(result) == {("customers row", "3"): "suppressed"}
    assert store.rows(customers)[3]["processing_restricted"] is True


def test_a_timestamp_flag_records_when(store):
    result = store.connector({**NEWSLETTER, "suppress_column": "unsubscribed_at"}).suppress(subject(ALICE))
    assert outcomes(result) == {("newsletter row", "1"): "suppressed"}
    marked = {key: row["unsubscribed_at"] for key, row in store.rows(newsletter).items()}
    assert marked[1] is not None and marked[1].year >= 2024 and marked[2] is None


# -- the register checked against the database ------------------------------------------------

@pytest.mark.parametrize("table, named", [
    ({**CUSTOMERS, "name": "clients"}, "clients"),
    ({**CUSTOMERS, "name": "customers; DROP TABLE orders"}, "customers; DROP TABLE orders"),
    ({**CUSTOMERS, "identity_columns": {"email": "e_mail"}}, "customers.e_mail"),
    ({**CUSTOMERS, "restrict_column": "frozen"}, "customers.frozen"),
    ({**CUSTOMERS, "erase": {"emial": "mask"}}, "customers.emial"),
    ({**CUSTOMERS, "children": [{"name": "newsletter", "erase": "delete_row"}]}, "newsletter"),
])
def test_unknown_tables_and_columns_are_refused(store, table, named):
    with pytest.raises(ConnectorError) as caught:
        store.connector(table).access(subject(ALICE))
    assert named in str(caught.value)
    assert set(store.rows(orders)) == {10, 11, 20}


def test_columns_without_index_are_noted(store):
    notes = store.connector().access(subject(BOB)).notes
    assert "newsletter.email has no index: the search scans the table" in notes
    assert "customers.full_name has no index: the search scans the table" in notes
    assert any(note.startswith("customers.email is indexed, but") and "lower(email)" in note for note in notes)
    assert any(note.startswith("customers.phone is compared by its digits") for note in notes)
    assert not any(note.startswith(("orders.", "order_lines.", "customers.account_id")) for note in notes)


def test_an_index_on_lower_email_serves_the_search(postgres_url, postgres_engine):
    sql_store.build(postgres_engine)
    with postgres_engine.begin() as conn:
        conn.exec_driver_sql("CREATE INDEX newsletter_lower_email ON newsletter (lower(email))")
    sql.forget(postgres_url)   # the schema changed under the cached plan
    cls = connector_class("sql")
    connector = cls("db", cls.check_settings({"url": postgres_url, "tables": [NEWSLETTER]}))
    result = connector.access(subject(BOB))
    assert outcomes(result) == {("newsletter row", "2"): "found"}
    assert result.notes == []
    sql.forget(postgres_url)


def test_the_url_can_come_from_the_environment(store, monkeypatch):
    monkeypatch.setenv("DSAR_TEST_SQL_URL", store.url)
    cls = connector_class("sql")
    connector = cls("db", cls.check_settings({"url": {"env": "DSAR_TEST_SQL_URL"}, "tables": [CUSTOMERS]}))
    assert {r.id for r in connector.access(subject(BOB)).records} == {"2", "20", "200"}


def test_threads_share_one_engine_and_one_reflection(store, monkeypatch):
    sql.forget(store.url)
    created, reflected = [], []
    create, reflect = sql._create_engine, sql._reflect
    monkeypatch.setattr(sql, "_create_engine", lambda url: created.append(url) or create(url))
    monkeypatch.setattr(sql, "_reflect", lambda *a: reflected.append(1) or reflect(*a))
    store.connector().access(subject(BOB))   # the first task builds both
    found, failures = [], []

    def task(who: dict, expected: set) -> None:
        try:
            for _ in range(5):
                ids = {r.id for r in store.connector().access(subject(who)).records if r.kind == "customers row"}
                found.append(ids == expected)
        except Exception as exc:   # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=task, args=((ALICE, {"1"}), (BOB, {"2"}))[i % 2]) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and len(found) == 40 and all(found)
    assert len(created) == 1 and len(reflected) == 1


def test_an_unreachable_database_is_retried_later_without_its_password(monkeypatch):
    url = "postgresql+psycopg://dsar:sekret-pass@127.0.0.1:1/nowhere"
    monkeypatch.setenv("DSAR_TEST_SQL_DOWN", url)
    cls = connector_class("sql")
    connector = cls("db", cls.check_settings({"url": {"env": "DSAR_TEST_SQL_DOWN"}, "tables": [CUSTOMERS]}))
    try:
        with pytest.raises(RetryLater) as caught:
            connector.access(subject(ALICE))
        assert "sekret-pass" not in str(caught.value)
    finally:
        sql.forget(url)
