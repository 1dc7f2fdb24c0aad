"""The /v1 routes of the OpenGDPR 1.0 processor API (OpenDSR 2.0 §10.1 lets us serve only these).

- `GET /v1/discovery` and `GET /v1/certificate.pem`: public.
- `POST /v1/opengdpr_requests`, `GET|DELETE /v1/opengdpr_requests/<id>`: our API bearer
  tokens (the spec leaves authentication to the processor, §4.3). The instruction is the
  token's controller's: a controller_admin, controller_agent or bot token with a
  controller. An operator token may read any instruction's status but cannot instruct or
  cancel: an instruction and its cancellation are the controller's (GDPR Art. 28(3)(a),
  dsar.permissions).

An instruction becomes one of our requests, filed as the controller's (so the processor
SLA runs from its receipt: `instructed_at` is `received_time`), with the identity taken
as verified by the controller and the statutory month running from `submitted_time`
(never restamped; a time up to 5 minutes ahead of ours is taken as ours, clocks drift).
It is then approved at once as the controller's instruction, so fulfilment starts;
with OPENGDPR_AUTO_APPROVE = False it waits, pending, for the controller's people to
approve it in triage (and can be cancelled meanwhile).

A subject_request_id already used is refused with a 409: the spec leaves this open, and
answering a replay with the original would mean keeping the original body (identities
included) only for that. A controller that lost our 201 reads the status with GET.

Errors have the spec's shape (§7.6) with the HTTP status as `code`; a state conflict
(a repeated id, a DELETE once in progress) is a 409 rather than the spec's blanket 400.
Every answer that is not an error is signed (X-OpenGDPR-Processor-Domain,
X-OpenGDPR-Signature over the exact body). `processor_signature` in the 201 and 202
answers is our signature over the `encoded_request` string (its ASCII bytes): a
receipt of what we were sent.
"""
from __future__ import annotations

import base64
import json
import logging
from datetime import timedelta

from flask import Blueprint, Response, current_app, g, request
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from dsar.answers import signing, webhooks
from dsar.api.auth import authenticate
from dsar.api.errors import ApiError
from dsar.extensions import db
from dsar.lifecycle import TransitionRefused
from dsar.models import OpenGdprRequest
from dsar.opengdpr import schemas
from dsar.opengdpr.status import CHANNEL, PENDING, STATUS_OF, expected_completion, rfc3339, status_body
from dsar.permissions import Forbidden, Principal
from dsar.public.links import public_url
from dsar.requests import service
from dsar.timeutil import now as current_time

log = logging.getLogger(__name__)

bp = Blueprint("opengdpr", __name__, url_prefix="/v1")
PUBLIC_ENDPOINTS = {"opengdpr.discovery", "opengdpr.certificate"}
API_VERSION = "1.0"
CLOCK_SKEW = timedelta(minutes=5)


class OpenGdprError(Exception):
    def __init__(self, status: int, reason: str, message: str, domain: str = "request"):
        super().__init__(message)
        self.status, self.reason, self.message, self.domain = status, reason, message, domain


# --- answers ---------------------------------------------------------------------------

def signed(payload: dict, status: int = 200) -> Response:
    """`payload` as the exact bytes we sign, with the signature headers."""
    body = webhooks.encode(payload)
    response = Response(body, status=status, mimetype="application/json")
    response.headers.update(signing.headers(body))
    response.headers["Cache-Control"] = "no-store"
    return response


def error_response(status: int, message: str, errors: list[dict], headers: dict | None = None) -> Response:
    body = {"error": {"code": status, "message": message, "errors": errors}}
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _one(status: int, domain: str, reason: str, message: str, headers: dict | None = None) -> Response:
    return error_response(status, message, [{"domain": domain, "reason": reason, "message": message}], headers)


