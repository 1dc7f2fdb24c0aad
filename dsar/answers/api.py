"""`GET /api/v1/requests/{reference}/processor-report`: the processor's report, for the
controller's people and tokens (and the operator's); another tenant's request is a 404."""
from __future__ import annotations

from flask import Blueprint, Flask, g, jsonify

from dsar.answers import processor_report
from dsar.api.auth import authenticate
from dsar.requests import service

bp = Blueprint("answers_api", __name__, url_prefix="/api/v1/requests")


@bp.before_request
def require_token():
    authenticate()


@bp.get("/<reference>/processor-report")
def read_processor_report(reference: str):
    """What the processor did on each system for this request, and whether the SLA held."""
    return jsonify(processor_report.build(service.get_request(reference, g.principal)))


def document(spec, responses) -> None:
    """Add the report to the OpenAPI document (dsar.api.openapi.extend)."""
    ok = responses("200", "Request", "", "401", "404")
    ok["200"] = {"description": "per system and action: status, outcome, counts, records (kind, id, outcome), "
                                "notes, error, timestamps; the outcomes in total; the processor SLA and whether "
                                "it was met",
                 "content": {"application/json": {"schema": {"type": "object"}}}}
    spec.path("/requests/{reference}/processor-report", operations={"get": {
        "summary": "The processor's report to the controller", "security": [{"bearer": []}],
        "parameters": [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": ok}})


def init_app(app: Flask) -> None:
    from dsar.api import openapi

    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    openapi.extend(document)
