"""The webhook connector's callback: POST /api/v1/task-callbacks/<task_id>.

A webhook system's endpoint that answered 202 reports the task's result here later. No
bearer token: the POST is signed like the task was (`X-DSAR-Timestamp`,
`X-DSAR-Signature: sha256=HMAC(secret, "<timestamp>.<raw body>")`) with the system's own
secret, and a timestamp more than five minutes away is refused, so a captured callback
cannot be replayed later. The body is a result (`dsar.fulfilment.results`); it may also
carry the `task_id` it is for, which must then be this one (the signature covers the
body, not the URL). Under /api/, so CSRF does not apply and errors have the API's shape.

Answers: 200 with the task; 401 bad or stale signature; 404 no such webhook task;
409 the task is not waiting for a result; 422 an invalid result (marshmallow's messages).
"""
from __future__ import annotations

import json

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError

from dsar.api import openapi
from dsar.api.errors import ApiError
from dsar.connectors import connector_class
from dsar.connectors.base import NotConfigured, resolve
from dsar.connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, check_signature
from dsar.extensions import db
from dsar.fulfilment import progress
from dsar.fulfilment.results import load_result
from dsar.fulfilment.runner import TaskNotWaiting, report
from dsar.models import Task

bp = Blueprint("task_callbacks", __name__, url_prefix="/api/v1/task-callbacks")


def _secret(task: Task) -> str:
    system = task.system
    try:
        settings = connector_class("webhook").check_settings(system.connector_settings or {})
        return resolve(settings["secret"], "secret")
    except (ValidationError, NotConfigured):
        # Our configuration, not the caller's fault: the endpoint should try again later.
        raise ApiError(503, "unavailable", f"the secret of system {system.id} is not configured here; "
                                           "try again later") from None


@bp.post("/<int:task_id>")
def task_callback(task_id: int):
    """A webhook system's signed result for a task it accepted with 202."""
    task = db.session.get(Task, task_id)
    if task is None or task.system.connector_type != "webhook":
        raise ApiError(404, "not_found", f"no webhook task {task_id}")
    raw = request.get_data(cache=True)
    problem = check_signature(_secret(task), request.headers.get(TIMESTAMP_HEADER),
                              request.headers.get(SIGNATURE_HEADER), raw)
    if problem:
        raise ApiError(401, "unauthorized", problem)
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "the body must be a JSON object (Content-Type: application/json)") from None
    if isinstance(body, dict) and "task_id" in body:
        claimed = body.pop("task_id")
        if claimed != task_id:
            raise ApiError(422, "invalid", "the result is not valid",
                           fields={"task_id": [f"this callback is for task {task_id}"]})
    try:
        result = load_result(body)
    except ValidationError as exc:
        raise ApiError(422, "invalid", "the result is not valid", fields=exc.messages) from None
    try:
        done = report(task.id, result, actor=f"webhook:{task.system_id}"[:120])
    except TaskNotWaiting as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return jsonify(progress.task_dict(done))


def document(spec, responses) -> None:
    """The callback in the OpenAPI document, for whoever writes a webhook endpoint."""
    spec.path("/task-callbacks/{task_id}", operations={"post": {
        "summary": "A webhook system reports a task's result (HMAC-signed, no bearer token)",
        "parameters": [
            {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}},
            {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "integer"},
             "description": "unix seconds; refused when more than 5 minutes from now"},
            {"name": SIGNATURE_HEADER, "in": "header", "required": True, "schema": {"type": "string"},
             "description": 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the system\'s secret>'}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": "TaskResultIn"}}},
        "responses": responses("200", "Task", "the finished task", "400", "401", "404", "409", "422")}})


openapi.extend(document)
