"""The messages API (/api/v1/messages): what came in and went out, and triage.

Thin views: tenant scope comes from dsar.permissions (through pipeline.get_message and
`permissions.scope`), the decisions from the pipeline. A controller sees the messages
of its own requests; messages that belong to no request are the operator's.
"""
from __future__ import annotations

from email import policy
from email.parser import BytesHeaderParser

from flask import Blueprint, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dsar import permissions
from dsar.api.cursors import decode_cursor, encode_cursor
from dsar.api.views import json_body
from dsar.api.auth import authenticate
from dsar.extensions import db
from dsar.intake import pipeline, schemas
from dsar.models import Message, Request

bp = Blueprint("messages", __name__, url_prefix="/api/v1/messages")

_query = schemas.MessageListQuery()
_open_in = schemas.MessageOpenIn()
_attach_in = schemas.MessageAttachIn()
_dismiss_in = schemas.MessageDismissIn()
_item = schemas.MessageOut()
_detail = schemas.MessageDetailOut()
MAX_HEADERS = 200


@bp.before_request
def require_token():
    authenticate()


def _principal() -> permissions.Principal:
    return g.principal


def headers_of(raw: bytes | None) -> list[dict]:
    """The raw source's header fields, decoded (RFC 2047) where possible, as data."""
    if not raw:
        return []
    parsed = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)
    out = []
    for name, value in list(parsed.raw_items())[:MAX_HEADERS]:
        try:
            value = str(policy.default.header_fetch_parse(name, value))
        except Exception:  # a header the modern parser chokes on: its raw text will do
            value = str(value)
        out.append({"name": pipeline.storable(str(name), 200), "value": pipeline.storable(value, 10000)})
    return out


def _with_reference(messages: list[Message]) -> list[Message]:
    """Set the transient `reference` the schemas dump (one query for the page)."""
    ids = {m.request_id for m in messages if m.request_id is not None}
    refs = dict(db.session.execute(select(Request.id, Request.reference).where(Request.id.in_(ids))).all())
    for message in messages:
        message.reference = refs.get(message.request_id)
    return messages


def _dump_detail(message: Message) -> dict:
    _with_reference([message])
    message.headers, message.size = headers_of(message.raw), len(message.raw or b"")
    return _detail.dump(message)


def _action_answer(message: Message, requests: list[str], status: int = 200):
    response = jsonify({"message": _dump_detail(message), "requests": requests})
    response.status_code = status
    return response


@bp.get("")
def list_messages():
    """Messages the caller may see, newest first; `disposition=needs_triage` is the triage queue."""
    args = request.args.to_dict()
    if "disposition" in args:
        args["disposition"] = [d for d in args["disposition"].split(",") if d]
    query = _query.load(args)
    statement = permissions.scope(
        _principal(), select(Message).outerjoin(Request, Request.id == Message.request_id))
    if query.get("disposition"):
        statement = statement.where(Message.disposition.in_(query["disposition"]))
    if "direction" in query:
        statement = statement.where(Message.direction == query["direction"])
    if "request" in query:
        statement = statement.where(Request.reference == query["request"])
    if "cursor" in query:
        statement = statement.where(Message.id < decode_cursor(query["cursor"], int)[0])
    limit = query["limit"]
    rows = db.session.scalars(
        statement.options(selectinload(Message.attachments)).order_by(Message.id.desc()).limit(limit + 1)).all()
    page = _with_reference(list(rows[:limit]))
    return jsonify({"items": _item.dump(page, many=True),
                    "next_cursor": encode_cursor(page[-1].id) if len(rows) > limit else None})


@bp.get("/<int:message_id>")
def read_message(message_id: int):
    return jsonify(_dump_detail(pipeline.get_message(message_id, _principal())))


@bp.post("/<int:message_id>/open")
def open_message(message_id: int):
    data = _open_in.load(json_body())
    identities = [(i["type"], i["value"]) for i in data.get("identities") or []]
    message, created = pipeline.open_message(
        message_id, _principal(), rights=data["rights"], identities=identities or None,
        controller_id=data.get("controller"), language=data.get("language"))
    return _action_answer(message, [r.reference for r in created], 201)


@bp.post("/<int:message_id>/attach")
def attach_message(message_id: int):
    data = _attach_in.load(json_body())
    message, joined = pipeline.attach_message(message_id, _principal(), data["reference"])
    return _action_answer(message, [joined.reference])


@bp.post("/<int:message_id>/dismiss")
def dismiss_message(message_id: int):
    data = _dismiss_in.load(json_body())
    return _action_answer(pipeline.dismiss_message(message_id, _principal(), data["reason"]), [])


def document(spec, responses) -> None:
    """Add the messages API to the OpenAPI document (dsar.api.openapi.extend)."""
    for name, schema in [("MessageListQuery", schemas.MessageListQuery), ("Message", schemas.MessageOut),
                         ("MessageDetail", schemas.MessageDetailOut), ("MessagePage", schemas.MessagePage),
                         ("MessageOpenIn", schemas.MessageOpenIn), ("MessageAttachIn", schemas.MessageAttachIn),
                         ("MessageDismissIn", schemas.MessageDismissIn),
                         ("MessageActionOut", schemas.MessageActionOut)]:
        if name not in spec.components.schemas:
            spec.components.schema(name, schema=schema)
    secured = {"security": [{"bearer": []}]}
    message_id = {"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    spec.path("/messages", operations={"get": secured | {
        "summary": "List messages in and out, newest first (disposition=needs_triage: the triage queue)",
        "description": "Controllers see the messages of their own requests; messages that belong to no "
                       "request are the operator's.",
        "parameters": [{"in": "query", "schema": "MessageListQuery"}],
        "responses": responses("200", "MessagePage", "a page", "400", "401", "422")}})
    spec.path("/messages/{message_id}", operations={"get": secured | {
        "summary": "Read a message: headers, text, what intake understood, attachments, its request",
        "parameters": [message_id],
        "responses": responses("200", "MessageDetail", "the message", "401", "404")}})
    for action, body, summary, ok in [
        ("open", "MessageOpenIn", "Open a request from the message, as intake would have (disposition triaged)", "201"),
        ("attach", "MessageAttachIn", "Join the message to a request (disposition triaged)", "200"),
        ("dismiss", "MessageDismissIn", "Record that the message asks nothing of us (disposition triaged)", "200"),
    ]:
        spec.path(f"/messages/{{message_id}}/{action}", operations={"post": secured | {
            "summary": summary, "parameters": [message_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": responses(ok, "MessageActionOut", "the message after triage",
                                   "400", "401", "403", "404", "409", "422")}})
