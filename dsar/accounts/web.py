"""What every staff page shares: the login requirement, security headers, error pages.

Both staff blueprints (accounts: login/logout; triage: the queue and request pages) bind
themselves with `protect(bp)`, so the rules are written once.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from dsar.accounts.service import principal_of
from dsar.permissions import Principal

CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")


def current_principal() -> Principal:
    """The logged-in staff member as a Principal (only call behind the login requirement)."""
    return principal_of(current_user.user)


def safe_next(target: str | None, default: str = "/staff/") -> str:
    """`target` when it is a path on this site, else `default`: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def error_page(code: int, title: str, message: str):
    return render_template("staff/error.html", code=code, title=title, message=message), code


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["Cache-Control"] = "no-store"
    return response


def protect(bp: Blueprint, *, public_endpoints: frozenset[str] = frozenset()) -> None:
    """Require a login for `bp`'s pages (except `public_endpoints`), add headers and error pages."""

    @bp.before_request
    def require_login():
        if request.endpoint in public_endpoints or current_user.is_authenticated:
            return None
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))

    bp.after_request(_headers)

    @bp.errorhandler(404)
    def not_found(_exc):
        return error_page(404, "Not found", "There is no such page, or it is not one you can see.")

    @bp.errorhandler(CSRFError)
    def csrf_failed(_exc):
        return error_page(400, "This form has expired",
                          "A form can only be sent from the page that showed it, for a limited time. "
                          "Go back, reload the page and send it again.")

    @bp.errorhandler(429)
    def too_many(_exc):
        return error_page(429, "Too many attempts", "Too many attempts from your connection. Wait a minute and try again.")
