"""`manual`: a system with no API, fulfilled by its owner by hand (DESIGN §8).

Every action emails the system's `owner_email` a task: what to do in plain words, the
subject's identities the system is searched by, the corrections for a rectification,
the request's reference and due date, and a signed link to a small form
(`dsar.fulfilment.manual_views`) where the owner reports the outcome. The task then
waits; the form's report settles it through `runner.report`.

The link is signed with the app's SECRET_KEY (a salt of its own, so no other token of
the app can stand in for it) and carries the task id and which run of it emailed it
(attempt and claim time): a task run again sends a new link and the old one stops
working. It expires after LINK_MAX_AGE.

The email is stored before SMTP is tried (`outbox.send_to_staff`): a mail outage leaves
it "failed" and `dsar tick` delivers it later; the task waits either way.

`remind_waiting(now)`, called by `dsar tick`, emails the owner again (with a fresh link)
while the task waits and the request's due date is one working day away or past, at
most once a day per task (the first email counts).

Settings: `instructions` (optional): free text for the owner, e.g. where the data lives.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from itsdangerous import URLSafeTimedSerializer
from marshmallow import Schema, fields, validate
from sqlalchemy import func, or_, select, update

from dsar.connectors import register
from dsar.connectors.base import (ACTIONS, ERASED, EXPORTED, FOUND, RECTIFIED, RESTRICTED, SUPPRESSED,
                                  ActionResult, Connector, NotConfigured, Subject, TaskContext)

LINK_SALT = "dsar.manual-task"
LINK_MAX_AGE = timedelta(days=30)
# No more than one email a day per task: the first email, then reminders.
REMIND_EVERY = timedelta(days=1)

# What "done" means for each action, in the outcome words of connectors.md.
DONE_OUTCOME = {"access": FOUND, "export": EXPORTED, "erase": ERASED, "rectify": RECTIFIED,
                "restrict": RESTRICTED, "suppress": SUPPRESSED}

# The task in plain words, for the email and the form.
WHAT_TO_DO = {
    "access": "Find the records this person has in {system} and report what there is "
              "(which kinds of records, how many). Do not send the data itself.",
    "export": "Find the records this person has in {system} and copy their content into the "
              "report form: it becomes part of the copy of their data the person receives.",
    "erase": "Erase this person's data from {system}. If a legal duty requires keeping part of "
             "it, keep that part and say so in your report.",
    "rectify": "Correct this person's data in {system} as listed below.",
    "restrict": "Restrict this person's data in {system}: keep it, but mark or block it so it is "
                "no longer used (GDPR Art. 18).",
    "suppress": "Stop all marketing to this person from {system} (opt them out, and keep the "
                "opt-out so they are not added again).",
}


class ManualSettings(Schema):
    instructions = fields.String(load_default="", validate=validate.Length(max=4000))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def run_of(task) -> tuple[int, int]:
    """Which run of a task a link is for: (attempt, claim time in unix seconds). The attempt
    alone is not enough: staff retrying a failed task count its attempts from 1 again."""
    return task.attempts, int(task.started_at.timestamp()) if task.started_at else 0


def make_token(task_id: int, run: tuple[int, int]) -> str:
    return _serializer().dumps({"task": task_id, "attempt": run[0], "run": run[1]})


def read_token(token: str) -> tuple[int, tuple[int, int]]:
    """(task id, run) of a link's token; raises itsdangerous' SignatureExpired when it is
    too old, BadSignature (its base class) when it is not ours at all."""
    from itsdangerous import BadSignature

    payload = _serializer().loads(token, max_age=int(LINK_MAX_AGE.total_seconds()))
    if not (isinstance(payload, dict) and all(isinstance(payload.get(k), int) for k in ("task", "attempt", "run"))):
        raise BadSignature("unexpected payload")
    return payload["task"], (payload["attempt"], payload["run"])


def task_link(task) -> str:
    """The form's absolute address for the task's current run, built on PUBLIC_BASE_URL
    (never on a request's Host header)."""
    from dsar.public.links import public_url

    return public_url("manual_tasks.report", token=make_token(task.id, run_of(task)))


def due_date(request, now: datetime) -> date | None:
    """The date the owner must finish by: the processor SLA's due date while it runs (the
    operator's contractual time), else the statutory one."""
    from dsar.requests.service import clocks_of

    clocks = clocks_of(request, now)
    sla = clocks.get("processor_sla")
    if sla is not None and sla.due is not None and sla.days_left is not None:
        return sla.due
    return clocks["statutory"].due or request.statutory_due


def what_to_do(action: str, system_name: str) -> str:
    return WHAT_TO_DO[action].format(system=system_name)


def _email(task, system, request, identities: dict[str, list[str]], now: datetime, *, reminder: bool) -> object:
    """Store and send the task email (or its reminder) to the system's owner; the Message."""
    from dsar.mail.outbox import send_to_staff

    due = due_date(request, now)
    settings = system.connector_settings or {}
    return send_to_staff(
        system.owner_email, "manual_task", request=request, reminder=reminder, action=task.action,
        what=what_to_do(task.action, system.name), system=system, identities=identities,
        corrections=(request.corrections or {}) if task.action == "rectify" else {},
        instructions=(settings.get("instructions") or "").strip(), due=due,
        overdue=due is not None and due < now.date(), link=task_link(task),
        expires=(now + LINK_MAX_AGE).date(), controller=request.controller.name if request.controller else "")


def searchable_identities(request, system) -> dict[str, list[str]]:
    """The request's identities of the kinds `system` is searched by (as the runner gives them)."""
    identities: dict[str, list[str]] = {}
    for identity in request.identities:
        if identity.kind in system.identity_fields:
            identities.setdefault(identity.kind, []).append(identity.value)
    return identities


@register
class ManualConnector(Connector):
    type = "manual"
    Settings = ManualSettings
    capabilities = frozenset(ACTIONS)

    def _hand_over(self, subject: Subject) -> ActionResult:
        from dsar.extensions import db
        from dsar.mail.outbox import UnsafeAddress
        from dsar.models import Request, System, Task
        from dsar.timeutil import now as current_time

        context: TaskContext | None = self.context
        if context is None:
            raise NotConfigured("the manual connector only runs as a task: it emails the system's owner")
        if not context.owner_email:
            raise NotConfigured(f"system {context.system_id!r} has no owner_email to send the task to")
        task = db.session.get(Task, context.task_id)
        system = db.session.get(System, context.system_id)
        request = db.session.scalars(select(Request).where(Request.reference == context.reference)).one()
        now = current_time()
        try:
            message = _email(task, system, request, subject.identities, now, reminder=False)
        except UnsafeAddress:
            raise NotConfigured(f"the owner_email of system {context.system_id!r} is not one plain "
                                "email address") from None
        sent = f"emailed to {context.owner_email} on {now.date().isoformat()}"
        if message.delivery == "failed":  # stored: `dsar tick` sends it again
            sent += " (not delivered yet: the mail server refused it; dsar tick retries it)"
        elif message.delivery == "logged":
            sent += " (no mail server is set: the email was written to the log instead)"
        return ActionResult(waiting=f"{sent}; waiting for their report")

    access = export = erase = rectify = restrict = suppress = _hand_over


def remind_waiting(now: datetime) -> int:
    """Email the owners of waiting manual tasks whose request is due within one working day
    (or overdue) again, at most once a day per task; return how many were emailed."""
    from dsar.extensions import db
    from dsar.mail.outbox import UnsafeAddress
    from dsar.models import Request, System, Task
    from dsar.models.task import WAITING

    last_email = func.coalesce(Task.reminded_at, Task.started_at)
    candidates = list(db.session.scalars(
        select(Task).join(System, System.id == Task.system_id).join(Request, Request.id == Task.request_id)
        .where(Task.status == WAITING, System.connector_type == "manual", Request.status == "in_fulfilment",
               or_(last_email.is_(None), last_email <= now - REMIND_EVERY))
        .order_by(Task.id)))
    sent = 0
    for task in candidates:
        request, system = task.request, task.system
        if request.controller is None or not system.owner_email:
            continue
        due = due_date(request, now)
        calendar = request.controller.calendar
        if due is None or due > calendar.add_working_days(calendar.local_date(now), 1):
            continue
        # Claim the reminder with a conditional update, so two ticks at once send it once;
        # it is committed together with the stored email.
        claimed = db.session.execute(
            update(Task).where(Task.id == task.id, Task.status == WAITING,
                               or_(Task.reminded_at.is_(None), Task.reminded_at <= now - REMIND_EVERY))
            .values(reminded_at=now).execution_options(synchronize_session=False)).rowcount
        if not claimed:
            db.session.rollback()
            continue
        try:
            _email(task, system, request, searchable_identities(request, system), now, reminder=True)
        except UnsafeAddress:
            db.session.rollback()
            continue
        sent += 1
    db.session.commit()
    return sent


__all__ = ["DONE_OUTCOME", "LINK_MAX_AGE", "ManualConnector", "due_date", "make_token", "read_token",
           "remind_waiting", "run_of", "searchable_identities", "task_link", "what_to_do"]
