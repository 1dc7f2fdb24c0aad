"""CSRF protection and rate limits for the public pages.

CSRF: Flask-WTF's CSRFProtect guards every state-changing request of the app, except by
URL prefix the JSON API (`/api/`, and the OpenGDPR API under `/v1/`: bearer-token
authenticated, no cookie to ride on) and the inbound-mail webhook (`/inbound/`, called by
a mail provider). One prefix list here, so a blueprint added later under those prefixes needs no decorator to stay reachable.

Rate limits (Flask-Limiter) on the form's POSTs: per client IP (every POST counts) and
per email address (only submissions that filed a request count, so typos do not lock a
person out; what it stops is someone mail-bombing another person's address through us).
Counters live in Redis when REDIS_URL is set (shared by every worker), else in memory.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from dsar.identities import normalize

CSRF_EXEMPT_PREFIXES = ("/api/", "/v1/", "/inbound/")
# A successful submission redirects (303 See Other) to the confirmation page.
FILED = 303

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)


def token_page_headers(response):
    """Headers for a page reached by a link that carries a token (the subject's pages, a
    manual task's form): no script runs on them at all, so the policy forbids every
    script (an injection that slipped past escaping still could not execute); no Referer
    to other sites and no copy in a shared cache, since the URL is a credential.
    Same-origin Referers stay: over HTTPS, Flask-WTF refuses a form POST without one."""
    response.headers.setdefault("Content-Security-Policy", (
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked below, by URL prefix
    # A person may take a while over the form: the token lives with their session.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 12 * 3600)
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"  # the cookie never rides on a cross-site POST
    if app.config.get("PUBLIC_BASE_URL", "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True  # served over HTTPS: never send it in clear
    csrf.init_app(app)

    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)  # Retry-After on a 429
    # Redis down must not take the form down: count in memory meanwhile.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)  # its check runs before the CSRF check: every POST is counted

    if app.config.get("PROXY_HOPS"):
        # Behind reverse proxies, the visitor's address is in X-Forwarded-For: trust
        # exactly that many hops, or every visitor would share the proxy's limit.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.before_request
    def protect_from_csrf():
        if request.method in app.config.get("WTF_CSRF_METHODS", ("POST", "PUT", "PATCH", "DELETE")) \
                and not request.path.startswith(CSRF_EXEMPT_PREFIXES):
            csrf.protect()


def _email_key() -> str:
    try:
        email = request.form.get("email", "")
    except RequestEntityTooLarge:
        email = ""  # the view answers the 413 itself; a key function must not fail
    return "email:" + normalize("email", email)[:254]


def form_rate_limits(view: Callable) -> Callable:
    """The form's two limits, shared by the general page and every controller's page."""
    per_email = limiter.shared_limit(
        lambda: current_app.config["FORM_RATE_LIMIT_PER_EMAIL"], scope="public-form-email",
        key_func=_email_key, methods=["POST"], deduct_when=lambda response: response.status_code == FILED)
    per_ip = limiter.shared_limit(
        lambda: current_app.config["FORM_RATE_LIMIT_PER_IP"], scope="public-form-ip", methods=["POST"])
    return per_ip(per_email(view))
