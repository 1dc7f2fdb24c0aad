"""Test fixtures: a fresh database per run (PostgreSQL; SQLite only as a laptop fallback),
migrated with the real migrations and loaded with the demo register.

`DSAR_TEST_POSTGRES` is the server to create the run's database on (default: the local
one). When it cannot be reached, the run stops with an error under CI (`CI` set) and
falls back to SQLite, loudly, elsewhere. `DSAR_TEST_BACKEND=sqlite` asks for SQLite on
purpose: `make test` runs the suite a second time that way, since SQLite is what the
demo runs on.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES = os.environ.get("DSAR_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Every table a test may fill; the register's tables are loaded once per run and kept.
REQUEST_TABLES = ("alerts_sent", "events", "pauses", "subject_identities", "tasks", "message_attachments", "messages",
                  "mailboxes", "requests", "api_tokens", "users")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skipped test is a failed one: CI installs every peer the tests need
    (browser, IMAP server), so a skip there means a test silently did not run."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every peer is installed: {report.longrepr}"


def _postgres_database() -> tuple[str, callable] | None:
    admin = sa.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"dsar_test_{uuid.uuid4().hex[:12]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        admin.dispose()
        return None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return str(sa.make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)), drop


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """(url, backend, template file for SQLite) of a migrated database holding the demo register."""
    wanted = os.environ.get("DSAR_TEST_BACKEND", "postgresql")
    created = _postgres_database() if wanted == "postgresql" else None
    if created is None:
        if os.environ.get("CI") and wanted == "postgresql":
            pytest.exit(f"PostgreSQL is required in CI and {POSTGRES} cannot be reached", returncode=3)
        if wanted == "postgresql":
            print(f"\n*** PostgreSQL not reachable at {POSTGRES}: falling back to SQLite for this run ***")
        folder = tmp_path_factory.mktemp("db")
        url, drop, backend = f"sqlite:///{folder / 'dsar.sqlite3'}", (lambda: None), "sqlite"
    else:
        (url, drop), backend = created, "postgresql"

    from flask_migrate import upgrade

    from dsar import create_app
    from dsar.extensions import db
    from dsar.register import load_register
    from dsar.register.sync import sync_register
    from dsar.settings import DEMO_REGISTER

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        sync_register(load_register(DEMO_REGISTER))
        db.engine.dispose()
    template = None
    if backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        template = path.with_suffix(".template")
        shutil.copy(path, template)
    yield url, backend, template
    drop()


@pytest.fixture
def app(database, tmp_path):
    url, backend, template = database
    from dsar import create_app
    from dsar.extensions import db
    from dsar.fulfilment import queue

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "EXPORT_DIR": str(tmp_path / "exports")})
    yield app
    queue.shutdown(app)  # tasks still running in this app's threads finish before the tables are emptied
    with app.app_context():
        db.session.remove()
        if backend == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {', '.join(REQUEST_TABLES)} RESTART IDENTITY CASCADE"))
        db.engine.dispose()
    if template is not None:
        shutil.copy(template, url.removeprefix("sqlite:///"))


@pytest.fixture
def backend(database) -> str:
    return database[1]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def demo(app):
    """The demo register's controllers: the operator and its clients by country."""
    from dsar.extensions import db
    from dsar.models import Controller

    with app.app_context():
        controllers = db.session.scalars(sa.select(Controller).order_by(Controller.id)).all()
        operator = next(c for c in controllers if c.is_operator)
        clients = [c for c in controllers if not c.is_operator]
        by_country = {}
        for c in clients:
            by_country.setdefault(c.country, c)
        return {"operator": operator, "clients": clients, "by_country": by_country}


@pytest.fixture
def token(app):
    """token(role, controller_id=None) -> Authorization headers for a fresh API token."""
    from dsar.api.auth import create_token
    from dsar.models import Role

    def make(role: str, controller_id: str | None = None, label: str = "") -> dict:
        with app.app_context():
            value = create_token(Role(role), controller_id, label or f"{role}-{controller_id or 'op'}")
        return {"Authorization": f"Bearer {value}"}

    return make


