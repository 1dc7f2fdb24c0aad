"""/staff/login and /staff/logout."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user

from dsar.accounts import service
from dsar.accounts.web import protect, safe_next
from dsar.public.security import limiter

bp = Blueprint("accounts", __name__, url_prefix="/staff")
protect(bp, public_endpoints=frozenset({"accounts.login"}))

WRONG = "Wrong email or password."


class LoginUser:
    """What Flask-Login keeps for a session: the User row behind a tiny adapter."""

    is_anonymous = False

    def __init__(self, user):
        self.user = user

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.user.active)

    def get_id(self) -> str:
        return str(self.user.id)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("LOGIN_RATE_LIMIT", "30 per minute"), methods=["POST"],
               scope="staff-login")
def login():
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("staff/login.html", next_url=next_url, error=None, email="")
    email = request.form.get("email", "")[:254]
    result = service.check_login(email, request.form.get("password", "")[:1000])
    if result.ok:
        session.clear()  # nothing of the anonymous session (a planted one included) survives login
        login_user(LoginUser(result.user))
        return redirect(next_url, 303)
    if result.locked_until is not None:
        error = (f"Too many failed attempts: this account is locked until "
                 f"{result.locked_until:%H:%M} UTC. Try again later, or ask an administrator to unlock it.")
    else:
        error = WRONG
    return render_template("staff/login.html", next_url=next_url, error=error, email=email), 401


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"), 303)
