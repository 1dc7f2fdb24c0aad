"""Inbound email: one pipeline for IMAP, Postmark's webhook and imported files.

`pipeline.ingest` decides what each message is; `postmark` (the webhook), `cli`
(`dsar ingest`, `dsar mail poll`, with dsar.mail.imap) feed it; `messages_api` shows
the messages and lets a human triage what intake could not decide.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook, the messages API and the intake commands."""
    from dsar.api import openapi
    from dsar.api.errors import error_response
    from dsar.intake import cli, messages_api, pipeline, postmark

    for blueprint in (postmark.bp, messages_api.bp):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    openapi.extend(messages_api.document)

    @app.errorhandler(pipeline.NotTriable)
    def not_triable(exc: pipeline.NotTriable):
        return error_response(409, "conflict", exc.message)

    app.cli.add_command(cli.ingest_command)
    app.cli.add_command(cli.mail_cli)
