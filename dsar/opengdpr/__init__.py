"""The OpenGDPR 1.0 processor API: controllers instruct us by machine (issue 7, item 6).

- `views`: the /v1 routes (discovery, certificate, requests: create, status, cancel).
- `schemas`: what a request may say; its identities and types mapped onto ours.
- `status`: our statuses in the spec's four, and the signed status callbacks owed on
  each change (sent by dsar.answers.webhooks).
- `docs`: the routes in the OpenAPI document.
"""
from flask import Flask


def init_app(app: Flask) -> None:
    from dsar.api import openapi
    from dsar.opengdpr import docs, status, views  # noqa: F401 — status registers its listener on import

    if views.bp.name not in app.blueprints:
        app.register_blueprint(views.bp)
    openapi.extend(docs.document)
