"""The OpenAPI 3 document, generated from the marshmallow schemas, and a docs page."""
from __future__ import annotations

from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import jsonify, render_template

from dsar.api import schemas
from dsar.api.views import API_ACTIONS, bp

_ERRORS = {
    "400": "malformed body or cursor", "401": "missing, unknown or revoked token",
    "403": "visible but not the caller's to do", "404": "no such request for this caller (other tenants' requests are invisible)",
    "409": "the request's state does not allow this action", "422": "invalid fields",
}


# Packages that add their own /api/v1 paths document them here: extend(fn) has
# fn(spec, responses) called on every build (responses is `_responses` below).
_EXTENSIONS: list = []


def extend(add_paths) -> None:
    if add_paths not in _EXTENSIONS:
        _EXTENSIONS.append(add_paths)
        build_spec.cache_clear()


def _responses(ok_code: str, ok_schema: str, description: str, *errors: str) -> dict:
    out = {ok_code: {"description": description, "content": {"application/json": {"schema": ok_schema}}}}
    for code in errors:
        out[code] = {"description": _ERRORS[code], "content": {"application/json": {"schema": "Error"}}}
    return out


@lru_cache(maxsize=1)
def build_spec() -> dict:
    spec = APISpec(
        title="dsar API", version="1.0.0", openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "File, route and decide GDPR data-subject requests. Every call needs "
                             "`Authorization: Bearer <token>` (`dsar tokens create`); every answer "
                             "is scoped to the token's controller."},
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in [("RequestCreate", schemas.RequestCreate), ("ActionIn", schemas.ActionIn),
                         ("Request", schemas.RequestOut), ("RequestCreated", schemas.RequestCreatedOut),
                         ("RequestDetail", schemas.RequestDetailOut),
                         ("RequestPage", schemas.RequestPage), ("Controller", schemas.ControllerOut),
                         ("ControllerPage", schemas.ControllerPage),
                         ("Error", schemas.ErrorOut)]:
        spec.components.schema(name, schema=schema)
    reference = {"name": "reference", "in": "path", "required": True, "schema": {"type": "string"},
                 "example": "DSR-7K3M-9QXP"}
    spec.path("/controllers", operations={"get": {
        "summary": "Controllers the caller may act for", "security": [{"bearer": []}],
        "responses": _responses("200", "ControllerPage", "controllers", "401")}})
    spec.path("/requests", operations={
        "post": {"summary": "File a request (routed, and split when several controllers hold data)",
                 "security": [{"bearer": []}],
                 "requestBody": {"content": {"application/json": {"schema": "RequestCreate"}}},
                 "responses": _responses("201", "RequestCreated", "created", "400", "401", "403", "422")},
        "get": {"summary": "List requests, most urgent first, with cursor pagination",
                "security": [{"bearer": []}],
                "parameters": [{"in": "query", "schema": schemas.ListQuery}],
                "responses": _responses("200", "RequestPage", "a page", "400", "401", "422")},
    })
    spec.path("/requests/{reference}", operations={"get": {
        "summary": "Read a request with its clocks and audit timeline", "security": [{"bearer": []}],
        "parameters": [reference],
        "responses": _responses("200", "RequestDetail", "the request", "401", "404")}})
    spec.path("/requests/{reference}/{action}", operations={"post": {
        "summary": "Act on a request", "security": [{"bearer": []}],
        "parameters": [reference, {"name": "action", "in": "path", "required": True,
                                   "schema": {"type": "string", "enum": sorted(API_ACTIONS)}}],
        "requestBody": {"required": False, "content": {"application/json": {"schema": "ActionIn"}}},
        "responses": _responses("200", "RequestDetail", "the request after the action",
                                "400", "401", "403", "404", "409", "422")}})
    for add_paths in _EXTENSIONS:
        add_paths(spec, _responses)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(build_spec())


@bp.get("/docs")
def docs_page():
    return render_template("api_docs.html", spec=build_spec())
