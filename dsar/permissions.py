"""Who may see and do what: roles and tenant scope, checked in this one module.

Operators (operator roles, or a bot token without a controller) see every tenant; every
other principal sees only its controller's requests. Decisions on the merits belong to
the controller (GDPR Art. 28(3)(a): the processor acts on documented instructions), so a
client's request is decided by that client's people or bots; operators decide only for
the operator's own processing and for requests not yet routed.
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


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    role: Role
    controller_id: str | None
    name: str

    @property
    def is_operator(self) -> bool:
        return self.controller_id is None

    @property
    def actor(self) -> str:
        scope = self.controller_id or "operator"
        return f"{self.role.value}:{scope}:{self.name}"


class Forbidden(Exception):
    """Visible to the caller but not theirs to do."""


def scope(principal: Principal, statement: Select) -> Select:
    """Restrict a query on Request to what `principal` may see."""
    if principal.is_operator:
        return statement
    return statement.where(Request.controller_id == principal.controller_id)


def can_see(principal: Principal, request: Request) -> bool:
    return principal.is_operator or request.controller_id == principal.controller_id


def check_action(principal: Principal, action: str, request: Request) -> None:
    """Raise Forbidden unless `principal` may perform `action` on a request it can see."""
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
    """A controller-scoped caller can only file requests for its own controller."""
    if not principal.is_operator and controller_id not in (None, principal.controller_id):
        raise Forbidden("a controller's token can only create requests for that controller")
