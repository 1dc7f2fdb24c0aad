"""What the data subject sees: the request form, email confirmation, the status page."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public pages, their translations, CSRF protection and rate limits."""
    from dsar.public import i18n, security, views

    i18n.babel.init_app(app, locale_selector=i18n.select_locale)
    security.init_app(app)
    if "public" not in app.blueprints:
        app.register_blueprint(views.bp)
