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
