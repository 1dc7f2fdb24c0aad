"""Who may see and do what: roles and tenant scope, checked in this one module.

Operators (operator roles, or a bot token without a controller) see every tenant; every
other principal sees only its controller's requests. Decisions on the merits belong to
the controller (GDPR Art. 28(3)(a): the processor acts on documented instructions), so a
client's request is decided by that client's people or bots; operators decide only for
the operator's own processing and for requests not yet routed. A data subject (proven by
the signed link emailed to them) sees and confirms their own request, nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select

from dsar.models import Request, Role

CONTROLLER_DECISIONS = frozenset({
    "request_information", "verify", "approve", "reject", "extend", "answer", "close",
    "cancel", "mark_duplicate",
})
OPERATOR_OPERATIONS = frozenset({"route", "forward", "start_fulfilment", "complete", "complete_partially"})
SHARED = frozenset({"assign", "note"})
# Confirming their email address is the one thing a subject does to their request.
SUBJECT_ACTIONS = frozenset({"verify"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    role: Role
    controller_id: str | None
    name: str

    @classmethod
    def subject(cls, reference: str) -> Principal:
        """The data subject of request `reference`."""
        return cls(Role.SUBJECT, None, reference)

    @property
    def is_subject(self) -> bool:
        return self.role is Role.SUBJECT

    @property
    def is_operator(self) -> bool:
        return self.controller_id is None and not self.is_subject

    @property
    def actor(self) -> str:
        if self.is_subject:
            return f"subject:{self.name}"
        scope = self.controller_id or "operator"
        return f"{self.role.value}:{scope}:{self.name}"


class Forbidden(Exception):
    """Visible to the caller but not theirs to do."""


def scope(principal: Principal, statement: Select) -> Select:
    """Restrict a query on Request to what `principal` may see."""
    if principal.is_subject:
        return statement.where(Request.reference == principal.name)
    if principal.is_operator:
        return statement
    return statement.where(Request.controller_id == principal.controller_id)


def can_see(principal: Principal, request: Request) -> bool:
    if principal.is_subject:
        return request.reference == principal.name
    return principal.is_operator or request.controller_id == principal.controller_id


def check_action(principal: Principal, action: str, request: Request) -> None:
    """Raise Forbidden unless `principal` may perform `action` on a request it can see."""
    if principal.is_subject:
        if action not in SUBJECT_ACTIONS or request.reference != principal.name:
            raise Forbidden(f"a data subject cannot {action.replace('_', ' ')} a request")
        return
    if action in SHARED:
        return
    if action in OPERATOR_OPERATIONS:
        if not principal.is_operator:
            raise Forbidden(f"only the operator can {action.replace('_', ' ')} a request")
        return
    if action in CONTROLLER_DECISIONS:
        if principal.is_operator and request.controller is not None and not request.controller.is_operator:
            raise Forbidden(
                f"{action.replace('_', ' ')} is the controller's decision; "
                f"{request.controller.name} decides on its own requests"
            )
        return
    raise Forbidden(f"unknown action {action!r}")


def check_create(principal: Principal, controller_id: str | None) -> None:
    """A controller-scoped caller can only file requests for its own controller; a subject
    files through the public form (whose own principal files it), never as themselves."""
    if principal.is_subject:
        raise Forbidden("a data subject files requests through the public form")
    if not principal.is_operator and controller_id not in (None, principal.controller_id):
        raise Forbidden("a controller's token can only create requests for that controller")