def _flatten(messages, path: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested messages as (dotted field, message) pairs."""
    if isinstance(messages, dict):
        return [pair for key, value in messages.items()
                for pair in _flatten(value, f"{path}.{key}" if path and key != "_schema" else (path or str(key)))]
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [(path, m) for m in messages]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, path)]
    return [(path, str(messages))]


@bp.errorhandler(OpenGdprError)
def _opengdpr_error(exc: OpenGdprError):
    return _one(exc.status, exc.domain, exc.reason, exc.message)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    domain = "authentication" if exc.status == 401 else "request"
    return _one(exc.status, domain, exc.code, exc.message, exc.headers)


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    pairs = _flatten(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages})
    errors = [{"domain": "validation", "reason": "invalid_field", "field": field,
               "message": f"{field}: {message}" if field and field != "_schema" else message}
              for field, message in pairs]
    first = errors[0]["message"] if errors else "the request is not valid"
    return error_response(400, first, errors)


@bp.errorhandler(service.Invalid)
def _invalid_value(exc: service.Invalid):
    return _one(400, "validation", "invalid_field", exc.message)


@bp.errorhandler(service.NotFound)
def _not_found(exc: service.NotFound):
    return _one(404, "request", "not_found", str(exc))


@bp.errorhandler(Forbidden)
def _forbidden(exc: Forbidden):
    return _one(403, "authorization", "forbidden", str(exc))


@bp.errorhandler(TransitionRefused)
def _refused(exc: TransitionRefused):
    return _one(409, "request", "conflict", exc.message)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    """Also the app's answer under /v1 for errors no route saw (an unknown path, a 405)."""
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}  # Allow on a 405
    return _one(exc.code or 500, "request", (exc.name or "error").lower().replace(" ", "_"),
                exc.description or exc.name, headers)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return _one(500, "server", "internal_error", "an internal error occurred; it has been logged")


# --- routes ----------------------------------------------------------------------------

@bp.before_request
def require_token():
    if request.endpoint not in PUBLIC_ENDPOINTS:
        authenticate()


@bp.get("/discovery")
def discovery():
    """What we support (§6), and where our certificate is; our other rights as an extension."""
    domain = signing.processor_domain()
    return signed({
        "api_version": API_VERSION,
        "supported_identities": [{"identity_type": t, "identity_format": f} for t, f in schemas.SUPPORTED_IDENTITIES],
        "supported_subject_request_types": list(schemas.OPENGDPR_TYPES),
        "processor_certificate": public_url("opengdpr.certificate"),
        "extensions": {domain: {
            "subject_request_types": list(schemas.EXTENSION_TYPES),
            "request_fields": {
                "corrections": "rectification: an object of field name to corrected value",
                "details": "the subject's own words",
                "language": "the subject's language, ISO 639-1",
            },
        }},
    })


@bp.get("/certificate.pem")
def certificate():
    """The X.509 certificate our responses and callbacks are signed with."""
    return Response(signing.certificate_pem(), mimetype="application/x-pem-file",
                    headers={"Cache-Control": "public, max-age=3600"})


def _instructing() -> Principal:
    principal: Principal = g.principal
    if principal.is_operator:
        raise OpenGdprError(403, "forbidden", "an OpenGDPR instruction comes from a controller: use a token of that "
                                              "controller (controller_admin, controller_agent, or a bot with a "
                                              "controller)", "authorization")
    return principal


def _raw_json() -> tuple[bytes, dict]:
    raw = request.get_data(cache=True)
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise OpenGdprError(400, "malformed_json", "the body must be a JSON object", "validation") from None
    if not isinstance(payload, dict):
        raise OpenGdprError(400, "malformed_json", "the body must be a JSON object", "validation")
    return raw, payload


