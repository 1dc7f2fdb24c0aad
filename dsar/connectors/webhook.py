"""`webhook`: a system fulfilled by an HTTP endpoint of its own, told by a signed POST.

Every action POSTs the task as JSON to the system's `url`:

    {"task_id", "action", "reference", "controller", "due", "subject": {"identities",
     "corrections"}, "callback_url"}

with `X-DSAR-Timestamp` (unix seconds) and `X-DSAR-Signature: sha256=<hex>`, the
HMAC-SHA256 of "<timestamp>.<raw body>" keyed with the system's `secret`. The endpoint
answers either 200/201 with the result at once (the shape of `dsar.fulfilment.results`),
or 202: it works on it and later POSTs the result to `callback_url`, signed the same way
with the same secret (`dsar.fulfilment.callbacks`). Any other answer fails the task
(5xx and timeouts are retried by VendorHttp, then the task is rescheduled).

Settings: `url` (http or https), `secret` ({env: VAR}, the HMAC key), `timeout` (seconds,
default 10).
"""
from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate
from requests.models import complexjson

from dsar.connectors import register
from dsar.connectors.base import ACTIONS, ActionResult, Connector, ConnectorError, EnvRef, NotConfigured, Subject
from dsar.connectors.http import VendorHttp

TIMESTAMP_HEADER = "X-DSAR-Timestamp"
SIGNATURE_HEADER = "X-DSAR-Signature"
# A signed message older (or further in the future) than this is refused: a replay.
MAX_SKEW = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def check_signature(secret: str, timestamp: str | None, signature: str | None, body: bytes,
                    now: float | None = None) -> str | None:
    """Why a signed message must be refused (None: it is genuine and fresh)."""
    if not timestamp or not signature:
        return f"the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers are required"
    try:
        sent = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} must be unix seconds"
    now = time.time() if now is None else now
    if abs(now - sent) > MAX_SKEW:
        return f"the timestamp is more than {MAX_SKEW} seconds from now: refused as a possible replay"
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        return "the signature does not match"
    return None


def callback_url(task_id: int) -> str:
    from flask import current_app

    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/api/v1/task-callbacks/{task_id}"


def _due(context):
    """The processor SLA's due date while it runs, else the statutory one (as the manual
    connector tells a system's owner)."""
    from sqlalchemy import select

    from dsar.connectors.manual import due_date
    from dsar.extensions import db
    from dsar.models import Request
    from dsar.timeutil import now

    request = db.session.scalars(select(Request).where(Request.reference == context.reference)).one_or_none()
    due = due_date(request, now()) if request is not None else context.due
    db.session.commit()  # end the read transaction before the endpoint is called
    return due


class WebhookSettings(Schema):
    url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    secret = EnvRef(required=True)
    timeout = fields.Float(load_default=10.0, validate=validate.Range(min=0.1, max=300))


@register
class WebhookConnector(Connector):
    type = "webhook"
    Settings = WebhookSettings
    capabilities = frozenset(ACTIONS)

    def _post(self, subject: Subject) -> ActionResult:
        from dsar.fulfilment.results import load_result

        context = self.context
        if context is None:
            raise NotConfigured("the webhook connector only runs as a task: the endpoint answers on its callback")
        due = _due(context)
        body = {
            "task_id": context.task_id, "action": context.action, "reference": context.reference,
            "controller": context.controller, "due": due.isoformat() if due else None,
            "subject": {"identities": subject.identities, "corrections": subject.corrections},
            "callback_url": callback_url(context.task_id),
        }
        # Sign exactly the bytes requests will send for `json=body` (its own serialiser).
        raw = complexjson.dumps(body, allow_nan=False).encode("utf-8")
        timestamp = str(int(time.time()))
        url = self.settings["url"]
        http = VendorHttp(self.system_id, url, {
            "Content-Type": "application/json", "Accept": "application/json",
            TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(self.secret("secret"), timestamp, raw)},
            timeout=self.settings["timeout"])
        response = http.call("POST", url, json=body, ok=(200, 201, 202))
        host = urlsplit(url).netloc
        if response.status_code == 202:
            return ActionResult(waiting=f"posted to {host} at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
                                        "waiting for its callback")
        try:
            answer = response.json()
        except ValueError:
            raise ConnectorError(f"POST to {host} answered {response.status_code} without a JSON result "
                                 "(answer 202 to report later on the callback)") from None
        try:
            return load_result(answer)
        except ValidationError as exc:
            raise ConnectorError(f"POST to {host} answered {response.status_code} with an invalid result: "
                                 f"{exc.messages}") from None

    access = export = erase = rectify = restrict = suppress = _post


__all__ = ["MAX_SKEW", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookConnector", "callback_url",
           "check_signature", "sign"]
