"""Access and portability packages: a ZIP of the subject's records, encrypted at rest.

Fulfilment leaves each system's exported records in `EXPORT_DIR/<reference>/<system>.json`
(dsar.fulfilment.runner). `build` turns the chosen ones into a ZIP holding, per system,
`records/<system>.json` and `records/<system>.csv` (one row per record), plus what the
caller adds (the Art. 15 report, a schema), encrypts it with Fernet (PACKAGE_KEY, else a
key made once in `instance/package.key`), writes it under `EXPORT_DIR/packages/` and adds
a `Package` row holding only the SHA-256 of the link's token. `discard_exports` then
removes the plain export files: nothing of the subject stays unencrypted on disk.

A duty deletes each package's file once its link has expired (PACKAGE_DAYS after it was
made) and records that on the request.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
import shutil
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import select

from dsar import audit
from dsar.answers import dispatch
from dsar.extensions import db
from dsar.models import Request
from dsar.models.answer import Package
from dsar.requests.references import hash_token, new_status_token

KINDS = ("access", "portability")
PACKAGES = "packages"  # the folder of EXPORT_DIR the encrypted files go to
KEY_FILE = "package.key"
# The columns every CSV starts with; the records' own fields follow.
RECORD_COLUMNS = ("record_kind", "record_id", "outcome")


# --- the key -----------------------------------------------------------------------------

def fernet() -> Fernet:
    """The Fernet of PACKAGE_KEY, or of the instance folder's key file (made on first use)."""
    configured = current_app.config.get("PACKAGE_KEY")
    return Fernet(configured.encode() if isinstance(configured, str) else configured or _instance_key())


def _instance_key() -> bytes:
    path = Path(current_app.instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".package-key.")  # mode 0600
        with os.fdopen(handle, "wb") as out:
            out.write(Fernet.generate_key())
        try:
            os.link(temp, path)  # atomic, and fails if another process made it first: theirs wins
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_bytes().strip()


# --- what fulfilment exported ------------------------------------------------------------

def export_folder(request: Request) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / request.reference


def read_exports(request: Request) -> dict[str, dict]:
    """{system id: the export file's content} of `request`, in system id order."""
    folder = export_folder(request)
    if not folder.is_dir():
        return {}
    # Dot files are a run's temporary file, not yet renamed into place.
    return {path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(folder.glob("*.json")) if not path.name.startswith(".")}


def discard_exports(request: Request) -> None:
    """Remove the plain export files of `request` (once its packages hold them)."""
    shutil.rmtree(export_folder(request), ignore_errors=True)


# --- the ZIP -----------------------------------------------------------------------------

def records_csv(records: list[dict]) -> str:
    """One row per record: its kind, id and outcome, then its fields flattened (nested
    objects as dotted names, lists as JSON text), columns in the order first seen."""
    rows = []
    for record in records:
        row = dict(zip(RECORD_COLUMNS, (record.get("kind"), record.get("id"), record.get("outcome"))))
        for name, value in _flatten(record.get("data") or {}).items():
            row[f"data.{name}" if name in RECORD_COLUMNS else name] = value
        rows.append(row)
    columns = list(dict.fromkeys([*RECORD_COLUMNS, *(name for row in rows for name in row)]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: cell(value) for name, value in row.items()} for row in rows)
    return out.getvalue()


def cell(value) -> str:
    """A CSV cell: JSON's spelling for booleans and null, text as is."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _flatten(data: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def zip_bytes(exports: dict[str, dict], extra: dict[str, bytes | str]) -> bytes:
    """The plain ZIP: `extra` files at the top, each system's records under records/."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in extra.items():
            archive.writestr(name, content)
        for system_id, export in exports.items():
            archive.writestr(f"records/{system_id}.json",
                             json.dumps(export, ensure_ascii=False, indent=2, default=str))
            archive.writestr(f"records/{system_id}.csv", records_csv(export.get("records") or []))
    return buffer.getvalue()


# --- the package -------------------------------------------------------------------------

def build(request: Request, kind: str, exports: dict[str, dict], extra: dict[str, bytes | str],
          now: datetime) -> tuple[Package, str]:
    """Write the encrypted package of `exports` and `extra`; add its row to the session
    (the caller commits). Returns (the Package, the link's token: shown once, never stored)."""
    if kind not in KINDS:
        raise ValueError(f"no package kind {kind!r}")
    plain = zip_bytes(exports, extra)
    sealed = fernet().encrypt(plain)
    folder = Path(current_app.config["EXPORT_DIR"]) / PACKAGES
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.zip.enc"
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".")
    with os.fdopen(handle, "wb") as out:
        out.write(sealed)
    os.replace(temp, folder / name)
    token, token_hash = new_status_token()  # the same unguessable kind as a status link's
    package = Package(request_id=request.id, kind=kind, token_hash=token_hash, path=f"{PACKAGES}/{name}",
                      size=len(sealed), sha256=hashlib.sha256(plain).hexdigest(), created_at=now,
                      expires_at=now + timedelta(days=current_app.config["PACKAGE_DAYS"]))
    db.session.add(package)
    return package, token


def file_of(package: Package) -> Path:
    return Path(current_app.config["EXPORT_DIR"]) / package.path


def open_package(package: Package) -> bytes:
    """The plain ZIP of a package still on disk."""
    return fernet().decrypt(file_of(package).read_bytes())


def find(token: str, now: datetime) -> Package | None:
    """The package a link's token opens: one not expired and not deleted, else None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    package = db.session.scalars(select(Package).where(Package.token_hash == hash_token(token))).one_or_none()
    if package is None or package.deleted_at is not None or package.expires_at <= now:
        return None
    return package


def lock_request(request_id: int) -> Request:
    """The request's row, locked as every writer of its audit chain does."""
    return db.session.scalars(select(Request).where(Request.id == request_id).with_for_update()).one()


@dispatch.duty
def delete_expired(now: datetime) -> int:
    """Delete the files of packages whose link has expired; record each on its request."""
    expired = list(db.session.scalars(
        select(Package).where(Package.deleted_at.is_(None), Package.expires_at <= now)
        .order_by(Package.id).limit(200)))
    for package in expired:
        request = lock_request(package.request_id)
        file_of(package).unlink(missing_ok=True)
        package.deleted_at = now
        audit.record(request, actor="bot:operator:packages", kind="package_deleted", at=now,
                     data={"package": package.id, "kind": package.kind, "reason": "expired",
                           "downloads": package.downloads})
        db.session.commit()
    return len(expired)
