"""The actions the request page offers, and doing one from a submitted form.

`offered_actions` is the one place deciding which buttons a caller sees: an action is
offered when permissions.check_action allows it and the lifecycle lets it start from the
request's state. Doing it always goes through service.perform, which checks again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from dsar import lifecycle, permissions
from dsar.extensions import db
from dsar.models import Request
from dsar.permissions import Principal
from dsar.requests import service

logger = logging.getLogger(__name__)

# The actions of the request page, in the order shown, with their button label.
STAFF_ACTIONS = {
    "verify": "Verify identity",
    "request_information": "Ask the subject for information",
    "approve": "Approve",
    "reject": "Reject",
    "extend": "Extend by two months",
    "assign": "Assign",
    "mark_duplicate": "Merge as duplicate",
    "route": "Route to a controller",
    "forward": "Forward to the controller",
    "start_fulfilment": "Run the failed tasks again",
    "complete": "Mark as fulfilled (what the tasks could not do was done by hand)",
    "answer": "Answer the subject (email the outcome and the download links)",
    "cancel": "Cancel",
    "note": "Add a note",
    "reply": "Write to the subject",
}
# Not a lifecycle action: an email to the subject, recorded on the request (message_sent).
REPLY = "reply"
# What the subject is told, by email, after an action the law wants explained to them,
# in their language (the templates word the rejection grounds too: mail/rejection.txt).
# "forward": the operator passes the request to the client responsible for the data and
# the subject is redirected there (DESIGN §1), with the client's contact.
SUBJECT_TEMPLATES = {"request_information": "request_information", "reject": "rejection", "extend": "extension",
                     "forward": "redirection"}
# Form fields each action reads (all text; the service validates them).
FIELDS = {
    "verify": ("reason",), "request_information": ("reason",), "approve": ("instruction",),
    "reject": ("grounds", "reason"), "extend": ("reason",), "assign": ("assignee",),
    "mark_duplicate": ("duplicate_of", "reason"), "route": ("controller", "reason"),
    "forward": (), "start_fulfilment": (), "complete": ("summary",), "answer": (), "cancel": ("reason",), "note": ("text",), "reply": ("text",),
}


def offered_actions(principal: Principal, request: Request) -> list[str]:
    """The actions `principal` may take on `request` in its current state."""
    offered = []
    for name in STAFF_ACTIONS:
        if name == REPLY:
            # Writing to the subject is the controller's voice, on any request not yet final.
            if lifecycle.Status(request.status) not in lifecycle.FINAL and _allowed(principal, "request_information", request):
                offered.append(name)
            continue
        if lifecycle.Status(request.status) not in lifecycle.ACTIONS[name].sources:
            continue
        if name == "extend" and request.extended:
            continue
        if _allowed(principal, name, request):
            offered.append(name)
    return offered


def _allowed(principal: Principal, action: str, request: Request) -> bool:
    try:
        permissions.check_action(principal, action, request)
    except permissions.Forbidden:
        return False
    return True


def payload_from_form(action: str, form) -> dict:
    """The service payload of `action` from a submitted form (unknown fields ignored)."""
    payload = {name: form.get(name, "")[:5000] for name in FIELDS.get(action, ())}
    if action == "assign":
        payload["assignee"] = payload["assignee"].strip() or None
    return payload


@dataclass(frozen=True)
class Outcome:
    """What became of an action: done, or refused with a message and an HTTP status."""

    ok: bool
    message: str
    status: int = 200
    references: tuple[str, ...] = ()  # the requests it opened or joined, if any


def refusal(exc: Exception) -> Outcome:
    """The Outcome of a refused action: 403 not theirs, 422 bad input, 409 wrong state."""
    if isinstance(exc, permissions.Forbidden):
        return Outcome(False, str(exc), 403)
    if isinstance(exc, service.Invalid):
        return Outcome(False, exc.message, 422)
    if isinstance(exc, service.Unavailable):
        return Outcome(False, exc.message, 503)
    return Outcome(False, exc.message, 409)


def act(reference: str, action: str, principal: Principal, form) -> Outcome:
    """Perform `action` from a staff form; refusals come back as an Outcome, never raised.

    NotFound is raised (the page answers 404, as for an unknown reference).
    """
    if action not in STAFF_ACTIONS:
        raise service.NotFound(f"no action {action}")
    payload = payload_from_form(action, form)
    if action == REPLY:
        return _reply(reference, principal, payload["text"].strip())
    try:
        request = service.perform(reference, action, principal, payload)
    except (permissions.Forbidden, service.Invalid, service.Unavailable, lifecycle.TransitionRefused) as exc:
        db.session.rollback()  # nothing half-done stays in the session after a refusal
        return refusal(exc)
    note = ""
    if action == "forward":
        note = _redirect_subject(request)
    elif action in SUBJECT_TEMPLATES:
        note = _tell_subject(request, SUBJECT_TEMPLATES[action], reason=payload.get("reason", ""),
                             grounds=payload.get("grounds", ""), due=request.statutory_due)
    return Outcome(True, f"{STAFF_ACTIONS[action]}: done.{note}")


def _reply(reference: str, principal: Principal, text: str) -> Outcome:
    """Write to the subject of a request the caller may decide on."""
    request = service.get_request(reference, principal)
    if REPLY not in offered_actions(principal, request):
        return Outcome(False, "writing to the subject belongs to the controller, on an open request", 403)
    if not text:
        return Outcome(False, "the message's text is required", 422)
    return Outcome(True, f"{STAFF_ACTIONS[REPLY]}: done.{_tell_subject(request, 'reply', text=text)}")


def _redirect_subject(request: Request) -> str:
    """Tell the subject that their request went to the client responsible for their data.

    Only when the operator received it: a request the client itself sent us (via_controller)
    or one the operator answers as its own controller redirects no one.
    """
    controller = request.controller
    if controller is None or controller.is_operator or request.via_controller:
        return ""
    return _tell_subject(request, SUBJECT_TEMPLATES["forward"], controller=controller,
                         operator=service.operator_controller().name)


def _tell_subject(request: Request, template: str, **context) -> str:
    """Email the subject from `template`, in their language; say what happened."""
    from dsar.mail.outbox import UnsafeAddress, send_to_subject

    email = request.subject_email
    if email is None:
        return " The request names no email address: contact the subject another way."
    try:
        message = send_to_subject(request, template, to=email, **context)
    except UnsafeAddress:
        return " The subject's email address cannot be used: contact them another way."
    if message.delivery == "failed":
        return f" The email to {email} could not be sent ({message.delivery_error}); it is kept to be sent again."
    return f" The subject was emailed at {email}."
