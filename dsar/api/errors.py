"""One error shape for the whole API: {"error": {"code", "message", "fields"?}}.

Bad input is a 4xx that says what is wrong; only a bug is a 500, and even then the body
has the same shape and no internals.
"""
from __future__ import annotations

from flask import Flask, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from dsar.lifecycle import TransitionRefused
from dsar.permissions import Forbidden
from dsar.requests.service import Invalid, NotFound, Unavailable


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _is_api() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    """Register the handlers app-wide: API exceptions are only raised under /api."""

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
        return error_response(422, "invalid", "the request body or query has invalid fields", messages)

    @app.errorhandler(Invalid)
    def invalid(exc: Invalid):
        return error_response(422, "invalid", exc.message, {exc.field: [exc.message]} if exc.field else None)

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_response(404, "not_found", str(exc))

    @app.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return error_response(403, "forbidden", str(exc))

    @app.errorhandler(Unavailable)
    def unavailable(exc: Unavailable):
        return error_response(503, "unavailable", exc.message)

    @app.errorhandler(TransitionRefused)
    def refused(exc: TransitionRefused):
        return error_response(409, "conflict", exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if request.path.startswith("/v1/"):  # the OpenGDPR API answers in its specification's shape
            from dsar.opengdpr.views import http_error as opengdpr_error

            return opengdpr_error(exc)
        if not _is_api():
            return exc
        code = (exc.name or "error").lower().replace(" ", "_")
        # Keep the exception's own headers (e.g. Allow on a 405, as RFC 9110 requires).
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return error_response(exc.code or 500, code, exc.description or exc.name, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if not _is_api():
            return "Internal error; it has been logged.", 500
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