@bp.post("/opengdpr_requests")
def create_opengdpr_request():
    principal = _instructing()
    received = current_time()
    raw, payload = _raw_json()
    data = schemas.OpenGdprRequestIn(signing.processor_domain(), webhooks.url_problem).load(payload)
    request_id = data["subject_request_id"]
    if db.session.get(OpenGdprRequest, request_id) is not None:
        raise _repeated(request_id)
    submitted = data["submitted_time"]
    if submitted > received + CLOCK_SKEW:
        raise OpenGdprError(400, "invalid_field", "submitted_time is in the future", "validation")
    ours = data["our_extension"]
    created = service.create_request(service.NewRequest(
        rights=[data["subject_request_type"]], identities=schemas.our_identities(data["subject_identities"]),
        channel=CHANNEL, details=ours.get("details", ""), corrections=ours.get("corrections"),
        language=ours.get("language"), received_at=min(submitted, received), identity_verified=True,
    ), principal, now=received)
    ours_request = created[0]
    db.session.add(OpenGdprRequest(
        id=request_id, controller_id=ours_request.controller_id, request_id=ours_request.id,
        request_type=data["subject_request_type"], api_version=data["api_version"], submitted_time=submitted,
        received_time=received, callback_urls=data["status_callback_urls"], last_status=PENDING))
    try:
        db.session.commit()
    except IntegrityError:  # the same id, posted twice at once: the other one won
        db.session.rollback()
        service.perform(ours_request.reference, "cancel", principal,
                        {"reason": f"a second OpenGDPR request with the id {request_id}"})
        raise _repeated(request_id) from None
    if current_app.config["OPENGDPR_AUTO_APPROVE"]:
        try:
            ours_request = service.perform(ours_request.reference, "approve", principal, {
                "instruction": f"OpenGDPR {data['subject_request_type']} request {request_id}"}, now=received)
        except (TransitionRefused, Forbidden) as exc:  # left pending, for the controller's people
            log.warning("OpenGDPR request %s not approved: %s", request_id, exc)
    encoded = base64.b64encode(raw).decode("ascii")
    response = signed({
        "controller_id": ours_request.controller_id,
        "expected_completion_time": rfc3339(expected_completion(ours_request)),
        "received_time": rfc3339(received),
        "encoded_request": encoded,
        "subject_request_id": request_id,
        "processor_signature": signing.sign(encoded.encode("ascii")),
    }, 201)
    response.headers["Location"] = public_url("opengdpr.read_opengdpr_request", request_id=request_id)
    return response


def _repeated(request_id: str) -> OpenGdprError:
    return OpenGdprError(409, "duplicate_subject_request_id",
                         f"subject_request_id {request_id} was already used; read its status with GET "
                         f"/v1/opengdpr_requests/{request_id}")


def _visible(request_id: str) -> OpenGdprRequest:
    """The instruction, if the caller's tenant gave it (operators see all); else a 404."""
    principal: Principal = g.principal
    row = db.session.get(OpenGdprRequest, request_id) if schemas.UUID4.fullmatch(request_id) else None
    if row is None or not (principal.is_operator or row.controller_id == principal.controller_id):
        raise OpenGdprError(404, "not_found", f"no OpenGDPR request {request_id[:36]!r}")
    return row


@bp.get("/opengdpr_requests/<request_id>")
def read_opengdpr_request(request_id: str):
    row = _visible(request_id)
    return signed(status_body(row, row.request))


@bp.delete("/opengdpr_requests/<request_id>")
def cancel_opengdpr_request(request_id: str):
    """Cancel while pending (§9); afterwards the work is under way and a 409 says so."""
    row = _visible(request_id)
    principal = _instructing()
    status = STATUS_OF.get(row.request.status, PENDING)
    if status != PENDING:
        raise OpenGdprError(409, "not_pending", f"only a pending request can be cancelled; this one is {status}")
    received = current_time()
    service.perform(row.request.reference, "cancel", principal,
                    {"reason": f"cancelled by the controller (OpenGDPR request {request_id})"}, now=received)
    encoded = base64.b64encode(request.get_data(cache=True)).decode("ascii")
    return signed({
        "controller_id": row.controller_id,
        "subject_request_id": row.id,
        "received_time": rfc3339(received),
        "encoded_request": encoded,
        "processor_signature": signing.sign(encoded.encode("ascii")),
        "api_version": row.api_version,
    }, 202)
