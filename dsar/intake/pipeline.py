"""The one intake pipeline: every inbound email, however it came, goes through `ingest`.

IMAP polling, Postmark's webhook and file import hand it raw RFC 5322 bytes. It keeps
every message (a message is never dropped, and never silently opened as a request),
and this module is the only place that decides a message's disposition (see
DISPOSITIONS in dsar.models.message):

1. over INBOUND_MAX_BYTES: the headers and a note are kept, for a human (needs_triage);
2. a Message-ID already stored: nothing happens again (the same mail delivered twice,
   or by two channels, opens one request);
3. an auto-reply or a bounce: kept, opens nothing, joins its request if one matches;
4. a reply to one of our messages, or quoting one of our references: joins that
   request (threaded, or chaser when it is a reminder);
5. a reminder naming no request: joins the sender's latest request, if any;
6. a request understood with confidence: opened (routed by the request service),
   then acknowledged once the transaction is committed;
7. understood as something else: not_request; otherwise (or malformed) needs_triage.

A human settles needs_triage messages through the triage actions at the end of this
module (open, attach, dismiss), which the messages API calls.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dsar import permissions
from dsar.api.schemas import IdentityIn
from dsar.extensions import db
from dsar.identities import normalize
from dsar.intake import threads
from dsar.mail.parse import ParsedEmail, parse_email, synthetic_message_id
from dsar.models import Attachment, Controller, Message, Request, Role
from dsar.models.rights import RIGHT_NAMES
from dsar.permissions import Principal
from dsar.public.acknowledge import acknowledge
from dsar.requests.service import (Invalid, NewRequest, NotFound, create_request,
                                  get_request)
from dsar.requests.service import attach_message as join_request
from dsar.timeutil import now as current_time
from dsar.understanding import Understanding, understand_email

SOURCES = ("imap", "postmark", "file")
DEFAULT_MAX_BYTES = 25 * 1024 * 1024
# Text the database cannot store: NUL (PostgreSQL refuses it) and lone surrogates.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
# A request's details are the subject's words as the API takes them (the message keeps all).
MAX_DETAILS = 20000


@dataclass
class Outcome:
    """What `ingest` did with one message."""

    message: Message
    stored: bool  # False: this Message-ID was already stored; nothing was done again
    disposition: str
    requests: list[Request] = field(default_factory=list)


@dataclass
class _Decision:
    disposition: str
    reason: str
    thread: threads.Thread | None = None
    open: NewRequest | None = None


def intake_principal(source: str) -> Principal:
    """The operator-level actor that files and threads what arrives by email."""
    return Principal(Role.BOT, None, f"intake:{source}")


# --- storing ---------------------------------------------------------------------------

def storable(value, limit: int | None = None):
    """`value` (text, or JSON-like data) with what no database stores replaced; text cut to `limit`."""
    if isinstance(value, str):
        text = _UNSTORABLE.sub("\ufffd", value)
        return text[:limit] if limit else text
    if isinstance(value, dict):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


def _message_id(value: str, raw: bytes) -> str:
    value = storable(value or "").strip()
    # The column holds 998 characters (RFC 5322's line limit); anything longer is not a
    # real Message-ID: name it by its bytes so it still deduplicates.
    return value if 0 < len(value) <= 998 else synthetic_message_id(raw)


def headers_only(raw: bytes, limit: int) -> tuple[bytes, str]:
    """(the header block of an oversized message and a note, the note alone)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    end = min(ends) if ends else 64 * 1024
    note = (f"[dsar] This message was {len(raw)} bytes, over the intake limit of {limit} bytes "
            "(INBOUND_MAX_BYTES): only its headers were kept. Ask the sender for a smaller copy.")
    return raw[:min(end, 256 * 1024)] + b"\r\n\r\n" + note.encode() + b"\r\n", note


def _stored(message_id: str) -> Message | None:
    return db.session.scalars(select(Message).where(Message.message_id == message_id)).one_or_none()


def _requests_of(message: Message) -> list[Request]:
    """The request a message is linked to, and the requests split off it."""
    if message.request_id is None:
        return []
    return list(db.session.scalars(
        select(Request).where((Request.id == message.request_id) | (Request.parent_id == message.request_id))
        .order_by(Request.id)))


def _already(message: Message) -> Outcome:
    return Outcome(message, False, message.disposition or "", _requests_of(message))


