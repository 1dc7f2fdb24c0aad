"""Which finished requests are past retention, what each still holds, and purging one.

A request is due when it is finished (closed, cancelled, duplicate: `lifecycle.FINAL`),
not purged yet, and its closing (`closed_at`; `updated_at` for a row without one) is
older than the retention period. A rejected request is not finished (it is closed by
the `close` action, and may still be challenged until then): it is purged once closed;
`stale_rejections` counts those left open past the period so the operator sees them.

What a purge removes, because it names or can single out the subject (`PURGED_TABLES`
says it table by table, and a test fails when a new table refers to requests without an
entry there):
- the identities, every message linked to the request and its attachments;
- the tasks (results and errors carry record ids and addresses; what each system did,
  system, action, status and outcome, is kept in the purge event), alerts sent (staff
  addresses), Art. 19 notices (recipients' addresses: their number is kept), webhook
  deliveries (bodies), access packages (rows and encrypted files), the OpenGDPR
  instruction (its id is the controller's handle on the subject);
- the request's export folder `EXPORT_DIR/<reference>/` and its package files;
- the request's audit events (their data carries addresses, notes and reasons), through
  a purge permit (`dsar.retention.permit`);
- on the request row: details, corrections, routing, rejection and extension reasons,
  assignee and language; the status token's hash becomes a value no token hashes to.

What stays: the request row's reference, controller, rights, channel, status,
verification, flags, links to related requests and every date (statutory due date
included), so the SLA figures still count it; the pauses' dates with their reasons
blanked (the clocks still compute); and a new audit chain of one `purged` event holding
the purge date, the number of events removed, the old chain's head hash, whether that
chain verified, and the counts of what else went.

A broken chain (someone changed or removed events) is evidence: the purge refuses that
request, says why, and keeps it for investigation. `include_broken` (`--include-broken`)
purges it anyway once investigated, recording the chain as not verified and its first
break.

Each request is purged in its own transaction, its row locked, and the files removed
just before the commit: a failure leaves the request whole (its files may be gone) and
the next run purges it; a purged request is never purged again (`purged_at`).
"""
from __future__ import annotations

import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from dsar import audit
from dsar.audit.chain import GENESIS, BrokenLink, verify_chain
from dsar.extensions import db
from dsar.lifecycle import FINAL, Status
from dsar.models import (AlertSent, Attachment, Event, Message, Notice, OpenGdprRequest, Package, Pause, Request,
                         SubjectIdentity, Task, WebhookDelivery)
from dsar.retention.permit import PurgePermit

ACTOR = "retention"
FINISHED = tuple(sorted(s.value for s in FINAL))
BATCH = 200  # requests listed per query; each is still purged in its own transaction

# Every table whose rows belong to a request, and what the purge does with them.
PURGED_TABLES = {
    "subject_identities": "deleted",
    "messages": "deleted (those linked to the request)",
    "message_attachments": "deleted with their messages",
    "tasks": "deleted; system, action, status and outcome kept in the purge event",
    "alerts_sent": "deleted",
    "notices": "deleted; their number kept",
    "webhook_deliveries": "deleted",
    "packages": "deleted, and their files",
    "opengdpr_requests": "deleted",
    "events": "deleted through a purge permit; a new one-event chain records the purge",
    "purge_permits": "inserted and deleted within the purge's transaction",
    "pauses": "kept with their reason blanked (the clocks need the dates)",
    "requests": "kept with identifying fields blanked (links to related requests are ids)",
}

# What the purge blanks on the request row.
BLANKED = {"details": "", "corrections": None, "routing": {}, "rejection_reason": None,
           "extension_reason": None, "assignee": None, "language": None}


def _finished_at():
    return func.coalesce(Request.closed_at, Request.updated_at)


@dataclass(frozen=True)
class Due:
    """A request past retention: its id, reference, status and when it was closed."""

    id: int
    reference: str
    status: str
    closed_at: datetime


def cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def due(before: datetime, *, after_id: int = 0, limit: int = BATCH) -> list[Due]:
    """Finished, unpurged requests closed before `before`, by id after `after_id` (one batch)."""
    finished = _finished_at()
    rows = db.session.execute(
        select(Request.id, Request.reference, Request.status, finished.label("closed_at"))
        .where(Request.status.in_(FINISHED), Request.purged_at.is_(None), finished < before,
               Request.id > after_id)
        .order_by(Request.id).limit(limit)
    )
    return [Due(*row) for row in rows]


def stale_rejections(before: datetime) -> int:
    """Rejected requests never closed whose rejection is older than `before`: not purged."""
    return db.session.scalar(
        select(func.count()).select_from(Request)
        .where(Request.status == Status.REJECTED.value, Request.purged_at.is_(None),
               func.coalesce(Request.answered_at, Request.updated_at) < before))


@dataclass
class Holdings:
    """What a request still holds that a purge removes."""

    identities: int = 0
    messages: int = 0
    attachments: int = 0
    events: int = 0
    tasks: int = 0
    pauses: int = 0
    notices: int = 0
    packages: int = 0
    webhook_deliveries: int = 0
    alerts: int = 0
    opengdpr: int = 0
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: value for name, value in vars(self).items() if name != "files"} | {"files": len(self.files)}

    def describe(self) -> str:
        """'2 identities, 3 messages, …': the five the operator always sees, then the others held."""
        always = ("identities", "messages", "events", "tasks", "files")
        counts = self.counts()
        shown = [(name, counts[name]) for name in always]
        shown += [(name, n) for name, n in counts.items() if name not in always and n]
        return ", ".join(f"{n} {_noun(name, n)}" for name, n in shown)


_SINGULAR = {"identities": "identity", "pauses": "pause reason", "webhook_deliveries": "webhook delivery",
             "opengdpr": "OpenGDPR instruction", "alerts": "alert sent"}
_PLURAL = {"pauses": "pause reasons", "webhook_deliveries": "webhook deliveries",
           "opengdpr": "OpenGDPR instructions", "alerts": "alerts sent"}


def _noun(name: str, count: int) -> str:
    if count == 1:
        return _SINGULAR.get(name, name.removesuffix("s"))
    return _PLURAL.get(name, name)


def _count(model, *where):
    return select(func.count()).select_from(model).where(*where).scalar_subquery()


def holdings(request_id: int, reference: str) -> Holdings:
    """Count what `request_id` holds (one query) and list its files."""
    of_request = select(Message.id).where(Message.request_id == request_id)
    row = db.session.execute(select(
        _count(SubjectIdentity, SubjectIdentity.request_id == request_id),
        _count(Message, Message.request_id == request_id),
        _count(Attachment, Attachment.message_id.in_(of_request)),
        _count(Event, Event.request_id == request_id),
        _count(Task, Task.request_id == request_id),
        _count(Pause, Pause.request_id == request_id, Pause.reason != ""),
        _count(Notice, Notice.request_id == request_id),
        _count(Package, Package.request_id == request_id),
        _count(WebhookDelivery, WebhookDelivery.request_id == request_id),
        _count(AlertSent, AlertSent.request_id == request_id),
        _count(OpenGdprRequest, OpenGdprRequest.request_id == request_id),
    )).one()
    package_paths = db.session.scalars(select(Package.path).where(Package.request_id == request_id)).all()
    return Holdings(*row, files=_files(reference, package_paths))


def _export_root() -> Path:
    return Path(current_app.config["EXPORT_DIR"]).resolve()


def _files(reference: str, package_paths: list[str]) -> list[Path]:
    """The request's export folder's files and its packages' files, all inside EXPORT_DIR
    (neither a link nor a path stored in a row sends the purge elsewhere)."""
    root = _export_root()
    files: list[Path] = []
    folder = root / reference
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        # Raised before anything is removed: the request stays whole until someone looks.
        raise OSError(f"{folder} is not a plain folder (a link?): not followed")
    if folder.is_dir():
        files += sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    for stored in package_paths:
        path = (root / stored).resolve()
        if path.is_relative_to(root) and path.is_file() and path not in files:
            files.append(path)
    return files


def _remove_files(reference: str, files: list[Path]) -> None:
    for path in files:
        path.unlink(missing_ok=True)
    folder = _export_root() / reference
    if folder.is_dir():
        shutil.rmtree(folder)


