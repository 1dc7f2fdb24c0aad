"""What the data subject sees: the request form, email confirmation, the status page."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public pages, their translations, CSRF protection and rate limits."""
