"""Which request an inbound message belongs to, if any.

Named `threads`, not `threading`, so the package never shadows the standard library.
Three clues, most specific first: the Message-IDs the message answers (In-Reply-To,
then References from the newest), the request references it quotes (DSR-XXXX-XXXX in
the subject or text), and, for a reminder that names nothing, the sender's latest
request. Only lookups here: the pipeline decides what to do with the answer.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dsar.extensions import db
from dsar.identities import normalize
from dsar.models import Message, Request, SubjectIdentity
from dsar.requests.references import is_reference


@dataclass(frozen=True)
class Thread:
    """The request a message joins, and the clue that said so (shown to humans)."""

    request: Request
    clue: str


def answered_ids(in_reply_to: Sequence[str], references: Sequence[str]) -> list[str]:
    """The Message-IDs a message answers, most specific first, each once.

    In-Reply-To names the message answered; References lists the thread oldest first,
    so its end is nearer to this message than its start.
    """
    ordered: list[str] = []
    for message_id in [*in_reply_to, *reversed(references)]:
        if message_id and message_id not in ordered:
            ordered.append(message_id)
    return ordered


def by_headers(message_ids: Sequence[str]) -> Thread | None:
    """The request of the first stored message (in or out) among `message_ids`."""
    ids = list(message_ids)[:50]  # a References header can be long; the recent end matters
    if not ids:
        return None
    rows = db.session.execute(
        select(Message.message_id, Request).join(Request, Request.id == Message.request_id)
        .where(Message.message_id.in_(ids))
    ).all()
    found = {message_id: request for message_id, request in rows}
    for message_id in ids:
        if message_id in found:
            return Thread(found[message_id], f"answers <{message_id}>")
    return None


def by_reference(references: Sequence[str]) -> Thread | None:
    """The first existing request among the references the message quotes."""
    refs = [r for r in dict.fromkeys(references) if isinstance(r, str) and is_reference(r)][:20]
    if not refs:
        return None
    found = {r.reference: r for r in db.session.scalars(select(Request).where(Request.reference.in_(refs)))}
    for ref in refs:
        if ref in found:
            return Thread(found[ref], f"quotes {ref}")
    return None


def latest_of_sender(sender: str) -> Thread | None:
    """The latest request that names `sender` as one of the subject's email addresses."""
    if not sender:
        return None
    request = db.session.scalars(
        select(Request).join(SubjectIdentity)
        .where(SubjectIdentity.kind == "email", SubjectIdentity.normalized == normalize("email", sender))
        .order_by(Request.received_at.desc(), Request.id.desc()).limit(1)
    ).first()
    return Thread(request, f"the sender's latest request is {request.reference}") if request else None
