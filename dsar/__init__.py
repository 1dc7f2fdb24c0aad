"""dsar: a router for GDPR data-subject rights requests.

`create_app()` builds the Flask app; each subsystem binds itself with `init_app`.
Nothing connects to a database or Redis at import time.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, redirect, request, url_for

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    from dsar import settings

    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.update(
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=1024 * 1024,  # a request body over 1 MiB is refused with a 413
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    app.config.from_pyfile("dsar.cfg", silent=True)
    if test_config:
        app.config.update(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from dsar.extensions import db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)

    from dsar import accounts, answers, api, commands, fulfilment, intake, opengdpr, public, sla, triage

    api.init_app(app)
    commands.init_app(app)
    intake.init_app(app)
    public.init_app(app)
    accounts.init_app(app)
    triage.init_app(app)
    sla.init_app(app)
    fulfilment.init_app(app)
    answers.init_app(app)
    opengdpr.init_app(app)
    from dsar import retention  # `dsar purge`
    retention.init_app(app)

    @app.get("/")
    def home():
        """People land on the request form; a program asking for JSON learns where the API is."""
        if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
            return {"service": "dsar", "version": __version__, "api": "/api/v1/docs"}
        return redirect(url_for("public.general_form"))

    from dsar import health

    app.register_blueprint(health.bp)

    return app


def _sqlite_pragmas(app: Flask) -> None:
    """Make SQLite safe for the demo's threaded server.

    Foreign keys on; WAL so commands and the server share the file; and every
    transaction opened with BEGIN IMMEDIATE, because SQLite ignores SELECT … FOR UPDATE:
    without the write lock up front, two writers could both read a request's last audit
    event and fork its hash chain (SQLAlchemy's documented pysqlite recipe).
    """
    from sqlalchemy import event

    from dsar.extensions import db

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @event.listens_for(db.engine, "begin")
        def on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
