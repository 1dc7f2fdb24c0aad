"""Staff accounts: passwords, login sessions (Flask-Login), lockout, `dsar users`."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the login manager, the login/logout pages and the users command."""
