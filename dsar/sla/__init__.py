"""Watching the clocks: the SLA dashboard, its CSV export, and the alert digests (`dsar tick`).

`figures` computes (SQL aggregates over the principal's scope); `api` serves them as
JSON and CSV to token holders; `pages` is the staff dashboard; `alerts` is the tick.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard API (documented in the OpenAPI document), the staff pages
    and the tick command."""
    from dsar.api import openapi
    from dsar.sla import api, pages

    for blueprint in (api.bp, pages.bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    openapi.extend(api.document)
    from dsar.sla.cli import tick_command

    app.cli.add_command(tick_command)
