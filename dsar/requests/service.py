"""Creating requests and acting on them: the only code that changes a request's state.

Every change is checked against the lifecycle table, recorded as an audit event with
its actor, and committed here; views and jobs call these functions and never write
`Request.status` themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import g
from sqlalchemy import select

from dsar import audit, lifecycle, permissions
from dsar.audit.chain import GENESIS
from dsar.extensions import db
from dsar.identities import normalize
from dsar.lifecycle import Status, TransitionRefused
from dsar.models import Controller, Message, Pause, Request, SubjectIdentity
from dsar.models.rights import to_mask
from dsar.permissions import Principal
from dsar.requests.clocks import request_clocks, urgency
from dsar.requests.references import is_reference, new_reference, new_status_token
from dsar.routing import RoutingInput, decide
from dsar.fulfilment import plan as fulfilment_plan
from dsar.timeutil import now as current_time
from dsar.clocks import extension_allowed


class NotFound(Exception):
    """No such request, or not one the caller may see (the same answer, on purpose)."""


class Unavailable(Exception):
    """The action is sound but something it needs failed on our side (a package could
    not be stored…); nothing was recorded, and it can be tried again."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Invalid(Exception):
    """An action's input that is well-formed but not acceptable here."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field_name


@dataclass
class NewRequest:
    rights: list[str]
    identities: list[tuple[str, str]]
    channel: str = "api"
    controller_id: str | None = None
    details: str = ""
    corrections: dict | None = None
    language: str | None = None
    received_at: datetime | None = None
    identity_verified: bool = False
    recipients: list[str] = field(default_factory=list)
    form: str | None = None
    # The inbound email that asked, linked to the original request in the same commit.
    message: Message | None = None


def operator_controller(loaded: list[Controller] | None = None) -> Controller:
    """The operator's own controller row, read once per app context (per HTTP request).

    `loaded` spares the query when the caller already holds every controller row.
    """
    if "dsar_operator" not in g:
        g.dsar_operator = (next(c for c in loaded if c.is_operator) if loaded else
                           db.session.scalars(select(Controller).where(Controller.is_operator)).one())
    return g.dsar_operator


# The same person asking the same thing within this many days is probably asking twice
# (a form resubmitted, an email then the form): triage decides whether to merge.
DUPLICATE_WINDOW = timedelta(days=14)


def _earlier_requests(data: NewRequest, now: datetime) -> list[Request]:
    """Open requests of the last DUPLICATE_WINDOW by the same email asking any same right."""
    emails = {normalize(kind, value) for kind, value in data.identities if kind == "email"}
    if not emails:
        return []
    statement = (
        select(Request).join(SubjectIdentity)
        .where(SubjectIdentity.kind == "email", SubjectIdentity.normalized.in_(emails),
               Request.received_at >= now - DUPLICATE_WINDOW,
               Request.status.not_in([s.value for s in lifecycle.FINAL]),
               Request.rights_mask.op("&")(to_mask(data.rights)) != 0)
        .order_by(Request.received_at.desc(), Request.id.desc()).limit(20)
    )
    return list(db.session.scalars(statement).unique())


def _touch(request: Request, operator: Controller, at: datetime) -> None:
    request.updated_at = at
    request.urgency_on, request.statutory_due = urgency(request_clocks(request, operator, at))


def create_request(data: NewRequest, principal: Principal, *, now: datetime | None = None) -> list[Request]:
    """File a request; route it; split it when several controllers hold data.

    Returns the requests created (the original first). The caller's own controller, if
    its token is scoped to one, is the controller: the client instructing us (flow 3).
    """
    now = now or current_time()
    permissions.check_create(principal, data.controller_id)
    controllers = list(db.session.scalars(select(Controller).order_by(Controller.id)))
    by_id = {c.id: c for c in controllers}
    operator = operator_controller(controllers)
    if data.controller_id is not None and data.controller_id not in by_id:
        raise Invalid(f"unknown controller {data.controller_id!r}", "controller")
    if data.received_at is not None and data.received_at > now:
        raise Invalid("received_at is in the future", "received_at")

    identities: dict[str, list[str]] = {}
    for kind, value in data.identities:
        identities.setdefault(kind, []).append(normalize(kind, value))
    decision = decide(
        RoutingInput(
            caller_controller_id=principal.controller_id,
            named_controller_id=data.controller_id if principal.is_operator else None,
            recipients=data.recipients, form=data.form, text=data.details, identities=identities,
        ),
        controllers,
    )
    via_controller = principal.controller_id is not None
    earlier = _earlier_requests(data, now)
    targets: list[str | None] = list(decision.controller_ids) or [None]
    created: list[Request] = []
    for controller_id in targets:
        status_token, status_token_hash = new_status_token()
        request = Request(
            reference=new_reference(), status_token_hash=status_token_hash,
            controller=by_id.get(controller_id) if controller_id else None,
            controller_id=controller_id, status=Status.RECEIVED.value, rights=data.rights,
            channel=data.channel, language=data.language, details=data.details,
            corrections=data.corrections, via_controller=via_controller,
            routing=decision.as_dict(), received_at=data.received_at or now, created_at=now,
            # The client's request reaching us is its instruction: the processor SLA starts.
            instructed_at=now if via_controller else None,
            parent=created[0] if created else None, pauses=[],
            identities=[SubjectIdentity(kind=k, value=v.strip(), normalized=normalize(k, v))
                        for k, v in data.identities],
            suspected_duplicate_of=next((r for r in earlier if r.controller_id == controller_id), None),
        )
        # Shown once to the subject (in the acknowledgement); only its hash is stored.
        request.status_token = status_token
        db.session.add(request)
        created.append(request)
    if data.message is not None:
        data.message.request = created[0]
    for request in created:
        steps = [("received", None, Status.RECEIVED.value, {
            "channel": data.channel, "rights": request.rights, "routing": decision.as_dict(),
            **({"split_from": created[0].reference} if request is not created[0] else {}),
            **({"split_into": [r.reference for r in created[1:]]} if len(created) > 1 and request is created[0] else {}),
            **({"suspected_duplicate_of": request.suspected_duplicate_of.reference}
               if request.suspected_duplicate_of else {}),
        })]
        if data.identity_verified:
            request.verification = "verified"
            routing_action = "route" if request.controller_id else "mark_unroutable"
            for action, payload in (("verify", {"reason": "identity verified by the caller"}),
                                    (routing_action, {"routing": decision.as_dict()})):
                before = request.status
                request.status = lifecycle.next_status(action, before).value
                steps.append((action, before, request.status, payload))
        request.updated_at = now
        _touch(request, operator, now)  # before the INSERT, so no UPDATE follows it
        # Events hash the reference, not the id: they go out in the same flush as the request.
        head = (0, GENESIS)
        for kind, before, after, payload in steps:
            event = audit.record(request, actor=principal.actor, kind=kind, at=now, data=payload,
                                 from_status=before, to_status=after, chain_head=head)
            head = (event.seq, event.hash)
    db.session.commit()
    return created


def attach_message(request: Request, message: Message, principal: Principal, *, chaser: bool = False,
                   now: datetime | None = None, extra: dict | None = None) -> Request:
    """Join an inbound `message` to `request`: one audit event there, and for a reminder
    (chaser) the request remembers when it was chased. Does not commit: the caller
    commits the message and this together."""
    now = now or current_time()
    request = db.session.scalars(
        select(Request).where(Request.id == request.id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    message.request = request
    if chaser:
        request.chased_at = request.updated_at = now
    audit.record(request, actor=principal.actor, kind="chaser" if chaser else "message_received", at=now, data={
        "message": message.id, "message_id": message.message_id, "from": message.sender,
        "subject": message.subject[:300], "disposition": message.disposition, **(extra or {}),
    })
    return request


def get_request(reference: str, principal: Principal, *, for_update: bool = False) -> Request:
    if not is_reference(reference):
        raise NotFound(f"no request {reference[:40]!r}: references look like DSR-7K3M-9QXP")
    statement = permissions.scope(principal, select(Request).where(Request.reference == reference))
    if for_update:
        # populate_existing: a row already in the session is re-read under the lock, so
        # two concurrent actions see each other's result instead of a stale status.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    request = db.session.scalars(statement).one_or_none()
    if request is None:
        raise NotFound(f"no request {reference}")
    return request


def _require(payload: dict, key: str, what: str) -> str:
    value = (payload.get(key) or "").strip() if isinstance(payload.get(key), str) else ""
    if not value:
        raise Invalid(f"{what} is required", key)
    return value


def perform(reference: str, action: str, principal: Principal, payload: dict | None = None, *,
            now: datetime | None = None) -> Request:
    """Perform `action` on the request `reference` as `principal`.

    Raises NotFound (invisible to the caller), permissions.Forbidden, Invalid, or
    TransitionRefused (the request's state does not allow it).
    """
    now = now or current_time()
    payload = payload or {}
    if action not in lifecycle.ACTIONS:
        raise Invalid(f"unknown action {action!r}", "action")
    request = get_request(reference, principal, for_update=True)
    permissions.check_action(principal, action, request)
    operator = operator_controller()
    before = request.status
    after = lifecycle.next_status(action, before)
    data: dict = {}
    followups: list[tuple[str, str]] = []  # automatic next steps, recorded as their own events
    planned: list = []  # fulfilment tasks to hand out once committed (approve, start_fulfilment)

    if action == "request_information":
        data["reason"] = _require(payload, "reason", "what information is needed")
        request.pauses.append(Pause(started_at=now, reason=data["reason"]))
        request.verification = "pending"
    elif action == "verify":
        data["reason"] = (payload.get("reason") or "identity confirmed").strip()
        for pause in request.pauses:
            if pause.ended_at is None:
                pause.ended_at = now  # the month runs again from today (EDPB §159, ICO)
                data["clock_resumed"] = True
        request.verification = "verified"
        followups.append(("route", "route") if request.controller_id else ("mark_unroutable", "mark_unroutable"))
    elif action == "route":
        controller_id = payload.get("controller") or request.controller_id
        controller = db.session.get(Controller, controller_id) if isinstance(controller_id, str) else None
        if controller is None:
            raise Invalid("an existing controller id is required to route this request", "controller")
        request.controller, request.controller_id = controller, controller.id
        request.routing = {"controllers": [controller.id], "rule": "operator",
                           "reason": payload.get("reason") or f"routed by {principal.name}"}
        data["controller"] = controller.id
    elif action == "forward":
        request.forwarded_at = now
        data["to"] = request.controller.contact_email if request.controller else None
    elif action == "approve":
        data["instruction"] = (payload.get("instruction") or "").strip() or "fulfil the request as asked"
        request.instructed_at = request.instructed_at or now
        followups.append(("start_fulfilment", "start_fulfilment"))
    elif action == "start_fulfilment":  # again: the failed tasks, and any the register added since
        requeued = _requeue_failed(request)
        planned = fulfilment_plan.plan_tasks(request, now)
        data.update(retried=len(requeued), tasks=len(planned))
        planned += requeued
    elif action in ("complete", "complete_partially"):
        request.fulfilled_at = now
        data["summary"] = payload.get("summary") or ""
    elif action == "answer":
        request.answered_at = now
    elif action == "reject":
        grounds = payload.get("grounds")
        if grounds not in lifecycle.REJECTION_GROUNDS:
            raise Invalid(f"grounds must be one of: {', '.join(lifecycle.REJECTION_GROUNDS)}", "grounds")
        data.update(grounds=grounds, reason=_require(payload, "reason", "the reasons given to the subject"))
        request.rejection_reason = data["reason"]
        request.answered_at = now  # Art. 12(4): the refusal is the answer, due within the month
    elif action == "close":
        request.closed_at = now
    elif action in ("cancel", "mark_duplicate"):
        data["reason"] = _require(payload, "reason", "a reason")
        if action == "mark_duplicate":
            original = get_request(_require(payload, "duplicate_of", "the reference of the original"), principal)
            if original.id == request.id:
                raise Invalid("a request cannot duplicate itself", "duplicate_of")
            request.duplicate_of_id = original.id
            data["duplicate_of"] = original.reference
        request.closed_at = now
    elif action == "extend":
        data["reason"] = _require(payload, "reason", "the reasons for the extension, told to the subject")
        if request.extended:
            raise TransitionRefused("the deadline was already extended; GDPR Art. 12(3) allows one extension of two months")
        calendar = (request.controller or operator).calendar
        pauses = [(p.started_at, p.ended_at) for p in request.pauses]
        if not extension_allowed(calendar, request.received_at, pauses=pauses, now=now):
            first = request_clocks(request, operator, now)["statutory"]
            raise TransitionRefused(
                "an extension must be decided and told to the subject within the first month "
                f"(Art. 12(3)); {'the clock is paused' if first.due is None else 'that month ended on ' + first.due.isoformat()}"
            )
        request.extended, request.extension_reason = True, data["reason"]
    elif action == "assign":
        assignee = payload.get("assignee")
        if assignee is not None and (not isinstance(assignee, str) or not assignee.strip()):
            raise Invalid("assignee must be a name, or null to unassign", "assignee")
        request.assignee = assignee.strip() if assignee else None
        data["assignee"] = request.assignee
    elif action == "note":
        data["text"] = _require(payload, "text", "the note's text")

    request.status = after.value
    event = audit.record(request, actor=principal.actor, kind=action, at=now, data=data,
                         from_status=before if after.value != before else None,
                         to_status=after.value if after.value != before else None)
    head = (event.seq, event.hash)
    for kind, followup in followups:
        nxt = lifecycle.next_status(followup, request.status)
        if followup == "start_fulfilment":
            planned = fulfilment_plan.plan_tasks(request, now)
            followup_data = {"tasks": len(planned)}
        else:
            followup_data = {"routing": request.routing}
        event = audit.record(request, actor=principal.actor, kind=kind, at=now,
                             data=followup_data, from_status=request.status,
                             to_status=nxt.value, chain_head=head)
        head = (event.seq, event.hash)
        request.status = nxt.value
    answered = None
    if action == "answer":  # the packages go on record with the answer, or neither does
        from dsar.answers import answering

        try:
            answered = answering.prepare(request, principal, now, finished_as=before)
        except answering.PackageFailed as exc:
            db.session.rollback()
            raise Unavailable(f"{exc}; the request was not answered, try again once it is fixed") from exc
    _touch(request, operator, now)
    db.session.flush()
    task_ids = [t.id for t in planned]  # before the commit expires them (one SELECT each after)
    db.session.commit()
    if answered is not None:
        answering.deliver(request, answered)  # the exports dropped, the subject emailed
    if request.status == Status.IN_FULFILMENT.value and action in ("approve", "start_fulfilment"):
        _run_tasks(request, task_ids, now)
    return request


def complete_fulfilment(request: Request, action: str, principal: Principal, summary: str, *, now: datetime,
                        chain_head: tuple[int, str] | None = None):
    """`perform(reference, action, principal, {"summary": summary})` for "complete" or
    "complete_partially", on a request the caller has already locked (SELECT ... FOR
    UPDATE) in this transaction: the same transition, audit event and clocks, without
    reading the request again. The caller commits. `chain_head` is the (seq, hash) of the
    request's last event when the caller knows it. Returns the event."""
    if action not in ("complete", "complete_partially"):
        raise ValueError(f"complete_fulfilment cannot {action}")
    permissions.check_action(principal, action, request)
    before = request.status
    after = lifecycle.next_status(action, before)
    request.fulfilled_at = now
    request.status = after.value
    event = audit.record(request, actor=principal.actor, kind=action, at=now, data={"summary": summary},
                         from_status=before if after.value != before else None,
                         to_status=after.value if after.value != before else None, chain_head=chain_head)
    # The operator's row is only read by the clocks of a request with no controller.
    controller = request.controller
    _touch(request, controller if controller is not None and controller.is_operator else operator_controller(), now)
    return event


def request_tasks(request: Request) -> list:
    from dsar.models import Task

    return list(db.session.scalars(select(Task).where(Task.request_id == request.id).order_by(Task.id)))


def _requeue_failed(request: Request) -> list:
    """An operator retries fulfilment: failed tasks are queued again from scratch."""
    failed = [t for t in request_tasks(request) if t.status == "failed"]
    for task in failed:
        task.status, task.attempts, task.error, task.next_attempt_at, task.lease_until = "queued", 0, None, None, None
    return failed


def _run_tasks(request: Request, task_ids: list[int], now: datetime) -> None:
    """Hand the committed tasks to the runners; with nothing to do, fulfilment is complete."""
    from dsar.fulfilment import queue
    from dsar.fulfilment.runner import FULFILMENT

    if task_ids:
        queue.enqueue(task_ids)
    elif not any(t.status not in ("done", "failed") for t in request_tasks(request)):
        perform(request.reference, "complete", FULFILMENT,
                {"summary": "no system of this controller's register is in scope"}, now=now)


def clocks_of(request: Request, now: datetime | None = None) -> dict:
    return request_clocks(request, operator_controller(), now or current_time())
