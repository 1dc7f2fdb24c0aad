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
    "cancel": "Cancel",
    "note": "Add a note",
}
# Form fields each action reads (all text; the service validates them).
FIELDS = {
    "verify": ("reason",), "request_information": ("reason",), "approve": ("instruction",),
    "reject": ("grounds", "reason"), "extend": ("reason",), "assign": ("assignee",),
    "mark_duplicate": ("duplicate_of", "reason"), "route": ("controller", "reason"),
    "forward": (), "cancel": ("reason",), "note": ("text",),
}


def offered_actions(principal: Principal, request: Request) -> list[str]:
    """The actions `principal` may take on `request` in its current state."""
    offered = []
    for name in STAFF_ACTIONS:
        if lifecycle.Status(request.status) not in lifecycle.ACTIONS[name].sources:
            continue
        if name == "extend" and request.extended:
            continue
        try:
            permissions.check_action(principal, name, request)
        except permissions.Forbidden:
            continue
        offered.append(name)
    return offered


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
    return Outcome(False, exc.message, 409)


def act(reference: str, action: str, principal: Principal, form) -> Outcome:
    """Perform `action` from a staff form; refusals come back as an Outcome, never raised.

    NotFound is raised (the page answers 404, as for an unknown reference).
    """
    if action not in STAFF_ACTIONS:
        raise service.NotFound(f"no action {action}")
    payload = payload_from_form(action, form)
    try:
        request = service.perform(reference, action, principal, payload)
    except (permissions.Forbidden, service.Invalid, lifecycle.TransitionRefused) as exc:
        db.session.rollback()  # nothing half-done stays in the session after a refusal
        return refusal(exc)
    note = ""
    if action == "request_information":
        note = _ask_subject(request, payload["reason"])
    return Outcome(True, f"{STAFF_ACTIONS[action]}: done.{note}")


def _ask_subject(request: Request, reason: str) -> str:
    """Email the subject what information is needed (English template); say what happened."""
    from dsar.mail.outbox import UnsafeAddress, send_to_subject

    email = next((i.value for i in request.identities if i.kind == "email"), None)
    if email is None:
        return " The request names no email address: contact the subject another way."
    try:
        send_to_subject(request, "request_information", to=email, reason=reason)
    except UnsafeAddress:
        return " The subject's email address cannot be used: contact them another way."
    return f" The subject was emailed at {email}."
