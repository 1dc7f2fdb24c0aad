"""Art. 19 notices: every recipient of the data is told of a rectification, erasure or
restriction, and the subject can be told who they are.

When a request asking for one of those (or an objection that led to restriction) is
fulfilled, wholly or partly, one `Notice` is recorded per distinct recipient named by
the controller's processing activities in scope (those with a system the request
tasked), in the same transaction as the status change. How each is reached:

- `connector`: the recipient holds the data through a system of the register, and that
  system's task made the change through the system's own API. The change reaching it
  *was* the notice; it is recorded as sent, with the task. So is a task that searched
  the system and found nothing of the subject: an email asking a recipient to change
  what it does not hold would only tell it that this person made a request.
- `email`: otherwise (no system; or its task was not supported, failed, blocked by
  retention, still waiting), when the register gives the recipient an `email`: a notice
  email is queued with the status change (`outbox.queue_to_staff`), and the
  `track_notice_emails` duty follows its delivery, retrying a failed one.
- `none`: no way to reach it; the notice is `manual`, shown on the request's page as a
  person's job, with why.

Each recipient is told what its own system was asked (an erasure that a retention duty
blocked is a restriction there); one with no task on a system of its own, everything done.

What a notice email says, and what it keeps out: the controller, the request reference,
which change (rectification, erasure, restriction), the categories of data concerned
(from the register), and for a rectification the corrected values, since Art. 19 is
about communicating the rectification itself. To let the recipient find the person it
carries ONE kind of identifier of the subject (the first the recipient's system is
searched by, email preferred): a recipient cannot act on a notice about nobody, and
everything beyond that (other identifiers, the request's text, what the other systems
held) is none of its business. It never says which right the subject invoked beyond
the change itself, nor what other recipients were told.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from dsar.answers import dispatch
from dsar.answers.finished import when_finished
from dsar.connectors.base import BLOCKED_BY_RETENTION, ERASED, ERASURE_SCHEDULED, NOT_FOUND, RECTIFIED, RESTRICTED
from dsar.extensions import db
from dsar.fulfilment.plan import systems_in_scope
from dsar.mail import outbox
from dsar.models import Message, ProcessingActivity, Request, System, Task
from dsar.models.answer import Notice
from dsar.models.task import DONE
from dsar.requests import service

# The statuses after which the changes are made, and the recipients owed a notice.
# The rights whose fulfilment may change data (Art. 16, 17(1), 18; an objection to
# marketing restricts where a system cannot suppress: Art. 18(1)(d)).
CHANGING_RIGHTS = frozenset({"rectification", "erasure", "restriction", "objection"})
# Art. 19's changes, in the order a notice names them, and the outcomes that show a
# task made one. An erasure that a retention duty turned into blocking restricted the
# records instead (the runner says so in each record's detail).
ACTIONS = ("rectify", "erase", "restrict")
EFFECTS = {"rectify": {RECTIFIED}, "erase": {ERASED, ERASURE_SCHEDULED}, "restrict": {RESTRICTED}}
KEPT_AND_RESTRICTED = "kept and restricted"
# The identifier a notice email gives, first one the request has (and the recipient's
# system is searched by, when it has one): email is what every sub-processor keys on.
IDENTIFIER_ORDER = ("email", "customer_id", "phone", "name", "ip_address")
IDENTIFIER_WORDS = {"email": "email address", "customer_id": "customer id", "phone": "phone number",
                    "name": "name", "ip_address": "IP address"}

# A failed notice email is tried again after this, doubling up to RETRY_CAP, for
# outbox.RETRY_FOR; then it stays failed for a person to see.
RETRY_FIRST = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
# Per process: Message-ID -> (failures seen, next try). A restart retries at once: harmless.
_retries: dict[str, tuple[int, datetime]] = {}


# -- who the recipients are ----------------------------------------------------------------

def _activities_in_scope(request: Request, tasks: list[Task]) -> list[ProcessingActivity]:
    """The controller's activities with a system the request tasked (or would task,
    before it has tasks), in slug order."""
    if request.controller_id is None:
        return []
    tasked = {t.system_id for t in tasks} or {s.id for s in systems_in_scope(request)}
    activities = db.session.scalars(
        select(ProcessingActivity).where(ProcessingActivity.controller_id == request.controller_id)
        .order_by(ProcessingActivity.slug, ProcessingActivity.id))
    return [a for a in activities if tasked & {s.id for s in a.systems}]


def _recipients(activities: list[ProcessingActivity]) -> list[dict]:
    """The distinct recipients (by name, case and spacing aside) of `activities`: name,
    country, system, email (the first given of each), and the data categories of every
    activity naming them."""
    merged: dict[str, dict] = {}
    for activity in activities:
        for entry in activity.recipients or []:
            entry = {"name": entry} if isinstance(entry, str) else entry
            key = " ".join(entry["name"].split()).casefold()
            recipient = merged.setdefault(key, {"name": entry["name"], "country": None, "system": None,
                                                "email": None, "categories": []})
            for field in ("country", "system", "email"):
                recipient[field] = recipient[field] or entry.get(field)
            recipient["categories"] += [c for c in activity.data_categories or []
                                        if c not in recipient["categories"]]
    return list(merged.values())


def recipient_names(request: Request) -> list[str]:
    """Who the register says the subject's data went to, for this request's controller
    (Art. 19, last sentence: the subject is told of them on request)."""
    tasks = list(db.session.scalars(select(Task).where(Task.request_id == request.id)))
    return [r["name"] for r in _recipients(_activities_in_scope(request, tasks))]


# -- what was done -------------------------------------------------------------------------

def _changes(task: Task) -> set[str]:
    """The Art. 19 changes `task` made: {rectify, erase, restrict} or none."""
    if task.status != DONE or task.action not in ACTIONS:
        return set()
    result = task.result or {}
    seen = {task.outcome, *(result.get("counts") or {})}
    made = {action for action, outcomes in EFFECTS.items() if seen & outcomes}
    if task.action == "erase" and any(r.get("detail") == KEPT_AND_RESTRICTED for r in result.get("records") or []):
        made.add("restrict")
    return made


def _channel(recipient: dict, tasks: list[Task], done: list[str]) -> tuple[str, Task | None, str | None]:
    """(channel, task, why not by connector) for one recipient."""
    system = recipient["system"]
    relevant = [t for t in tasks if t.system_id == system and t.action in ACTIONS]
    why = None
    if system is None:
        why = "the register links it to no system"
    elif not relevant:
        why = f"no {'/'.join(done)} task ran on {system}"
    else:
        # Every change asked of its system must have reached it (or found nothing to change).
        unreached = [t for t in relevant
                     if not (_changes(t) or (t.status == DONE and t.outcome == NOT_FOUND))]
        if not unreached:
            return "connector", relevant[0], None
        first = unreached[0]
        why = (f"the {first.action} task on {system} is {first.status}"
               + (f" ({first.outcome.replace('_', ' ')})" if first.outcome else ""))
    if recipient["email"]:
        return "email", None, why
    return "none", None, f"{why}, and the register gives no email for it: tell it by hand"


def _actions_for(recipient: dict, tasks: list[Task], done: list[str]) -> list[str]:
    """What `recipient` is told was done: what its system was asked to change (an erasure
    a retention duty blocked is a restriction: the data is kept, and must be kept
    restricted there too); with no task on a system of its own, everything done."""
    asked = set()
    for task in tasks:
        if task.system_id == recipient["system"] and task.action in ACTIONS:
            blocked = task.action == "erase" and task.outcome == BLOCKED_BY_RETENTION
            asked.add("restrict" if blocked else task.action)
    return [a for a in ACTIONS if a in asked] if asked else done


def _identifier(request: Request, system: System | None) -> dict | None:
    """The one kind of identifier the notice gives (see the module's docstring)."""
    held: dict[str, list[str]] = {}
    for identity in request.identities:
        held.setdefault(identity.kind, []).append(identity.value)
    searchable = [k for k in IDENTIFIER_ORDER if system is not None and k in (system.identity_fields or [])]
    for kind in [*searchable, *IDENTIFIER_ORDER]:
        if held.get(kind):
            return {"kind": IDENTIFIER_WORDS[kind], "values": held[kind]}
    return None


# -- the status change ---------------------------------------------------------------------

@when_finished
def _on_finished(request: Request, tasks, at: datetime) -> None:
    if not CHANGING_RIGHTS & set(request.rights):
        return
    record_notices(request, tasks(), at)


def record_notices(request: Request, tasks: list[Task], at: datetime) -> list[Notice]:
    """Add to the session the notices `request` owes that are not recorded yet (a
    recipient left to a person is looked at again: a task re-run may now reach it);
    queue their emails. The caller commits."""
    done = [a for a in ACTIONS if any(a in _changes(t) for t in tasks)]
    if not done:  # nothing was changed anywhere (e.g. the subject was found nowhere): nothing to tell
        return []
    existing = {n.recipient: n for n in db.session.scalars(select(Notice).where(Notice.request_id == request.id))}
    controller = request.controller
    recorded = []
    for recipient in _recipients(_activities_in_scope(request, tasks)):
        notice = existing.get(recipient["name"])
        if notice is not None and notice.status != "manual":
            continue
        channel, task, why = _channel(recipient, tasks, done)
        if notice is not None and channel == "none":
            continue  # still for a person
        if notice is None:
            notice = Notice(request_id=request.id, recipient=recipient["name"], created_at=at)
            db.session.add(notice)
        actions = _actions_for(recipient, tasks, done)
        notice.channel, notice.actions, notice.error = channel, actions, None
        if channel == "connector":
            notice.address, notice.task_id, notice.status, notice.sent_at = task.system_id, task.id, "sent", at
        elif channel == "email":
            notice.address, notice.status = recipient["email"], "pending"
            system = db.session.get(System, recipient["system"]) if recipient["system"] else None
            try:
                message = outbox.queue_to_staff(
                    recipient["email"], "notice", request=request,
                    recipient=recipient, controller=controller, actions=actions,
                    corrections=request.corrections if "rectify" in actions else None,
                    identifier=_identifier(request, system), operator=service.operator_controller())
            except outbox.UnsafeAddress as exc:  # the register checks addresses; a safety net
                notice.channel, notice.status, notice.error = "none", "manual", str(exc)
            else:
                db.session.flush()  # for its id
                notice.message_id = message.id
        else:
            notice.address, notice.status, notice.error = recipient["system"], "manual", why
        recorded.append(notice)
    return recorded


# -- following the emails ------------------------------------------------------------------

def _backoff(failures: int) -> timedelta:
    return min(RETRY_FIRST * 2 ** max(failures - 1, 0), RETRY_CAP)


@dispatch.duty
def track_notice_emails(now: datetime) -> int:
    """Bring email notices up to date with their message's delivery; send again the
    failed ones that are due. How many notices changed."""
    rows = db.session.execute(
        select(Notice, Message).join(Message, Message.id == Notice.message_id)
        .where(Notice.channel == "email", Notice.status.in_(("pending", "failed")))
        .order_by(Notice.id).limit(500)).all()
    for _, message in rows:
        if message.delivery != "failed" or message.at < now - outbox.RETRY_FOR:
            continue
        if message.message_id not in _retries:  # its failure is news: it was just tried
            _retries[message.message_id] = (1, now + RETRY_FIRST)
            continue
        failures, due = _retries[message.message_id]
        if now < due:
            continue
        # Claimed like `outbox.send_queued` does: another sweeper retrying it too sends nothing.
        claimed = db.session.execute(update(Message).where(Message.id == message.id, Message.delivery == "failed")
                                     .values(delivery="sending").execution_options(synchronize_session=False))
        db.session.commit()
        if claimed.rowcount:
            db.session.refresh(message)
            outbox.send(message)
            _retries[message.message_id] = (failures + 1, now + _backoff(failures + 1))
            db.session.commit()
    changed = 0
    for notice, message in rows:  # as the retries above left their messages
        status, error = _from_delivery(message)
        if (status, error) != (notice.status, notice.error):
            notice.status, notice.error = status, error
            notice.sent_at = message.sent_at if status == "sent" else None
            changed += 1
        if status != "failed":
            _retries.pop(message.message_id, None)
    db.session.commit()
    return changed


def _from_delivery(message) -> tuple[str, str | None]:
    """A notice's (status, error) from its email's delivery."""
    if message.delivery == "sent":
        return "sent", None
    if message.delivery == "failed":
        return "failed", message.delivery_error
    if message.delivery == "logged":  # the demo without SMTP: nobody received it
        return "manual", "MAIL_SERVER is not set: the notice was only written to the log; send it by hand"
    return "pending", None
