"""The processor report goes to the client controller once its request is fulfilled.

When a request of a client controller (not the operator's own) becomes fulfilled or
partially fulfilled, in the same transaction as that change: an email to the
controller's contact address with the report as readable text (`processor_report.txt`,
per system what was found, exported, corrected, restricted, suppressed, erased, blocked
by retention or not found, with times, and whether the processor SLA was met), and, if
the controller configured a webhook, the report as JSON in a signed POST
(`webhooks.owe`). Both are sent by the background duties moments after the change
commits; neither exists if it rolls back. A request finished by hand after a partial
fulfilment sends the updated report again.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from dsar.answers import processor_report, webhooks
from dsar.answers.finished import when_finished
from dsar.extensions import db
from dsar.mail import outbox
from dsar.models import Message, Request, WebhookDelivery

log = logging.getLogger(__name__)

KIND = "processor_report"
TEMPLATE = "processor_report"
# The report's outcome words as the email says them, in the order of the list.
OUTCOME_WORDS = {
    "found": "found", "exported": "exported", "rectified": "corrected", "restricted": "restricted",
    "suppressed": "suppressed", "erased": "erased", "erasure_scheduled": "erasure scheduled by the vendor",
    "blocked_by_retention": "blocked by retention", "not_found": "not found",
    "not_supported": "not supported by the system",
}

ACTION_WORDS = {"access": "search", "export": "export", "rectify": "rectification", "erase": "erasure",
                "restrict": "restriction", "suppress": "suppression"}


@when_finished
def _on_finished(request: Request, tasks, at: datetime) -> None:
    controller = request.controller
    if controller is None or controller.is_operator:
        return  # the operator's own requests: its staff read the request page
    tasks()  # brought up to date, for the report to show every task as it ended
    owe_report(request)


def owe_report(request: Request) -> tuple[Message | None, WebhookDelivery | None]:
    """Queue the report's email and, with a webhook configured, its signed POST, in the
    caller's transaction (its tasks up to date in the session). The caller commits."""
    report = processor_report.build(request)
    controller = request.controller
    message = None
    try:
        message = outbox.queue_to_staff(controller.contact_email, TEMPLATE, request=request,
                                        controller=controller, report=report, systems=_readable(report),
                                        outcome_words=OUTCOME_WORDS)
    except outbox.UnsafeAddress:  # the register checks addresses: only a hand-edited row gets here
        log.error("processor report of %s: the contact of %s is not one address", request.reference, controller.id)
    delivery = webhooks.owe(request.id, KIND, controller.webhook_url, report) if controller.webhook_url else None
    return message, delivery


def _readable(report: dict) -> list[dict]:
    """The report's systems grouped for reading: one entry per system, its actions in order."""
    systems: dict[str, dict] = {}
    for entry in report["systems"]:
        system = systems.setdefault(entry["system"], {
            "id": entry["system"], "name": entry["name"], "processor": entry["processor"],
            "location": entry["location"], "actions": []})
        counts = ", ".join(f"{n} {OUTCOME_WORDS.get(o, o)}" for o, n in entry["counts"].items())
        system["actions"].append({**entry, "action_text": ACTION_WORDS.get(entry["action"], entry["action"]),
                                  "outcome_text": OUTCOME_WORDS.get(entry["outcome"] or "", None),
                                  "counts_text": counts,
                                  "started": _when(entry["started_at"]), "finished": _when(entry["finished_at"])})
    return list(systems.values())


def _when(iso: str | None) -> str | None:
    """An ISO time as "2026-11-23 16:40 UTC" (the times are stored in UTC)."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def deliveries(request: Request) -> list[dict]:
    """The report's deliveries for `request`, newest first, for the staff page: the
    emails (with their delivery state) and the webhook POSTs (status, attempts, error)."""
    emails = db.session.scalars(select(Message).where(Message.request_id == request.id,
                                                      Message.direction == "out", Message.template == TEMPLATE)
                                .order_by(Message.id.desc()))
    posts = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.request_id == request.id,
                                                             WebhookDelivery.kind == KIND)
                               .order_by(WebhookDelivery.id.desc()))
    return ([{"channel": "email", "to": m.recipients, "at": m.at, "status": m.delivery, "error": m.delivery_error}
             for m in emails]
            + [{"channel": "webhook", "to": w.url, "at": w.created_at, "status": w.status, "attempts": w.attempts,
                "error": w.last_error} for w in posts])
