"""API views: thin; they parse, call the request service, and dump."""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for
from sqlalchemy import select

from dsar import permissions
from dsar.api import schemas
from dsar.api.auth import authenticate
from dsar.api.errors import ApiError
from dsar.extensions import db
from dsar.fulfilment import progress
from dsar.lifecycle import ACTIONS
from dsar.models import Controller, Event, Request
from dsar.requests import service
from dsar.triage.queue import queue_page

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi_document", "api.docs_page"}
# URL form of each action the API exposes.
API_ACTIONS = {name.replace("_", "-"): name for name in (
    "verify", "request_information", "approve", "reject", "extend", "cancel", "assign", "note",
    "route", "forward", "complete", "complete_partially", "answer", "close", "mark_duplicate",
    "start_fulfilment",  # again, after a task failed for good: its failed tasks run anew
)}
assert set(API_ACTIONS.values()) <= set(ACTIONS)

_create = schemas.RequestCreate()
_action = schemas.ActionIn()
_list_query = schemas.ListQuery()
_out = schemas.RequestOut()
_detail = schemas.RequestDetailOut()
_controllers = schemas.ControllerOut(many=True)
_events = schemas.EventOut(many=True)


@bp.before_request
def require_token():
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


def json_body() -> dict:
    """The request's JSON object body, or a 400 saying what is wrong with it."""
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "bad_request", "the body must be a JSON object (Content-Type: application/json)")
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return body


def _principal() -> permissions.Principal:
    return g.principal


def _dump(req: Request, *, detail: bool = False, progress_of: dict | None = None) -> dict:
    body = (_detail if detail else _out).dump(req)
    body["clocks"] = {name: clock.as_dict() | {"name": name} for name, clock in service.clocks_of(req).items()}
    if progress_of is None:
        progress_of = progress.summaries([req.id])
    body["progress"] = progress_of.get(req.id) or progress.empty()
    if detail:
        body["tasks"] = [progress.task_dict(t) for t in service.request_tasks(req)]
        body["timeline"] = _events.dump(db.session.scalars(
            select(Event).where(Event.request_id == req.id).order_by(Event.seq)))
    return body


@bp.get("/controllers")
def list_controllers():
    """The controllers the caller may act for."""
    principal = _principal()
    statement = select(Controller).order_by(Controller.id)
    if not principal.is_operator:
        statement = statement.where(Controller.id == principal.controller_id)
    return jsonify({"items": _controllers.dump(db.session.scalars(statement))})


@bp.post("/requests")
def create_request():
    data = _create.load(json_body())
    created = service.create_request(
        service.NewRequest(
            rights=data["rights"], identities=[(i["type"], i["value"]) for i in data["identities"]],
            channel=data["channel"], controller_id=data.get("controller"), details=data["details"],
            corrections=data.get("corrections"), language=data.get("language"),
            received_at=data.get("received_at"), identity_verified=data["identity_verified"],
            recipients=data["recipients"], form=data.get("form"),
        ),
        _principal(),
    )
    body = _dump(created[0])
    body["split_into"] = [r.reference for r in created[1:]]
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for("api.read_request", reference=created[0].reference)
    return response


@bp.get("/requests")
def list_requests():
    """The caller's requests, most urgent first (overdue, then nearest due clock)."""
    args = request.args.to_dict()
    if "status" in args:
        args["status"] = [s for s in args["status"].split(",") if s]
    query = _list_query.load(args)
    page, next_cursor = queue_page(_principal(), query, query.get("cursor"), query["limit"])
    progress_of = progress.summaries([r.id for r in page])  # one query for the page
    return jsonify({
        "items": [_dump(r, progress_of=progress_of) for r in page],
        "next_cursor": next_cursor,
    })


@bp.get("/requests/<reference>")
def read_request(reference: str):
    return jsonify(_dump(service.get_request(reference, _principal()), detail=True))


@bp.post("/requests/<reference>/<action>")
def act_on_request(reference: str, action: str):
    if action not in API_ACTIONS:
        raise ApiError(404, "not_found", f"no action {action!r}; actions: {', '.join(sorted(API_ACTIONS))}")
    payload = _action.load(json_body() if request.content_length else {})
    req = service.perform(reference, API_ACTIONS[action], _principal(), payload)
    return jsonify(_dump(req, detail=True))