class ChainBroken(Exception):
    """The request's audit chain does not verify: kept for investigation."""

    def __init__(self, link: BrokenLink):
        super().__init__(str(link))
        self.link = link


@dataclass(frozen=True)
class Purged:
    reference: str
    closed_at: datetime
    holdings: Holdings
    chain_verified: bool


def purge_request(request_id: int, now: datetime, *, before: datetime, include_broken: bool = False) -> Purged | None:
    """Purge one request in its own transaction (committed here).

    Returns None when it is no longer due (purged meanwhile, or not finished); raises
    ChainBroken (nothing changed) when its chain is broken and `include_broken` is off.
    """
    finished = _finished_at()
    try:
        # Locked, so no event can join the chain between its check and its removal.
        request = db.session.scalars(
            select(Request).where(Request.id == request_id, Request.status.in_(FINISHED),
                                  Request.purged_at.is_(None), finished < before)
            .with_for_update().execution_options(populate_existing=True)
        ).one_or_none()
        if request is None:
            db.session.rollback()
            return None
        reference, closed_at = request.reference, request.closed_at or request.updated_at
        broken = verify_chain(request.id, reference)
        if broken is not None and not include_broken:
            raise ChainBroken(broken)
        held = holdings(request.id, reference)
        head = db.session.scalar(select(Event.hash).where(Event.request_id == request.id)
                                 .order_by(Event.seq.desc()).limit(1)) or GENESIS
        tasks = [{"system": t.system_id, "action": t.action, "status": t.status, "outcome": t.outcome}
                 for t in db.session.execute(select(Task.system_id, Task.action, Task.status, Task.outcome)
                                             .where(Task.request_id == request.id).order_by(Task.id))]
        _delete_records(request.id)
        _replace_chain(request, now, {
            "purged_on": now.date().isoformat(),
            "closed_on": closed_at.date().isoformat(),
            "events_removed": held.events,
            "previous_head": head,
            "previous_chain_verified": broken is None,
            **({"previous_chain_break": f"event #{broken.seq}: {broken.problem}"} if broken else {}),
            "removed": {k: v for k, v in held.counts().items() if k != "events"},
            "tasks": tasks,
        })
        for name, value in BLANKED.items():
            setattr(request, name, value)
        # Not a hash of any token (those are 64 hex digits): the status page finds nothing.
        request.status_token_hash = "purged:" + secrets.token_hex(28)
        request.purged_at = request.updated_at = now
        db.session.flush()
        _remove_files(reference, held.files)  # last: a failure above leaves the files in place
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return Purged(reference, closed_at, held, broken is None)


def _delete_records(request_id: int) -> None:
    """Delete the rows that belong to the request (PURGED_TABLES), children first."""
    keep_session = {"synchronize_session": False}  # the rows are gone; nothing in the session uses them
    for statement in (
        delete(Notice).where(Notice.request_id == request_id),
        delete(WebhookDelivery).where(WebhookDelivery.request_id == request_id),
        delete(AlertSent).where(AlertSent.request_id == request_id),
        delete(Package).where(Package.request_id == request_id),
        delete(OpenGdprRequest).where(OpenGdprRequest.request_id == request_id),
        delete(Attachment).where(Attachment.message_id.in_(select(Message.id).where(Message.request_id == request_id))),
        delete(Message).where(Message.request_id == request_id),
        delete(Task).where(Task.request_id == request_id),
        delete(SubjectIdentity).where(SubjectIdentity.request_id == request_id),
        update(Pause).where(Pause.request_id == request_id).values(reason=""),
    ):
        db.session.execute(statement.execution_options(**keep_session))


def _replace_chain(request: Request, now: datetime, data: dict) -> None:
    """Remove the request's events under a permit, then start its new chain with `purged`."""
    db.session.execute(insert(PurgePermit).values(request_id=request.id, granted_at=now))
    db.session.execute(delete(Event).where(Event.request_id == request.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(PurgePermit).where(PurgePermit.request_id == request.id))
    audit.record(request, actor=ACTOR, kind="purged", at=now, data=data, chain_head=(0, GENESIS))
