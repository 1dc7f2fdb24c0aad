"""The tasks API (/api/v1/tasks): fulfilment progress for staff, and work for outside bots.

Staff tokens read tasks (a controller's tokens only its own requests' tasks). A system
whose connector is `bot` is fulfilled by a program outside dsar: a bot token lists the
waiting tasks of its controllers' systems, claims one (a lease that expires, so a bot
that dies does not hold it forever), and posts the result in the shape of
`dsar.fulfilment.results`.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from dsar import permissions
from dsar.api.auth import authenticate
from dsar.api.cursors import decode_cursor, encode_cursor
from dsar.api.errors import ApiError
from dsar.api.views import json_body
from dsar.extensions import db
from dsar.fulfilment import progress
from dsar.fulfilment.results import ResultSchema, load_result
from dsar.fulfilment.runner import TaskNotWaiting, report
from dsar.models import Request, Role, Task
from dsar.models.task import TASK_STATES, WAITING
from dsar.timeutil import now as current_time

bp = Blueprint("tasks_api", __name__, url_prefix="/api/v1/tasks")


class TaskListQuery(Schema):
    system = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.OneOf(TASK_STATES, error="must be one of: {choices}"))
    request = fields.String(validate=validate.Length(min=1, max=20))
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class TaskOut(Schema):
    id = fields.Integer()
    request = fields.String()
    system = fields.String()
    action = fields.String()
    status = fields.String(metadata={"enum": list(TASK_STATES)})
    outcome = fields.String(allow_none=True)
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    notes = fields.List(fields.String())
    records = fields.List(fields.Dict())
    waiting = fields.String(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    lease_until = fields.DateTime(allow_none=True)


class TaskPage(Schema):
    items = fields.List(fields.Nested(TaskOut))
    next_cursor = fields.String(allow_none=True)


class ClaimedTaskOut(TaskOut):
    subject = fields.Dict(metadata={"description": "identities {kind: [values]} and corrections"})


_query = TaskListQuery()


@bp.before_request
def require_token():
    authenticate()


def _scoped(principal: permissions.Principal):
    statement = select(Task).join(Request, Request.id == Task.request_id)
    if not principal.is_operator:
        statement = statement.where(Request.controller_id == principal.controller_id)
    return statement


def _task(task_id: int) -> Task:
    task = db.session.scalars(_scoped(g.principal).where(Task.id == task_id)).one_or_none()
    if task is None:
        raise ApiError(404, "not_found", f"no task {task_id}")
    return task


@bp.get("")
def list_tasks():
    """Tasks, newest first; filter by system, status and request reference."""
    query = _query.load(request.args.to_dict())
    statement = _scoped(g.principal)
    if "system" in query:
        statement = statement.where(Task.system_id == query["system"])
    if "status" in query:
        statement = statement.where(Task.status == query["status"])
    if "request" in query:
        statement = statement.where(Request.reference == query["request"])
    if query.get("cursor"):
        (after,) = decode_cursor(query["cursor"], int)
        statement = statement.where(Task.id < after)
    rows = list(db.session.scalars(statement.order_by(Task.id.desc()).limit(query["limit"] + 1)))
    page = rows[:query["limit"]]
    return jsonify({"items": [progress.task_dict(t) for t in page],
                    "next_cursor": encode_cursor(page[-1].id) if len(rows) > len(page) else None})


@bp.get("/<int:task_id>")
def read_task(task_id: int):
    return jsonify(progress.task_dict(_task(task_id)))


def _require_bot() -> permissions.Principal:
    principal = g.principal
    if principal.role is not Role.BOT:
        raise ApiError(403, "forbidden", "only bot tokens claim tasks and report their results")
    return principal


@bp.post("/<int:task_id>/claim")
def claim_task(task_id: int):
    """Take a waiting task of a `bot` system for BOT_LEASE_SECONDS; answer with what to do."""
    principal = _require_bot()
    task = _task(task_id)
    now = current_time()
    locked = db.session.scalars(select(Task).where(Task.id == task.id).with_for_update()
                                .execution_options(populate_existing=True)).one()
    if locked.system.connector_type != "bot":
        raise ApiError(409, "conflict", f"task {task_id} is run by dsar's own {locked.system.connector_type} "
                                        "connector, not by an outside bot")
    holder = f"bot:{principal.name}"
    if locked.status != WAITING:
        raise ApiError(409, "conflict", f"task {task_id} is {locked.status}, not waiting for a bot")
    if locked.claimed_by and locked.claimed_by != holder and locked.lease_until and locked.lease_until > now:
        raise ApiError(409, "conflict", f"task {task_id} is claimed by another bot until "
                                        f"{locked.lease_until.isoformat()}")
    locked.claimed_by = holder
    locked.lease_until = now + timedelta(seconds=current_app.config["BOT_LEASE_SECONDS"])
    db.session.commit()
    body = progress.task_dict(locked)
    request_row = locked.request
    identities: dict[str, list[str]] = {}
    for identity in request_row.identities:
        if identity.kind in locked.system.identity_fields:
            identities.setdefault(identity.kind, []).append(identity.value)
    body["subject"] = {"identities": identities, "corrections": request_row.corrections or {}}
    return jsonify(body)


@bp.post("/<int:task_id>/result")
def post_result(task_id: int):
    """The claiming bot's result; the task is done and its request settled."""
    principal = _require_bot()
    task = _task(task_id)
    holder = f"bot:{principal.name}"
    now = current_time()
    if task.claimed_by != holder or task.lease_until is None or task.lease_until <= now:
        raise ApiError(409, "conflict", f"claim task {task_id} first (or again: a lease lasts "
                                        f"{current_app.config['BOT_LEASE_SECONDS']} s)")
    try:
        result = load_result(json_body())
    except ValidationError as exc:
        raise ApiError(422, "invalid", "the result is not valid", fields=exc.messages) from None
    try:
        done = report(task.id, result, actor=f"bot:{task.request.controller_id or 'operator'}:{principal.name}")
    except TaskNotWaiting as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return jsonify(progress.task_dict(done))


def document(spec, responses) -> None:
    """Add the tasks API to the OpenAPI document (dsar.api.openapi.extend)."""
    for name, schema in [("TaskListQuery", TaskListQuery), ("Task", TaskOut), ("TaskPage", TaskPage),
                         ("ClaimedTask", ClaimedTaskOut), ("TaskResultIn", ResultSchema)]:
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    secured = {"security": [{"bearer": []}]}
    task_id = {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    spec.path("/tasks", operations={"get": secured | {
        "summary": "List fulfilment tasks, newest first (filter by system, status, request)",
        "parameters": [{"in": "query", "schema": "TaskListQuery"}],
        "responses": responses("200", "TaskPage", "a page", "400", "401", "422")}})
    spec.path("/tasks/{task_id}", operations={"get": secured | {
        "summary": "Read a task: status, attempts, outcome per record, error",
        "parameters": [task_id], "responses": responses("200", "Task", "the task", "401", "404")}})
    spec.path("/tasks/{task_id}/claim", operations={"post": secured | {
        "summary": "A bot claims a waiting task of a `bot` system (a lease that expires)",
        "parameters": [task_id],
        "responses": responses("200", "ClaimedTask", "the task and the subject's identities",
                               "401", "403", "404", "409")}})
    spec.path("/tasks/{task_id}/result", operations={"post": secured | {
        "summary": "The claiming bot reports the task's result",
        "parameters": [task_id],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "TaskResultIn"}}},
        "responses": responses("200", "Task", "the finished task", "400", "401", "403", "404", "409", "422")}})
