"""Staff accounts: passwords, login sessions (Flask-Login), lockout, `dsar users`."""
from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from dsar.extensions import db

login_manager = LoginManager()
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load(user_id: str):
    from dsar.accounts.views import LoginUser
    from dsar.models import User

    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return LoginUser(user) if user is not None and user.active else None


def init_app(app: Flask) -> None:
    """Register the login manager, the login/logout pages and the users command."""
    from dsar.accounts import views
    from dsar.accounts.cli import users_cli

    app.config.setdefault("LOGIN_MAX_FAILURES", 5)
    app.config.setdefault("LOGIN_LOCK_MINUTES", 15)
    app.config.setdefault("LOGIN_RATE_LIMIT", "30 per minute")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    login_manager.init_app(app)
    if "accounts" not in app.blueprints:
        app.register_blueprint(views.bp)
    app.cli.add_command(users_cli)
