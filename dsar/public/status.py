"""The status page's view of a request: found by its status token, told in plain words.

Only what concerns this request and what the subject is meant to read: no identities,
no internal notes, nothing about other requests.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString
from sqlalchemy import select

from dsar.clocks import ClockState
from dsar.extensions import db
from dsar.models import Controller, Request
from dsar.public.wording import RIGHTS, STATUS
from dsar.requests.references import hash_token
from dsar.requests.service import clocks_of


@dataclass(frozen=True)
class StatusView:
    reference: str
    language: str | None
    controller: str | None
    status: str
    sentence: LazyString
    rights: list[LazyString]
    received_on: date
    due: date | None
    paused: bool
    information_requested: str | None
    extension_reason: str | None
    rejection_reason: str | None


def find(token: str) -> Request | None:
    """The request whose status token this is; None for a wrong or unknown token alike."""
    return db.session.scalars(select(Request).where(Request.status_token_hash == hash_token(token))).one_or_none()


def _received_on(request: Request) -> date:
    """The day of receipt in the controller's time zone (the operator's while unrouted)."""
    owner = request.controller or db.session.scalars(select(Controller).where(Controller.is_operator)).one()
    return owner.calendar.local_date(request.received_at)


def describe(request: Request) -> StatusView:
    statutory = clocks_of(request)["statutory"]
    open_pause = next((p for p in request.pauses if p.ended_at is None), None)
    return StatusView(
        reference=request.reference, language=request.language,
        controller=request.controller.name if request.controller else None,
        status=request.status, sentence=STATUS[request.status],
        rights=[RIGHTS[r].title for r in request.rights],
        received_on=_received_on(request), due=statutory.due,
        paused=statutory.state == ClockState.PAUSED,
        information_requested=open_pause.reason if open_pause else None,
        extension_reason=request.extension_reason if request.extended else None,
        rejection_reason=request.rejection_reason,
    )