def _insert(message: Message) -> Message | None:
    """Add and flush `message`; on a Message-ID stored meanwhile (a race), return that one instead.

    The INSERT is the lock: a concurrent ingest of the same Message-ID waits on the
    unique index, then fails here, before it has opened or threaded anything.
    """
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = _stored(message.message_id)
        if existing is None:
            raise
        return existing
    return None


# --- reading ---------------------------------------------------------------------------

def _parse(raw: bytes) -> ParsedEmail:
    try:
        return parse_email(raw)
    except Exception:  # parse_email promises not to raise; a bug there must not lose mail
        current_app.logger.exception("parse_email failed; the message is kept for triage")
        return ParsedEmail(message_id=synthetic_message_id(raw), in_reply_to=[], references=[], subject="",
                           sender="", sender_name="", recipients=[], date=None, text="", headers_broken=True)


def _understand(parsed: ParsedEmail) -> tuple[Understanding | None, dict]:
    """(Understanding or None, what to store of it)."""
    try:
        understanding = understand_email(parsed)
    except Exception as exc:  # a classifier bug: the message waits for a human instead
        current_app.logger.exception("understand_email failed; the message is kept for triage")
        return None, {"error": f"not analysed: {type(exc).__name__}"}
    return understanding, storable(understanding.as_dict())


def own_addresses() -> set[str]:
    """Every address that is ours: each controller's DSAR contact and routing aliases, and
    the address our own mail goes out from."""
    addresses: set[str] = {parseaddr(current_app.config.get("MAIL_FROM") or "")[1].lower()}
    for contact, aliases in db.session.execute(select(Controller.contact_email, Controller.aliases)):
        addresses.add((contact or "").strip().lower())
        addresses.update(a.strip().lower() for a in aliases or [])
    addresses.discard("")
    return addresses


def subject_identities(sender: str, understood: list, ours: set[str]) -> list[tuple[str, str]]:
    """The subject's identities: the sender's address first, then those understood.

    Our own addresses are dropped (the subject wrote *to* them, or quoted them), and so
    is anything the API would refuse as an identity.
    """
    schema = IdentityIn()
    seen: set[tuple[str, str]] = set()
    out: list[tuple[str, str]] = []
    for kind, value in [("email", sender), *understood]:
        try:
            loaded = schema.load({"type": kind, "value": value})
        except ValidationError:
            continue
        kind, value = loaded["type"], loaded["value"].strip()
        key = (kind, normalize(kind, value))
        if key in seen or (kind == "email" and key[1] in ours):
            continue
        seen.add(key)
        out.append((kind, value))
    return out


def one_line(text: str | None) -> str:
    """Header text on one line: control characters (CR/LF above all) become spaces, so a
    value taken from a message can never start a new header when it is written out."""
    return " ".join(_CONTROL.sub(" ", text or "").split())


def _rights(values) -> list[str]:
    return [r for r in dict.fromkeys(values or []) if r in RIGHT_NAMES]


def _language(value) -> str | None:
    return value if isinstance(value, str) and _LANGUAGE.match(value) else None


# --- deciding --------------------------------------------------------------------------

def _decide(parsed: ParsedEmail, understanding: Understanding | None, *, now: datetime) -> _Decision:
    """The disposition of a newly stored message: the rules of the module docstring, in order."""
    if understanding is None:
        return _Decision("needs_triage", "the message could not be analysed")
    ids = threads.answered_ids(parsed.in_reply_to, parsed.references)
    thread = threads.by_headers(ids) or threads.by_reference(understanding.references)
    if parsed.auto in ("auto_reply", "bounce"):
        return _Decision(parsed.auto, "automatic message: opens nothing", thread)
    if thread is not None:
        if understanding.chaser:
            return _Decision("chaser", f"a reminder; it {thread.clue}", thread)
        return _Decision("threaded", f"it {thread.clue}", thread)
    if understanding.chaser:
        thread = threads.latest_of_sender(parsed.sender)
        if thread is not None:
            return _Decision("chaser", f"a reminder naming no request; {thread.clue}", thread)
        return _Decision("needs_triage", "a reminder about a request we cannot find: perhaps one we never received")
    if parsed.headers_broken:
        return _Decision("needs_triage", "the message is malformed: what it is was read best-effort, a human checks it")
    if not understanding.is_request:
        if understanding.confident:
            return _Decision("not_request", "understood as not a data-subject request")
        return _Decision("needs_triage", "not understood with confidence")
    rights = _rights(understanding.rights)
    if not understanding.confident or not rights:
        return _Decision("needs_triage", "looks like a request, but not understood with confidence")
    identities = subject_identities(parsed.sender, list(understanding.identities), own_addresses())
    if not any(kind == "email" for kind, _ in identities):
        return _Decision("needs_triage", "a request, but no address of the subject to answer")
    return _Decision("opened", "a request understood with confidence", open=NewRequest(
        rights=rights, identities=identities, channel="email", language=_language(understanding.language),
        details=storable(understanding.new_text or parsed.text or "", MAX_DETAILS),
        corrections={"text": storable(understanding.corrections)} if understanding.corrections else None,
        recipients=[r for r in parsed.recipients if isinstance(r, str)], received_at=now,
    ))


