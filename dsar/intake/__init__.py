"""Inbound email: one pipeline for IMAP, Postmark's webhook and imported files.

`pipeline.ingest` decides what each message is; `messages_api` shows the messages and
lets a human triage what intake could not decide.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the messages API."""
    from dsar.api import openapi
    from dsar.api.errors import error_response
    from dsar.intake import messages_api, pipeline

    if messages_api.bp.name not in app.blueprints:
        app.register_blueprint(messages_api.bp)
    openapi.extend(messages_api.document)

    @app.errorhandler(pipeline.NotTriable)
    def not_triable(exc: pipeline.NotTriable):
        return error_response(409, "conflict", exc.message)
