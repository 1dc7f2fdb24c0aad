"""The OpenGDPR routes in the OpenAPI document (dsar.api.openapi.extend).

They live under /v1, not the API's /api/v1: each operation names its own server.
"""
from __future__ import annotations

from dsar.opengdpr.schemas import EXTENSION_TYPES, OPENGDPR_TYPES, SUPPORTED_IDENTITIES

SERVERS = [{"url": "/v1", "description": "OpenGDPR 1.0 processor API"}]
_JSON = {"type": "object"}


def _ok(description: str, schema: dict | None = None, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema or _JSON}},
            "headers": {"X-OpenGDPR-Processor-Domain": {"schema": {"type": "string"}},
                        "X-OpenGDPR-Signature": {"schema": {"type": "string"},
                                                 "description": "base64 signature over the exact body"}}}


def _errors(*codes: str) -> dict:
    meaning = {"400": "invalid request (the spec's error shape: error.code, message, errors[domain, reason, "
                      "message])", "401": "missing, unknown or revoked token", "403": "an operator token "
               "cannot instruct or cancel", "404": "no such OpenGDPR request for this controller",
               "409": "subject_request_id already used, or no longer pending"}
    return {code: {"description": meaning[code], "content": {"application/json": {"schema": _JSON}}}
            for code in codes}


REQUEST_BODY = {
    "type": "object",
    "required": ["subject_request_id", "subject_request_type", "subject_identities", "submitted_time"],
    "properties": {
        "subject_request_id": {"type": "string", "format": "uuid", "description": "lowercase UUID v4"},
        "subject_request_type": {"type": "string", "enum": list(OPENGDPR_TYPES + EXTENSION_TYPES),
                                 "description": "access, portability, erasure; the others are our extension"},
        "subject_identities": {"type": "array", "items": {"type": "object", "properties": {
            "identity_type": {"type": "string"}, "identity_value": {"type": "string"},
            "identity_format": {"type": "string", "enum": ["raw", "sha1", "md5", "sha256"]}}},
            "description": "supported: " + ", ".join(f"{t}/{f}" for t, f in SUPPORTED_IDENTITIES)},
        "submitted_time": {"type": "string", "format": "date-time",
                           "description": "RFC 3339: when the subject asked the controller"},
        "api_version": {"type": "string", "example": "1.0"},
        "status_callback_urls": {"type": "array", "items": {"type": "string", "format": "uri"},
                                 "description": "https; each is POSTed the signed status on every change"},
        "extensions": {"type": "object", "description": "keyed by processor domain; ours may carry corrections, "
                                                        "details, language"},
    },
}


def document(spec, responses) -> None:
    auth = {"security": [{"bearer": []}], "servers": SERVERS, "tags": ["OpenGDPR"]}
    request_id = {"name": "subject_request_id", "in": "path", "required": True,
                  "schema": {"type": "string", "format": "uuid"}}
    spec.path("/discovery", operations={"get": {
        "summary": "OpenGDPR (/v1/discovery): supported identities and request types, certificate URL",
        "servers": SERVERS, "tags": ["OpenGDPR"], "responses": {"200": _ok("what this processor supports")}}})
    spec.path("/certificate.pem", operations={"get": {
        "summary": "OpenGDPR (/v1/certificate.pem): the X.509 certificate that signs our answers and callbacks",
        "servers": SERVERS, "tags": ["OpenGDPR"],
        "responses": {"200": {"description": "PEM", "content": {"application/x-pem-file": {"schema": {
            "type": "string"}}}}}}})
    spec.path("/opengdpr_requests", operations={"post": auth | {
        "summary": "OpenGDPR (/v1/opengdpr_requests): instruct us; the processor SLA starts now",
        "requestBody": {"required": True, "content": {"application/json": {"schema": REQUEST_BODY}}},
        "responses": {"201": _ok("controller_id, expected_completion_time, received_time, encoded_request, "
                                 "subject_request_id, processor_signature"), **_errors("400", "401", "403", "409")}}})
    spec.path("/opengdpr_requests/{subject_request_id}", operations={
        "get": auth | {"summary": "OpenGDPR: the request's status (pending, in_progress, completed, cancelled)",
                       "parameters": [request_id],
                       "responses": {"200": _ok("controller_id, expected_completion_time, subject_request_id, "
                                                "request_status, api_version, results_url once completed"),
                                     **_errors("401", "404")}},
        "delete": auth | {"summary": "OpenGDPR: cancel, while pending", "parameters": [request_id],
                          "responses": {"202": _ok("the cancellation's receipt"),
                                        **_errors("401", "403", "404", "409")}}})
