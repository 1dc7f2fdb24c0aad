"""The states of a request and the actions that move it (DESIGN §4), in one table.

Every status change in dsar goes through `next_status`; nothing else writes
`Request.status`. A refused action raises `TransitionRefused`, which the API turns into
a 409 saying why.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Status(str, Enum):
    RECEIVED = "received"
    AWAITING_VERIFICATION = "awaiting_verification"
    VERIFIED = "verified"
    ROUTED = "routed"
    FORWARDED = "forwarded"
    APPROVED = "approved"
    IN_FULFILMENT = "in_fulfilment"
    FULFILLED = "fulfilled"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    ANSWERED = "answered"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DUPLICATE = "duplicate"
    UNROUTABLE = "unroutable"


S = Status
# Before a decision on the merits: the request may still be rejected, cancelled, merged.
UNDECIDED = frozenset({S.RECEIVED, S.AWAITING_VERIFICATION, S.VERIFIED, S.ROUTED, S.FORWARDED, S.UNROUTABLE})
FINAL = frozenset({S.CLOSED, S.CANCELLED, S.DUPLICATE})
# The subject has had the controller's answer (or refusal): the statutory clock is met.
ANSWERED_STATES = frozenset({S.ANSWERED, S.REJECTED, S.CLOSED})


@dataclass(frozen=True)
class Action:
    """An action: the states it may start from and the state it leads to (None: unchanged)."""

    name: str
    sources: frozenset[Status]
    target: Status | None
    why_refused: str  # completes "cannot <name> a <status> request: ..."


_OPEN = frozenset(Status) - FINAL
ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("request_information", frozenset({S.RECEIVED, S.VERIFIED, S.ROUTED, S.FORWARDED}),
           S.AWAITING_VERIFICATION, "information can only be asked before the request is approved"),
    Action("verify", frozenset({S.RECEIVED, S.AWAITING_VERIFICATION}), S.VERIFIED,
           "the identity was already established or the request is past verification"),
    Action("route", frozenset({S.VERIFIED, S.UNROUTABLE}), S.ROUTED,
           "only a verified or unroutable request can be routed"),
    Action("mark_unroutable", frozenset({S.VERIFIED}), S.UNROUTABLE,
           "only a verified request is checked for routing"),
    Action("forward", frozenset({S.ROUTED}), S.FORWARDED,
           "only a routed request can be forwarded to its controller"),
    Action("approve", frozenset({S.ROUTED, S.FORWARDED}), S.APPROVED,
           "only a verified, routed request can be approved; verify the identity first"),
    Action("start_fulfilment", frozenset({S.APPROVED, S.PARTIALLY_FULFILLED}), S.IN_FULFILMENT,
           "fulfilment starts from an approved request, or again to retry failed tasks"),
    # From partially_fulfilled: staff finished by hand what a task could not (recorded).
    Action("complete", frozenset({S.APPROVED, S.IN_FULFILMENT, S.PARTIALLY_FULFILLED}), S.FULFILLED,
           "only an approved request in fulfilment can be completed"),
    Action("complete_partially", frozenset({S.IN_FULFILMENT}), S.PARTIALLY_FULFILLED,
           "only a request in fulfilment can be partially fulfilled"),
    Action("answer", frozenset({S.FULFILLED, S.PARTIALLY_FULFILLED}), S.ANSWERED,
           "the subject is answered once fulfilment has finished"),
    Action("close", frozenset({S.ANSWERED, S.REJECTED}), S.CLOSED,
           "only an answered or rejected request can be closed"),
    Action("reject", UNDECIDED, S.REJECTED,
           "the request has already been decided on"),
    Action("cancel", UNDECIDED | {S.APPROVED}, S.CANCELLED,
           "a request in or past fulfilment cannot be cancelled"),
    Action("mark_duplicate", UNDECIDED, S.DUPLICATE,
           "only an undecided request can be merged into another"),
    # Attribute changes: allowed on any open request, status unchanged.
    Action("extend", _OPEN - ANSWERED_STATES, None, "the request is already answered or finished"),
    Action("resume", frozenset({S.AWAITING_VERIFICATION}), None,
           "the clock is only paused while waiting for the subject"),
    Action("assign", _OPEN, None, "the request is finished"),
    Action("note", frozenset(Status), None, ""),
]}


# Art. 12(5) (manifestly unfounded or excessive) and Art. 12(6)/11(2) (identity not
# established): the only grounds on which a controller may refuse to act.
REJECTION_GROUNDS = ("manifestly_unfounded", "excessive", "identity_not_established")


class TransitionRefused(Exception):
    """An action that the request's current state does not allow."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def next_status(action_name: str, current: str) -> Status:
    """Return the status `action_name` leads to from `current`, or raise TransitionRefused."""
    action = ACTIONS[action_name]
    status = Status(current)
    if status not in action.sources:
        raise TransitionRefused(
            f"cannot {action_name.replace('_', ' ')} a request that is {status.value.replace('_', ' ')}: "
            f"{action.why_refused}"
        )
    return action.target or status
