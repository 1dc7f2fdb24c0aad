"""Signed POSTs we owe (a controller's webhook, OpenGDPR status callbacks), sent until they land.

`owe(...)` adds a `WebhookDelivery` to the caller's transaction, so a delivery exists
exactly when what it announces committed. The `deliver_due` duty (every sweeper, `dsar
tick`) claims due deliveries, POSTs each body signed (`dsar.answers.signing`) and records
the outcome: a 2xx is delivered; anything else (an error status, a redirect, which is
never followed, a timeout, a refused connection) is retried with exponential backoff and
jitter, and given up as `failed` after WEBHOOK_MAX_ATTEMPTS attempts.

Order: a delivery waits while an earlier one for the same request and URL is still
pending, so a receiver never hears `completed` before `in_progress`.

Which URLs: https always. Plain http only to a loopback host (127.0.0.0/8, ::1,
localhost) and only while dsar itself is served over http (PUBLIC_BASE_URL http://: the
demo and the tests); an https instance refuses plain http everywhere, and refuses
loopback, private and link-local IP literals, so a controller cannot aim our POSTs at
the operator's own internal services. (A host name that resolves to a private address is
not caught here: the network the workers run in should not reach internal services.)
"""
from __future__ import annotations

import ipaddress
import json
import logging
import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import aliased

from dsar.answers import dispatch, signing
from dsar.extensions import db
from dsar.models import WebhookDelivery
from dsar.timeutil import now as current_time

log = logging.getLogger(__name__)

TIMEOUT = 10  # seconds, to connect and between bytes of the answer
BATCH = 20  # deliveries claimed per sweep
# A claimed delivery is not due again before this: long enough for the batch to be sent,
# short enough that a sweeper dying mid-batch leaves its deliveries to the next one.
LEASE = timedelta(minutes=15)
RETRY_BASE = timedelta(seconds=60)  # first backoff; doubled each attempt, jittered
RETRY_CAP = timedelta(hours=6)
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def encode(payload: dict) -> bytes:
    """The exact bytes we sign and send for `payload`: compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def url_problem(url: str) -> str | None:
    """Why we would not POST to `url` (see the module's rule), or None when we would."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 — raises ValueError on a port that is not a number
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an https:// URL"
    if parts.username or parts.password:
        return "must not carry credentials"
    serving_http = urlsplit(current_app.config["PUBLIC_BASE_URL"]).scheme == "http"
    loopback = _is_loopback(host)
    if parts.scheme == "http" and not (serving_http and loopback):
        return "must be an https:// URL"
    if not serving_http and (loopback or _is_internal_ip(host)):
        return "must not point at a loopback, private or link-local address"
    return None


def owe(request_id: int | None, kind: str, url: str, payload: dict) -> WebhookDelivery:
    """Add a delivery of `payload` to `url` to the session (not committed), due now.

    A URL we would not POST to still gets its row: the duty marks it failed, saying why,
    rather than the caller's transaction failing.
    """
    at = current_time()
    delivery = WebhookDelivery(request_id=request_id, kind=kind, url=url, body=encode(payload).decode("utf-8"),
                               status="pending", attempts=0, created_at=at, next_attempt_at=at)
    db.session.add(delivery)
    return delivery


@dispatch.duty
def deliver_due(now: datetime) -> int:
    """Send every due pending delivery once; returns how many were attempted."""
    claimed = _claim(now)
    for row in claimed:
        _attempt(row, now)
    return len(claimed)


def _claim(now: datetime) -> list:
    """Take up to BATCH due deliveries for this sweeper alone, and commit the claim.

    The claim pushes next_attempt_at past the lease with a conditional UPDATE: a second
    sweeper's UPDATE of the same row finds it no longer due (PostgreSQL re-checks the
    condition after the first commits; SQLite runs one writer at a time), and on
    PostgreSQL the candidates are picked FOR UPDATE SKIP LOCKED so it moves on to others.
    """
    candidate, earlier = aliased(WebhookDelivery), aliased(WebhookDelivery)

    def due(table):
        return and_(table.status == "pending", table.next_attempt_at <= now)

    waits_for_earlier = exists().where(
        earlier.request_id == candidate.request_id, earlier.url == candidate.url,
        earlier.status == "pending", earlier.id < candidate.id)
    candidates = (select(candidate.id).where(due(candidate), ~waits_for_earlier)
                  .order_by(candidate.next_attempt_at, candidate.id).limit(BATCH))
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(of=candidate, skip_locked=True)
    rows = db.session.execute(
        update(WebhookDelivery).where(WebhookDelivery.id.in_(candidates.scalar_subquery()), due(WebhookDelivery))
        .values(next_attempt_at=now + LEASE)
        .returning(WebhookDelivery.id, WebhookDelivery.url, WebhookDelivery.body, WebhookDelivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return sorted(rows, key=lambda row: row.id)


def _attempt(row, now: datetime) -> None:
    """POST one claimed delivery and record how it went (committed)."""
    status_code, error = None, url_problem(row.url)
    if error:
        error, final = f"refused: the URL {error}", True
    else:
        body = row.body.encode("utf-8")
        try:
            response = requests.post(
                row.url, data=body, timeout=TIMEOUT, allow_redirects=False,
                headers={"Content-Type": "application/json", "User-Agent": "dsar-webhooks",
                         **signing.headers(body)})
            status_code = response.status_code
            if not 200 <= status_code < 300:
                error = _describe_response(response)
        except requests.RequestException as exc:
            error = _describe_exception(exc)
        final = False
    attempts = row.attempts + 1
    values = {"attempts": attempts, "response_status": status_code, "last_error": error}
    if error is None:
        values.update(status="delivered", delivered_at=current_time(), next_attempt_at=None)
    elif final or attempts >= current_app.config["WEBHOOK_MAX_ATTEMPTS"]:
        values.update(status="failed", next_attempt_at=None)
        log.warning("webhook delivery %s failed after %s attempt(s): %s", row.id, attempts, error)
    else:
        values["next_attempt_at"] = now + _backoff(attempts)
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == row.id, WebhookDelivery.status == "pending")
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()


def _backoff(attempts: int) -> timedelta:
    """Exponential from RETRY_BASE, capped, with full jitter over its upper half."""
    ceiling = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)
    return ceiling * random.uniform(0.5, 1.0)


def _describe_response(response: requests.Response) -> str:
    if 300 <= response.status_code < 400:
        return f"HTTP {response.status_code}: a redirect, not followed"
    text = " ".join(response.text[:200].split())  # the receiver's words, on one line
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


def _describe_exception(exc: requests.RequestException) -> str:
    # requests' own messages repeat the URL (its query may hold a receiver's token): not kept.
    if isinstance(exc, requests.Timeout):
        return f"timed out after {TIMEOUT} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS failed (certificate or handshake)"
    if isinstance(exc, requests.ConnectionError):
        return "could not connect"
    return f"request failed ({type(exc).__name__})"


def _is_loopback(host: str) -> bool:
    if host.lower().rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_internal_ip(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_link_local or address.is_loopback or address.is_unspecified