SUBJECT_EMAIL = "subject@mail.example"


@pytest.fixture
def file_request(client):
    """file_request(headers, days_ago=0, **fields) -> the created request's JSON (asserts 201)."""
    from datetime import datetime, timedelta, timezone

    def make(headers: dict, days_ago: int | None = None, **fields) -> dict:
        body = {"rights": ["access"], "identities": [{"type": "email", "value": SUBJECT_EMAIL}]}
        if days_ago is not None:
            body["received_at"] = (datetime.now(timezone.utc) - timedelta(days=days_ago)).isoformat()
        body.update(fields)
        response = client.post("/api/v1/requests", json=body, headers=headers)
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture(scope="session")
def smtp_server():
    from smtp_server import SmtpCapture

    server = SmtpCapture().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(app, smtp_server):
    """A real SMTP server on loopback that captures what the app sends (`.messages`);
    the app is pointed at it."""
    smtp_server.clear()
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, MAIL_FROM="privacy@dsar.example")
    return smtp_server


@pytest.fixture
def live_server(app):
    """The test's app served over HTTP on a free loopback port, in a thread; yields its base URL
    (emails link to it too)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join()


@pytest.fixture
def public_form(client):
    """public_form(path, headers=None, environ_base=None, **fields) -> the response to sending
    the public form at `path` as a browser would: GET the page, then POST with its CSRF token."""
    import re

    def send(path: str = "/privacy", headers: dict | None = None, environ_base: dict | None = None, **fields):
        options = {"headers": headers or {}, "environ_base": environ_base or {}}
        page = client.get(path, **options).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return client.post(path, data={"csrf_token": token, **fields}, **options)

    return send


STAFF_PASSWORD = "correct horse battery staple"


def csrf_token_of(html: str) -> str:
    """The CSRF token of a staff page's first form."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def staff_user(app):
    """staff_user(role, controller_id=None, email=None) -> the new user's email (password STAFF_PASSWORD)."""
    from dsar.accounts.service import create_user

    def make(role: str, controller_id: str | None = None, email: str | None = None) -> str:
        email = email or f"{role}.{controller_id or 'operator'}@staff.example"
        with app.app_context():
            create_user(email, role, STAFF_PASSWORD, controller_id)
        return email

    return make


@pytest.fixture
def staff(app, staff_user):
    """staff(role, controller_id=None) -> a new test client logged in as a new staff user of
    that role; its `csrf_token` attribute holds a token valid for its session's forms."""

    def make(role: str, controller_id: str | None = None, email: str | None = None):
        email = staff_user(role, controller_id, email)
        browser = app.test_client()
        token = csrf_token_of(browser.get("/staff/login").get_data(as_text=True))
        response = browser.post("/staff/login", data={"csrf_token": token, "email": email,
                                                      "password": STAFF_PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
        browser.csrf_token = csrf_token_of(browser.get("/staff/").get_data(as_text=True))
        browser.email = email
        return browser

    return make


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium under Playwright, one per test module (skipped when absent; a
    failure under CI)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def demo_world(app, tmp_path, monkeypatch):
    """The demo register's stores made real (tests/demo_world.py): SQL databases and vendor
    fakes holding Jeanne's and Paul's records; the systems' base URLs point at the fakes
    for this test only."""
    from demo_world import DemoWorld

    from dsar.extensions import db
    from dsar.models import System

    world = DemoWorld(tmp_path / "stores").start()
    for name, value in world.environment().items():
        monkeypatch.setenv(name, value)
    saved = {}
    with app.app_context():
        for system_id, url in world.base_urls().items():
            system = db.session.get(System, system_id)
            saved[system_id] = dict(system.connector_settings)
            settings = {k: v for k, v in system.connector_settings.items() if k != "subdomain"}
            system.connector_settings = {**settings, "base_url": url}
        db.session.commit()
    yield world
    from dsar.fulfilment import queue

    queue.shutdown(app)
    with app.app_context():
        for system_id, settings in saved.items():
            db.session.get(System, system_id).connector_settings = settings
        db.session.commit()
    world.stop()
