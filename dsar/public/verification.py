"""Email confirmation: the signed, expiring link that proves the subject reads the address.

The token signs (reference, email) with the app's SECRET_KEY (itsdangerous, salt
"dsar-verify") and expires after VERIFICATION_MAX_AGE_DAYS. Opening the link only shows
a button; confirming is a POST, because mail systems' link scanners fetch every URL in a
message and must not confirm on the subject's behalf. Confirming performs the lifecycle's
`verify` as the subject, on the request and on the requests split from it, which routes
them (or marks them unroutable) — nothing reaches a controller before that.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from dsar.extensions import db
from dsar.identities import normalize
from dsar.lifecycle import ACTIONS, TransitionRefused
from dsar.models import Request
from dsar.permissions import Principal
from dsar.requests import service

SALT = "dsar-verify"
REASON = "email address confirmed through the link sent to it"


class LinkInvalid(Exception):
    """Not a link we made (mistyped, cut short, forged), or its request is gone."""


class LinkExpired(LinkInvalid):
    """A link we made, too old to use."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def make_token(reference: str, email: str) -> str:
    return _serializer().dumps([reference, normalize("email", email)])


def max_age_days() -> int:
    return current_app.config["VERIFICATION_MAX_AGE_DAYS"]


def _read(token: str) -> tuple[str, str]:
    try:
        payload = _serializer().loads(token, max_age=max_age_days() * 86400)
    except SignatureExpired:
        raise LinkExpired("this confirmation link has expired") from None
    except BadSignature:
        raise LinkInvalid("not a confirmation link") from None
    if not (isinstance(payload, list) and len(payload) == 2 and all(isinstance(p, str) for p in payload)):
        raise LinkInvalid("not a confirmation link")
    return payload[0], payload[1]


def requests_for(token: str) -> list[Request]:
    """The request the link confirms, then the requests split from it."""
    reference, email = _read(token)
    try:
        original = service.get_request(reference, Principal.subject(reference))
    except service.NotFound:
        raise LinkInvalid("no such request") from None
    # The link confirms one address: the one it was sent to, still on the request.
    if email not in {i.normalized for i in original.identities if i.kind == "email"}:
        raise LinkInvalid("the address is not on this request")
    children = db.session.scalars(select(Request).where(Request.parent_id == original.id).order_by(Request.id))
    return [original, *children]


def awaiting_confirmation(request: Request) -> bool:
    """Unconfirmed, and in a state where confirming is the next step (not, say, a
    request the controller has since paused to ask for ID, or cancelled)."""
    return request.verification == "unverified" and request.status in {s.value for s in ACTIONS["verify"].sources}


def confirm(token: str) -> list[Request]:
    """Confirm the address for every request of the link that still waits for it."""
    family = requests_for(token)
    for request in family:
        if awaiting_confirmation(request):
            try:
                service.perform(request.reference, "verify", Principal.subject(request.reference), {"reason": REASON})
            except TransitionRefused:
                pass  # confirmed meanwhile (a double click): the page shows where it stands
    return family
