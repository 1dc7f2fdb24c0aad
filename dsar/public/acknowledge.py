"""The acknowledgement: one email to the subject for the requests one submission opened.

Used by the public form and by email intake. It says what was received (each reference,
with its organisation and due date), what happens next, and gives the confirmation link
and the status page link(s). It repeats nothing the subject typed but the rights they
ticked: a form that echoes free text to any address would let anyone send spam through us.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString

from dsar.mail.outbox import is_single_address, send_to_subject
from dsar.models import Message, Request
from dsar.public.links import public_url
from dsar.public.verification import awaiting_confirmation, make_token, max_age_days
from dsar.public.wording import RIGHTS
from dsar.requests.service import clocks_of

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    """One acknowledged request, as the email shows it."""

    reference: str
    controller: str | None
    rights: list[LazyString]
    due: date | None
    status_url: str | None


def _item(request: Request) -> Item:
    # The status token exists only on the object create_request returned (its hash is
    # stored): a request acknowledged later gets no status link rather than a broken one.
    token = getattr(request, "status_token", None)
    return Item(
        reference=request.reference,
        controller=request.controller.name if request.controller else None,
        rights=[RIGHTS[r].title for r in request.rights],
        due=clocks_of(request)["statutory"].due,
        status_url=public_url("public.status_page", token=token) if token else None,
    )


def acknowledge(requests: list[Request], *, reply_to: Message | None = None) -> Message | None:
    """Email the subject about `requests` (one create_request's result, original first).

    Returns the stored outbound Message, or None when the subject gave no usable email
    address (nothing is sent or recorded then). When `reply_to` is the inbound message
    that opened the requests, the acknowledgement answers it in its thread.
    """
    original = requests[0]
    email = original.subject_email
    if email is None:
        return None
    if not is_single_address(email.strip()):
        logger.warning("no acknowledgement for %s: its email identity is not one plain address", original.reference)
        return None
    verify_url = (public_url("public.confirm_page", token=make_token(original.reference, email))
                  if awaiting_confirmation(original) else None)
    return send_to_subject(
        original, "acknowledgement", to=email, reply_to=reply_to,
        items=[_item(r) for r in requests], verify_url=verify_url, max_age_days=max_age_days(),
    )
