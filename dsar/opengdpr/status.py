"""An OpenGDPR request's status, as the spec names it, and the signed callbacks on each change.

Our statuses map onto the spec's four (§8):
- pending: received, awaiting verification, verified, routed, forwarded, approved
  (and unroutable): the instruction is in, nothing acted on yet;
- in_progress: in fulfilment, partially fulfilled (a task failed: staff finish it);
- completed: fulfilled, answered, closed;
- cancelled: cancelled, rejected, duplicate.

When a request with an OpenGDPR instruction changes to a status that maps differently
from the last one told, every status callback URL is owed one delivery
(dsar.answers.webhooks: signed, retried, in order) in the same transaction, with the
status fields plus `status_callback_url` (§8.6).
"""
from __future__ import annotations

from datetime import datetime, time, timezone

from sqlalchemy import select

from dsar import audit
from dsar.answers import webhooks
from dsar.extensions import db
from dsar.models import OpenGdprRequest, Request
from dsar.public.links import public_url
from dsar.requests import service
from dsar.timeutil import now as current_time

PENDING, IN_PROGRESS, COMPLETED, CANCELLED = "pending", "in_progress", "completed", "cancelled"
STATUS_OF = {
    "received": PENDING, "awaiting_verification": PENDING, "verified": PENDING, "routed": PENDING,
    "forwarded": PENDING, "approved": PENDING, "unroutable": PENDING,
    "in_fulfilment": IN_PROGRESS, "partially_fulfilled": IN_PROGRESS,
    "fulfilled": COMPLETED, "answered": COMPLETED, "closed": COMPLETED,
    "cancelled": CANCELLED, "rejected": CANCELLED, "duplicate": CANCELLED,
}
# Types whose results a controller reads: the processor report of what was exported.
RESULT_TYPES = ("access", "portability")
CALLBACK_KIND = "opengdpr_status"
CHANNEL = "opengdpr"  # the channel of every request an instruction files


def rfc3339(moment: datetime) -> str:
    """UTC, whole seconds, with a Z: the form the spec's examples use."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def expected_completion(request: Request) -> datetime:
    """The end of the processor SLA's due day, in the controller's time zone; for a
    request the operator processes as controller, the end of the statutory month."""
    clocks = service.clocks_of(request)
    clock = clocks.get("processor_sla") or clocks["statutory"]
    controller = request.controller or service.operator_controller()
    if clock.due is None:  # paused, waiting for the subject: the month so far
        return current_time()
    return datetime.combine(clock.due, time(23, 59, 59), tzinfo=controller.calendar.zone)


def results_url(row: OpenGdprRequest, request: Request, status: str) -> str | None:
    """Where the controller reads what was done (our processor report), once completed."""
    if row.request_type not in RESULT_TYPES or status != COMPLETED:
        return None
    return public_url("answers_api.read_processor_report", reference=request.reference)


def status_body(row: OpenGdprRequest, request: Request, status: str | None = None) -> dict:
    """The status fields of §8.3 (GET) and §8.6 (callbacks, with status_callback_url added)."""
    status = status or STATUS_OF.get(request.status, PENDING)
    body = {
        "controller_id": row.controller_id,
        "expected_completion_time": rfc3339(expected_completion(request)),
        "subject_request_id": row.id,
        "request_status": status,
        "api_version": row.api_version,
    }
    if url := results_url(row, request, status):
        body["results_url"] = url
    return body


@audit.on_status_change
def owe_callbacks(request, from_status: str | None, to_status: str, at: datetime) -> None:
    """Owe each callback URL the new status when it changed in the spec's terms.

    Runs on every status change of every request, so it stays cheap: no query when the
    change keeps the same OpenGDPR status (most do), when the request was just created
    (no instruction row exists yet), or when a loaded request did not come in through
    OpenGDPR (its channel says so); else one query on a unique index, without flushing
    the caller's pending changes early.
    """
    new = STATUS_OF.get(to_status)
    if from_status is None or new is None or STATUS_OF.get(from_status) == new:
        return
    if isinstance(request, Request) and request.channel != CHANNEL:
        return
    with db.session.no_autoflush:
        _owe(request, new)


def _owe(request, new: str) -> None:
    row = db.session.scalars(select(OpenGdprRequest).where(OpenGdprRequest.request_id == request.id)).one_or_none()
    if row is None or row.last_status == new:
        return
    row.last_status = new
    if not row.callback_urls:
        return
    if not isinstance(request, Request):  # only its id and reference: the row, for the clocks
        request = db.session.get(Request, request.id)
    body = status_body(row, request, new)
    for url in row.callback_urls:
        webhooks.owe(request.id, CALLBACK_KIND, url, {**body, "status_callback_url": url})
