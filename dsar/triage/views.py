"""The staff pages: the queue, the request page and its actions, the inbox.

/staff/                              the queue (filters, search, keyset pages)
/staff/requests/<reference>          one request: identities, clocks, timeline, actions
/staff/requests/<reference>/<action> POST: one action (CSRF; refusals shown on the page)
/staff/messages                      operators: inbound email waiting for a human
/staff/messages/<id>                 one message; for operators, forms to open, attach, dismiss
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from dsar.accounts.web import current_principal, protect
from dsar.answers.staff import answer_section
from dsar.api.errors import ApiError
from dsar.extensions import db
from dsar.fulfilment import progress
from dsar.intake.pipeline import get_message
from dsar.lifecycle import REJECTION_GROUNDS, Status
from dsar.models import Controller, Event, Message, Task
from dsar.models.rights import RIGHT_NAMES
from dsar.requests import service
from dsar.triage import actions, queue
from dsar.triage.inbox import triage_message
from dsar.triage.display import CLOCK_NAMES, clock_badge, flags

bp = Blueprint("staff", __name__, url_prefix="/staff")
protect(bp)

PAGE_SIZE = 50
INBOX_SIZE = 100


@bp.context_processor
def page_context() -> dict:
    return {"clock_badge": clock_badge, "CLOCK_NAMES": CLOCK_NAMES,
            "flags": flags, "LABELS": actions.STAFF_ACTIONS}


def _controllers() -> list[Controller]:
    return list(db.session.scalars(select(Controller).order_by(Controller.name)))


@bp.get("/")
def queue_page():
    principal = current_principal()
    filters = queue.filters_from_query(request.args, principal)
    try:
        rows, next_cursor = queue.queue_page(principal, filters, request.args.get("cursor") or None, PAGE_SIZE)
    except ApiError:
        abort(404)
    return render_template(
        "staff/queue.html", rows=[(r, service.clocks_of(r)) for r in rows], next_cursor=next_cursor,
        progress=progress.summaries([r.id for r in rows]),
        filters_args={k: v for k, v in request.args.items() if k != "cursor" and v}, args=request.args, statuses=[s.value for s in Status], rights=RIGHT_NAMES,
        controllers=_controllers() if principal.is_operator else [])


def _request_page(reference: str, outcome: actions.Outcome | None = None):
    principal = current_principal()
    try:
        req = service.get_request(reference, principal)
    except service.NotFound:
        abort(404)
    events = db.session.scalars(select(Event).where(Event.request_id == req.id).order_by(Event.seq)).all()
    messages = db.session.scalars(select(Message).where(Message.request_id == req.id).order_by(Message.at, Message.id)).all()
    tasks = db.session.scalars(select(Task).where(Task.request_id == req.id).order_by(Task.id)).all()
    page = render_template(
        "staff/request.html", req=req, clocks=service.clocks_of(req), events=events, messages=messages,
        tasks=tasks, progress=progress.summaries([req.id]).get(req.id) or progress.empty(),
        offered=actions.offered_actions(principal, req), grounds=REJECTION_GROUNDS,
        controllers=_controllers() if principal.is_operator else [], outcome=outcome,
        answer=answer_section(req))
    return page, (outcome.status if outcome else 200)


@bp.get("/requests/<reference>")
def request_page(reference: str):
    return _request_page(reference)


def _after(do, page_again, location):
    """Run an action: `do()` gives its Outcome; NotFound is a 404; a refusal re-renders
    the page (`page_again(outcome)`) with its message and status; a success flashes and
    redirects to `location(outcome)` (POST-redirect-GET)."""
    try:
        outcome = do()
    except service.NotFound:
        abort(404)
    if not outcome.ok:
        return page_again(outcome)
    flash(outcome.message)
    return redirect(location(outcome), 303)


@bp.post("/requests/<reference>/<action>")
def request_action(reference: str, action: str):
    return _after(lambda: actions.act(reference, action, current_principal(), request.form),
                  lambda outcome: _request_page(reference, outcome),
                  lambda _outcome: url_for(".request_page", reference=reference))


@bp.get("/messages")
def inbox():
    """Inbound email intake could not decide on: operators read it and triage it."""
    principal = current_principal()
    if not principal.is_operator:
        abort(404)
    messages = db.session.scalars(
        select(Message).where(Message.disposition == "needs_triage").order_by(Message.id).limit(INBOX_SIZE)).all()
    return render_template("staff/messages.html", messages=messages)


def _message_page(message_id: int, outcome: actions.Outcome | None = None):
    principal = current_principal()
    try:
        message = get_message(message_id, principal)
    except service.NotFound:
        abort(404)
    triable = principal.is_operator and message.direction == "in" and message.request_id is None \
        and message.disposition != "triaged"
    page = render_template("staff/message.html", message=message, triable=triable, outcome=outcome,
                           rights=RIGHT_NAMES, controllers=_controllers() if triable else [])
    return page, (outcome.status if outcome else 200)


@bp.get("/messages/<int:message_id>")
def message_page(message_id: int):
    return _message_page(message_id)


@bp.post("/messages/<int:message_id>/<action>")
def message_action(message_id: int, action: str):
    return _after(lambda: triage_message(message_id, action, current_principal(), request.form),
                  lambda outcome: _message_page(message_id, outcome),
                  lambda outcome: url_for(".request_page", reference=outcome.references[0]) if outcome.references
                  else url_for(".inbox"))
