"""The JSON API under /api/v1: token auth, one error shape, OpenAPI document."""
from flask import Flask

from dsar.api.views import bp


def init_app(app: Flask) -> None:
    from dsar.api import errors, openapi  # noqa: F401  (openapi adds its routes to bp)

    errors.init_app(app)
    if "api" not in app.blueprints:
        app.register_blueprint(bp)
