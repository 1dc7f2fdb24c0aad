"""Application settings: read once from the environment, with embedded defaults.

`DSAR_DATABASE_URL` (default: SQLite file in the instance folder), `DSAR_REDIS_URL`
(unset: jobs run in-process), `DSAR_CONFIG` (register file or folder; default: the demo
register), `DSAR_SECRET_KEY`. An optional `instance/dsar.cfg` (Python syntax) overrides
them by their config keys: `SQLALCHEMY_DATABASE_URI`, `REDIS_URL`, `REGISTER_PATH`,
`SECRET_KEY`.
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
    }
