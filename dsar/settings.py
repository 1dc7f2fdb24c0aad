"""Application settings: read once from the environment, with embedded defaults.

`DSAR_DATABASE_URL` (default: SQLite file in the instance folder), `DSAR_REDIS_URL`
(unset: jobs run in-process), `DSAR_CONFIG` (register file or folder; default: the demo
register), `DSAR_SECRET_KEY`. An optional `instance/dsar.cfg` (Python syntax) overrides
them by their config keys: `SQLALCHEMY_DATABASE_URI`, `REDIS_URL`, `REGISTER_PATH`,
`SECRET_KEY`.

Inbound email (README "Inbound email"): `DSAR_INBOUND_MAX_BYTES` (default 25 MiB), the
Postmark webhook's Basic credentials `DSAR_POSTMARK_INBOUND_USERNAME` / `_PASSWORD`
(unset: the webhook is off), and the mailbox to poll: `DSAR_IMAP_HOST`, `DSAR_IMAP_PORT`
(993), `DSAR_IMAP_SSL` (true), `DSAR_IMAP_USERNAME`, `DSAR_IMAP_PASSWORD`,
`DSAR_IMAP_FOLDER` (INBOX). Config keys: the same names without `DSAR_`.

Public pages and outgoing mail (README "Public form and outgoing mail"):
`DSAR_PUBLIC_URL` (`PUBLIC_BASE_URL`: where links in emails point), `DSAR_MAIL_SERVER`,
`_PORT` (25), `_USERNAME`, `_PASSWORD`, `_STARTTLS`, `_SSL`, `_TIMEOUT` (10 s), `_FROM`
(unset server: mail is written to the log), `DSAR_VERIFICATION_MAX_AGE_DAYS` (7),
`DSAR_FORM_RATE_LIMIT_PER_IP` (10 per hour), `DSAR_FORM_RATE_LIMIT_PER_EMAIL` (3 per
hour), `DSAR_PROXY_HOPS` (0). Config keys: the same names without `DSAR_`, except
`PUBLIC_BASE_URL`.

Alerts (README "SLA dashboard and alerts"): `DSAR_ALERT_DUE_SOON_DAYS` ("7,3,1": a digest
when a clock's due date is that many days away or nearer) and `DSAR_ALERT_OVERDUE_DAYS`
("0,7": an escalation on the first day overdue, and a week later). Config keys: the same
names without `DSAR_`, as a comma-separated string or a list of integers.

Fulfilment (README "Fulfilment"): `DSAR_TASK_QUEUE` (the RQ queue, "dsar-tasks"),
`DSAR_TASK_TIMEOUT` (300 s: one run of a task),
`DSAR_TASK_MAX_ATTEMPTS` (6), `DSAR_TASK_RETRY_BASE` (10 s: the first backoff, doubled
each attempt, jittered), `DSAR_EXPORT_DIR` (instance/exports: where exported records are
written), `DSAR_IN_PROCESS_WORKERS` (8 threads, without Redis), `DSAR_BOT_LEASE_SECONDS`
(600: how long an outside bot holds a task it claimed). Config keys: the same names
without `DSAR_`.

Answers (README "Answers"): `DSAR_PACKAGE_DAYS` (30: how long an access package's link
works; the package is deleted after), `DSAR_PACKAGE_KEY` (a Fernet key encrypting
packages at rest; unset: one is made once in the instance folder), `DSAR_SIGNING_KEY_FILE`
and `DSAR_SIGNING_CERT_FILE` (the PEM key and X.509 certificate signing webhooks and
OpenGDPR callbacks; unset: a demo pair is made in the instance folder),
`DSAR_WEBHOOK_MAX_ATTEMPTS` (8), `DSAR_RETENTION_DAYS` (1095: closed requests older than
this are purged by `dsar purge`), `DSAR_PACKAGE_RATE_LIMIT_PER_IP` ("20 per hour") and
`_PER_LINK` ("10 per hour": tries at a package link's email check),
`DSAR_OPENGDPR_AUTO_APPROVE` (true: an OpenGDPR instruction is approved on receipt).
Config keys: the same names without `DSAR_`.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_REGISTER = PROJECT_ROOT / "config" / "examples" / "septeo.yaml"


def from_environment(instance_path: str) -> dict:
    """Return the Flask config keys taken from `DSAR_*` environment variables."""
    database_url = os.environ.get("DSAR_DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "dsar.sqlite3")
    )
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": os.environ.get("DSAR_REDIS_URL") or None,
        "REGISTER_PATH": os.environ.get("DSAR_CONFIG") or str(DEMO_REGISTER),
        # A random key is fine for the demo; production sets DSAR_SECRET_KEY.
        "SECRET_KEY": os.environ.get("DSAR_SECRET_KEY") or secrets.token_hex(32),
        **_inbound_email(),
        **_public_pages(),
        **_alerts(),
        **_fulfilment(instance_path),
        **_answers(),
    }


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() not in ("0", "false", "no", "off")


def _inbound_email() -> dict:
    """Intake of email: size limit, Postmark webhook credentials, the IMAP mailbox."""
    env = os.environ.get
    return {
        # A larger message is still kept (headers and a note) for a human, never dropped.
        "INBOUND_MAX_BYTES": int(env("DSAR_INBOUND_MAX_BYTES") or 25 * 1024 * 1024),
        "POSTMARK_INBOUND_USERNAME": env("DSAR_POSTMARK_INBOUND_USERNAME") or None,
        "POSTMARK_INBOUND_PASSWORD": env("DSAR_POSTMARK_INBOUND_PASSWORD") or None,
        "IMAP_HOST": env("DSAR_IMAP_HOST") or None,
        "IMAP_PORT": int(env("DSAR_IMAP_PORT") or 993),
        "IMAP_SSL": _flag(env("DSAR_IMAP_SSL"), True),
        "IMAP_USERNAME": env("DSAR_IMAP_USERNAME") or None,
        "IMAP_PASSWORD": env("DSAR_IMAP_PASSWORD") or None,
        "IMAP_FOLDER": env("DSAR_IMAP_FOLDER") or "INBOX",
    }


def _public_pages() -> dict:
    """The public form, the links emailed to subjects, and the SMTP server mail goes out by."""
    env = os.environ.get
    return {
        # Links in emails are built on this, never on a request's Host header (which a
        # visitor controls: a forged one would send someone's confirmation link elsewhere).
        "PUBLIC_BASE_URL": env("DSAR_PUBLIC_URL") or "http://127.0.0.1:5000",
        # No server: each message is written to the log instead (the demo).
        "MAIL_SERVER": env("DSAR_MAIL_SERVER") or None,
        "MAIL_PORT": int(env("DSAR_MAIL_PORT") or 25),
        "MAIL_USERNAME": env("DSAR_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env("DSAR_MAIL_PASSWORD") or None,
        "MAIL_STARTTLS": _flag(env("DSAR_MAIL_STARTTLS"), False),
        "MAIL_SSL": _flag(env("DSAR_MAIL_SSL"), False),
        "MAIL_TIMEOUT": int(env("DSAR_MAIL_TIMEOUT") or 10),
        "MAIL_FROM": env("DSAR_MAIL_FROM") or "privacy@dsar.localhost",
        "VERIFICATION_MAX_AGE_DAYS": int(env("DSAR_VERIFICATION_MAX_AGE_DAYS") or 7),
        # Flask-Limiter syntax, counted over the form's POSTs.
        "FORM_RATE_LIMIT_PER_IP": env("DSAR_FORM_RATE_LIMIT_PER_IP") or "10 per hour",
        "FORM_RATE_LIMIT_PER_EMAIL": env("DSAR_FORM_RATE_LIMIT_PER_EMAIL") or "3 per hour",
        # Reverse proxies in front of the app to trust for X-Forwarded-For: rate limits
        # must count the visitor's address, not the proxy's.
        "PROXY_HOPS": int(env("DSAR_PROXY_HOPS") or 0),
    }


def _alerts() -> dict:
    """The thresholds `dsar tick` alerts at (parsed and checked by dsar.sla.alerts)."""
    env = os.environ.get
    return {
        "ALERT_DUE_SOON_DAYS": env("DSAR_ALERT_DUE_SOON_DAYS") or "7,3,1",
        "ALERT_OVERDUE_DAYS": env("DSAR_ALERT_OVERDUE_DAYS") or "0,7",
    }


def _fulfilment(instance_path: str) -> dict:
    """How tasks run: time bounds, retries, where exports go (dsar.fulfilment)."""
    env = os.environ.get
    return {
        "TASK_QUEUE": env("DSAR_TASK_QUEUE") or "dsar-tasks",  # the RQ queue's name
        "TASK_TIMEOUT": int(env("DSAR_TASK_TIMEOUT") or 300),
        "TASK_MAX_ATTEMPTS": int(env("DSAR_TASK_MAX_ATTEMPTS") or 6),
        "TASK_RETRY_BASE": float(env("DSAR_TASK_RETRY_BASE") or 10),
        "EXPORT_DIR": env("DSAR_EXPORT_DIR") or str(Path(instance_path) / "exports"),
        "IN_PROCESS_WORKERS": int(env("DSAR_IN_PROCESS_WORKERS") or 8),
        "BOT_LEASE_SECONDS": int(env("DSAR_BOT_LEASE_SECONDS") or 600),
    }


def _answers() -> dict:
    """Packages, signatures, webhook retries and the retention of our own records (dsar.answers)."""
    env = os.environ.get
    return {
        "PACKAGE_DAYS": int(env("DSAR_PACKAGE_DAYS") or 30),
        "PACKAGE_KEY": env("DSAR_PACKAGE_KEY") or None,
        "SIGNING_KEY_FILE": env("DSAR_SIGNING_KEY_FILE") or None,
        "SIGNING_CERT_FILE": env("DSAR_SIGNING_CERT_FILE") or None,
        "WEBHOOK_MAX_ATTEMPTS": int(env("DSAR_WEBHOOK_MAX_ATTEMPTS") or 8),
        "RETENTION_DAYS": int(env("DSAR_RETENTION_DAYS") or 1095),
        # A person mistyping their address a few times must get through; a script guessing
        # addresses for a leaked link must not.
        "PACKAGE_RATE_LIMIT_PER_IP": env("DSAR_PACKAGE_RATE_LIMIT_PER_IP") or "20 per hour",
        "PACKAGE_RATE_LIMIT_PER_LINK": env("DSAR_PACKAGE_RATE_LIMIT_PER_LINK") or "10 per hour",
        # An OpenGDPR instruction is the controller's decision: approved on receipt, unless
        # the controller's people should look at each one first (then it can be cancelled).
        "OPENGDPR_AUTO_APPROVE": _flag(env("DSAR_OPENGDPR_AUTO_APPROVE"), True),
    }