# --- acting ----------------------------------------------------------------------------

def _open(message: Message, data: NewRequest, principal: Principal, now: datetime) -> list[Request]:
    """Open the request(s) `message` asks for; commits (the request service does)."""
    data.message = message  # linked in the same commit as the new request
    return create_request(data, principal, now=now)


def _acknowledge(requests: list[Request], message: Message) -> None:
    """Send the subject the acknowledgement, after the commit; never fails the intake."""
    try:
        acknowledge(requests, reply_to=message)
    except Exception:
        # The request and the message are committed; failing here would only make the
        # poller or Postmark retry a message that is now a duplicate.
        current_app.logger.exception("acknowledgement of %s failed", [r.reference for r in requests])


def ingest(raw: bytes, *, source: str, now: datetime | None = None) -> Outcome:
    """Store one inbound email and do what it asks; see the module docstring.

    Args:
        raw: the message as received (RFC 5322 bytes).
        source: how it came: imap, postmark or file.
        now: when it was received (default: now).
    Returns the Outcome; raises only on a database failure (nothing is then committed).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    now = now or current_time()
    limit = int(current_app.config.get("INBOUND_MAX_BYTES") or DEFAULT_MAX_BYTES)
    oversized = len(raw) > limit
    kept, note = headers_only(raw, limit) if oversized else (raw, None)
    parsed = _parse(kept)
    message_id = _message_id(parsed.message_id, kept)
    existing = _stored(message_id)
    if existing is not None:
        return _already(existing)

    if oversized:
        understanding, stored = None, {"error": f"over the size limit: {len(raw)} bytes > {limit}"}
        decision = _Decision("needs_triage", "too large to analyse; only the headers were kept")
    else:
        understanding, stored = _understand(parsed)
        decision = _decide(parsed, understanding, now=now)
    message = Message(
        direction="in", source=source, message_id=message_id,
        in_reply_to=storable(" ".join(threads.answered_ids(parsed.in_reply_to, parsed.references))),
        sender=storable(one_line(parsed.sender), 320), recipients=storable(", ".join(parsed.recipients)),
        subject=storable(one_line(parsed.subject)),
        body_text=note or storable(parsed.text or ""),
        language=_language(getattr(understanding, "language", None)), raw=kept, at=now,
        disposition=decision.disposition, understanding={**stored, "decision": decision.reason},
        attachments=[Attachment(filename=storable(a.filename or "", 255),
                                content_type=storable(a.content_type or "application/octet-stream", 127),
                                size=a.size, data=a.data, omitted=storable(a.omitted, 200))
                     for a in ([] if oversized else parsed.attachments)],
    )
    raced = _insert(message)
    if raced is not None:
        return _already(raced)

    principal = intake_principal(source)
    if decision.open is not None:
        requests = _open(message, decision.open, principal, now)
        _acknowledge(requests, message)
        return Outcome(message, True, message.disposition, requests)
    requests = []
    if decision.thread is not None:
        requests = [join_request(decision.thread.request, message, principal, now=now,
                                 chaser=decision.disposition == "chaser")]
    db.session.commit()
    return Outcome(message, True, message.disposition, requests)


def keep_unreadable(body: bytes, *, source: str, error: str, now: datetime | None = None) -> Outcome:
    """Keep a delivery that is not an email at all (say, a broken webhook body) for a human.

    Stored once per distinct body (its hash is its Message-ID), as needs_triage.
    """
    now = now or current_time()
    message = Message(direction="in", source=source, message_id=synthetic_message_id(body), raw=body, at=now,
                      disposition="needs_triage", understanding={"error": storable(error, 2000)},
                      body_text="", subject="", sender="", recipients="", in_reply_to="")
    existing = _stored(message.message_id) or _insert(message)
    if existing is not None:
        return _already(existing)
    db.session.commit()
    return Outcome(message, True, message.disposition)


# --- triage: a human settles what intake could not -------------------------------------

class NotTriable(Exception):
    """The message is not in a state this triage action applies to (the API's 409)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def get_message(message_id: int, principal: Principal, *, for_update: bool = False) -> Message:
    """A message the caller may see: its request's tenant, or operators for unrouted ones."""
    statement = permissions.scope(
        principal, select(Message).outerjoin(Request, Request.id == Message.request_id).where(Message.id == message_id))
    if for_update:
        statement = statement.with_for_update(of=Message)
    message = db.session.scalars(statement).one_or_none()
    if message is None:
        raise NotFound(f"no message {message_id}")
    return message


def _triable(message_id: int, principal: Principal, action: str) -> Message:
    message = get_message(message_id, principal, for_update=True)
    if not principal.is_operator:
        raise permissions.Forbidden("triage of inbound email is the operator's")
    if message.direction != "in":
        raise NotTriable(f"message {message.id} is one we sent; only inbound messages are triaged")
    if message.request_id is not None:
        raise NotTriable(f"message {message.id} already belongs to a request; it cannot be {action}")
    if action == "dismissed" and message.disposition == "triaged":
        raise NotTriable(f"message {message.id} was already triaged by {message.triaged_by}")
    return message


def _triaged(message: Message, principal: Principal, now: datetime, note: dict) -> None:
    message.disposition, message.triaged_by, message.triaged_at = "triaged", principal.name[:120], now
    message.understanding = {**(message.understanding or {}), "triage": storable(note)}


def understood_identities(message: Message) -> list[tuple[str, str]]:
    """The identities intake understood of a stored message, the sender first."""
    understood = [(item.get("kind"), item.get("value")) for item in (message.understanding or {}).get("identities") or []
                  if isinstance(item, dict)]
    return subject_identities(message.sender, understood, own_addresses())


def open_message(message_id: int, principal: Principal, *, rights: list[str],
                 identities: list[tuple[str, str]] | None = None, controller_id: str | None = None,
                 language: str | None = None, now: datetime | None = None) -> tuple[Message, list[Request]]:
    """Open a request from a message a human has read, as intake would have; then acknowledge it."""
    now = now or current_time()
    message = _triable(message_id, principal, "opened")
    understanding = message.understanding or {}
    identities = identities or understood_identities(message)
    if not any(kind == "email" for kind, _ in identities):
        raise Invalid("give the subject's email address: none was understood", "identities")
    _triaged(message, principal, now, {"action": "opened", "rights": list(rights)})
    data = NewRequest(
        rights=list(rights), identities=list(identities), channel="email", controller_id=controller_id,
        language=language or _language(understanding.get("language")) or message.language,
        details=storable(understanding.get("new_text") or message.body_text or "", MAX_DETAILS),
        corrections={"text": understanding["corrections"]} if understanding.get("corrections") else None,
        recipients=[r.strip() for r in message.recipients.split(",") if r.strip()],
        # The clock runs from when the email arrived, not from when a human read it.
        received_at=message.at,
    )
    requests = _open(message, data, principal, now)
    _acknowledge(requests, message)
    return message, requests


def attach_message(message_id: int, principal: Principal, reference: str, *,
                   now: datetime | None = None) -> tuple[Message, Request]:
    """Join a message to the request a human says it belongs to."""
    now = now or current_time()
    message = _triable(message_id, principal, "attached")
    request = get_request(reference, principal)
    _triaged(message, principal, now, {"action": "attached", "reference": request.reference})
    request = join_request(request, message, principal, now=now, extra={"attached_by": principal.name})
    db.session.commit()
    return message, request


def dismiss_message(message_id: int, principal: Principal, reason: str, *,
                    now: datetime | None = None) -> Message:
    """Record that a human read the message and it asks nothing of us."""
    now = now or current_time()
    message = _triable(message_id, principal, "dismissed")
    _triaged(message, principal, now, {"action": "dismissed", "reason": reason})
    db.session.commit()
    return message
