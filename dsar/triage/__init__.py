"""The staff's web UI: the queue, the request page and its actions."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff pages."""
    from dsar.triage import views

    if "staff" not in app.blueprints:
        app.register_blueprint(views.bp)
