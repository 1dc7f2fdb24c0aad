"""Outgoing mail to data subjects (and to staff): render, store, then send (or log), and record it.

`send_to_subject` renders a plain-text template in the subject's language, stores the
Message (delivery "sending") and commits *before* talking to SMTP: mail trouble never
loses a request or a message, and `send` can deliver a stored message again later.
`send_to_staff` does the same for mail to the controllers' and the operator's people.
`queue_to_staff` only adds the message to the caller's transaction; the `send_queued`
duty sends it moments after that commits (mail owed by a status change, say).

Templates are `dsar/templates/mail/<name>.txt`; their first line is `Subject: …`, the
rest is the body. Nothing the subject typed goes into a header unchecked: the recipient
must be one plain address, and header text loses every control character (CR/LF
included), so no header can be injected.
"""
from __future__ import annotations

import logging
import re
import smtplib
import ssl
import unicodedata
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import and_, or_, select, update

from dsar import audit
from dsar.answers import dispatch
from dsar.extensions import db
from dsar.models import Message, Request
from dsar.public.i18n import language_of
from dsar.timeutil import now as current_time

logger = logging.getLogger(__name__)

# One plain address, ASCII, nothing else: no display name, no comma, no CR/LF. Stricter
# than RFC 5322 on purpose: what passes here is safe in a header and at an SMTP server.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
# A Message-ID without its <>: printable ASCII, no spaces, no angle brackets.
_MESSAGE_ID = re.compile(r"[!-;=?-~]{1,250}")
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|rif|r)\s*:", re.IGNORECASE)
# A long thread keeps only its latest Message-IDs in References (enough to thread).
MAX_REFERENCES = 10


class UnsafeAddress(ValueError):
    """The recipient is not one plain email address."""


def is_single_address(value: str) -> bool:
    """True when `value` is exactly one plain email address (what a header can carry)."""
    return len(value) <= 254 and _ADDRESS.fullmatch(value) is not None


def header_text(value: str, limit: int = 200) -> str:
    """`value` on one line: every control or separator character becomes a space."""
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in value)
    return " ".join(cleaned.split())[:limit]


def _mail_from() -> tuple[str, str]:
    """(From header, envelope address) from MAIL_FROM ("Name <a@b>" or "a@b")."""
    configured = current_app.config["MAIL_FROM"]
    address = parseaddr(configured)[1]
    if not is_single_address(address):
        raise RuntimeError(f"MAIL_FROM is not a usable address: {configured!r}")
    return configured, address


def render(template: str, language: str, **context) -> tuple[str, str]:
    """Render mail template `template` in `language`: (subject, body)."""
    with force_locale(language):
        text = render_template(f"mail/{template}.txt", **context)
    first, _, body = text.lstrip("\n").partition("\n")
    if not first.startswith("Subject:"):
        raise RuntimeError(f"mail/{template}.txt must start with a 'Subject:' line")
    return first.removeprefix("Subject:").strip(), body.strip("\n") + "\n"


def _thread(reply_to: Message | None) -> tuple[str | None, list[str]]:
    """(the Message-ID answered, the References chain oldest first), keeping only
    well-formed ids: they come from someone else's email."""
    if reply_to is None:
        return None, []
    answered = reply_to.message_id if _MESSAGE_ID.fullmatch(reply_to.message_id or "") else None
    ids = [*(reply_to.in_reply_to or "").split(), answered or ""]
    return answered, [i for i in dict.fromkeys(ids) if _MESSAGE_ID.fullmatch(i)][-MAX_REFERENCES:]


def _subject(rendered: str, reference: str, reply_to: Message | None) -> str:
    """The template's subject, or "Re: <theirs>" when answering; always with [reference],
    so the subject's reply threads onto the request even without its headers."""
    subject = header_text(rendered)
    original = header_text(reply_to.subject or "", 150) if reply_to is not None else ""
    if original:
        subject = original if _REPLY_PREFIX.match(original) else f"Re: {original}"
    tag = f"[{reference}]"
    return subject if tag in subject else f"{subject} {tag}"


def _compose(to: str, subject: str, body: str, language: str, *, template: str,
             request_id: int | None, reply_to: Message | None = None, delivery: str = "queued") -> Message:
    """The outbound Message (not yet added to the session) for one plain address `to`,
    with its raw RFC 5322 source. `delivery` is "queued" (for `send_queued` to send) or
    "sending" (the caller sends it itself, right after committing it)."""
    from_header, envelope_from = _mail_from()
    at = current_time()
    message_id = make_msgid(domain=envelope_from.rpartition("@")[2])[1:-1]
    answered, thread = _thread(reply_to)

    email = EmailMessage()
    email["From"] = from_header
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = format_datetime(at)
    email["Message-ID"] = f"<{message_id}>"
    if answered:
        email["In-Reply-To"] = f"<{answered}>"
    if thread:
        email["References"] = " ".join(f"<{i}>" for i in thread)
    # RFC 3834: an automatic message; auto-responders (out of office…) must not answer
    # it, so two robots cannot mail each other forever. Exchange reads the second header.
    email["Auto-Submitted"] = "auto-replied" if reply_to is not None else "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(body)
    email["Content-Language"] = language  # after set_content, which resets Content-* headers

    return Message(
        direction="out", source="smtp", template=template, request_id=request_id,
        message_id=message_id, in_reply_to=" ".join(thread), sender=envelope_from, recipients=to,
        subject=str(email["Subject"]), body_text=body, raw=email.as_bytes(policy=SMTP),
        language=language, at=at, delivery=delivery,
    )


def send_to_subject(request: Request, template: str, *, to: str, reply_to: Message | None = None,
                    **context) -> Message:
    """Render `template` for `request`'s subject, store it, send it; return the Message.

    Raises UnsafeAddress when `to` is not one plain address. Never raises on SMTP
    trouble: the stored message says "failed" and why, and `send` can retry it.
    """
    to = to.strip()
    if not is_single_address(to):
        raise UnsafeAddress(f"not one plain email address: {to[:80]!r}")
    language = language_of(request)
    rendered_subject, body = render(template, language, request=request, **context)
    message = _compose(to, _subject(rendered_subject, request.reference, reply_to), body, language,
                       template=template, request_id=request.id, reply_to=reply_to, delivery="sending")
    db.session.add(message)
    db.session.commit()  # stored before sending: an SMTP outage loses nothing
    send(message)
    return message


# Staff read the product in English (the staff pages are not translated).
STAFF_LANGUAGE = "en"


def _compose_for_staff(to: str, template: str, request: Request | None, language: str, context: dict,
                       delivery: str) -> Message:
    """The Message (not yet in the session) of `template` to one plain address `to`;
    with `request`, linked to it and its subject carrying the reference."""
    to = to.strip()
    if not is_single_address(to):
        raise UnsafeAddress(f"not one plain email address: {to[:80]!r}")
    rendered_subject, body = render(template, language, request=request, **context)
    subject = header_text(rendered_subject)
    if request is not None and f"[{request.reference}]" not in subject:
        subject = f"{subject} [{request.reference}]"
    return _compose(to, subject, body, language, template=template,
                    request_id=request.id if request is not None else None, delivery=delivery)


def send_to_staff(to: str, template: str, *, request: Request | None = None, **context) -> Message:
    """Render `template` for staff (an alert digest…), store it, send it; return the Message.

    Like `send_to_subject`: the message is committed before SMTP is tried (together with
    whatever the caller added to the session, e.g. the alerts it records), SMTP trouble
    leaves it "failed" for `send` to retry, and `to` must be one plain address
    (UnsafeAddress otherwise). With `request`, the message is linked to it and its subject
    carries the reference.
    """
    message = _compose_for_staff(to, template, request, STAFF_LANGUAGE, context, "sending")
    db.session.add(message)
    db.session.commit()  # stored before sending: an SMTP outage loses nothing
    send(message)
    return message


def queue_to_staff(to: str, template: str, *, request: Request | None = None, language: str = STAFF_LANGUAGE,
                   **context) -> Message:
    """Compose `template` as `send_to_staff` does and add it to the session, "queued":
    no commit, no SMTP. It commits (or rolls back) with the caller's transaction, e.g.
    the status change that owes it, and `send_queued` sends it within seconds. For mail
    owed from inside a transaction that must not wait on SMTP (an audit listener).
    Raises UnsafeAddress when `to` is not one plain address."""
    message = _compose_for_staff(to, template, request, language, context, "queued")
    db.session.add(message)
    return message


def _deliver(sender: str, recipients: list[str], raw: bytes) -> None:
    config = current_app.config
    context = ssl.create_default_context()
    # EHLO with our own mail domain: smtplib's default asks DNS for this host's FQDN,
    # which can hang for seconds on a badly configured machine.
    options = {"timeout": config["MAIL_TIMEOUT"], "local_hostname": sender.rpartition("@")[2]}
    if config["MAIL_SSL"]:
        server = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], context=context, **options)
    else:
        server = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], **options)
    with server:
        if config["MAIL_STARTTLS"] and not config["MAIL_SSL"]:
            server.starttls(context=context)
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        server.sendmail(sender, recipients, raw)


def send(message: Message) -> None:
    """Deliver a stored outbound message (again); record the outcome and commit.

    No MAIL_SERVER (the demo): the message is written to the log in full, so whoever
    runs the demo can follow the links in it; its delivery is "logged".
    """
    if not current_app.config.get("MAIL_SERVER"):
        logger.warning("MAIL_SERVER is not set: this email was not sent; here it is.\n"
                       "To: %s\nSubject: %s\nMessage-ID: <%s>\n\n%s",
                       message.recipients, message.subject, message.message_id, message.body_text)
        delivery, error = "logged", None
    else:
        try:
            _deliver(message.sender, message.recipients.split(", "), message.raw)
            delivery, error = "sent", None
        except (OSError, smtplib.SMTPException) as exc:  # mail down must not lose the request
            delivery, error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
            logger.warning("could not send message <%s>: %s", message.message_id, error)
    message.delivery, message.delivery_error = delivery, error
    if error is None:
        message.sent_at = current_time()
        _record_sent(message)
    db.session.commit()


# Outbound mail that did not go is tried again by `dsar tick` for this long, then left
# "failed" for a person to see (it stays on its request either way).
RETRY_FOR = timedelta(days=7)
# Queued mail younger than this is `send_queued`'s; older, `resend_undelivered`'s.
QUEUED_WINDOW = timedelta(minutes=5)
# A message still "sending" this long after it was written was abandoned by a process
# that died between its commit and SMTP (a send takes seconds, not minutes).
ABANDONED_AFTER = timedelta(minutes=15)


def resend_undelivered(now: datetime, *, limit: int = 200) -> list[Message]:
    """Try again the outbound messages that failed (or were stored but never tried: a
    crash between commit and send) between RETRY_FOR and five minutes ago (younger ones
    were just tried, or are being sent); return them, as they ended."""
    recent = now - QUEUED_WINDOW
    messages = list(db.session.scalars(
        select(Message).where(Message.direction == "out", Message.at >= now - RETRY_FOR,
                              or_(and_(Message.delivery.in_(("failed", "queued")), Message.at < recent),
                                  and_(Message.delivery == "sending", Message.at < now - ABANDONED_AFTER)))
        .order_by(Message.id).limit(limit)))
    for message in messages:
        send(message)
    return messages


@dispatch.duty
def send_queued(now: datetime, *, limit: int = 200) -> int:
    """Send the mail queued in the last few minutes (`queue_to_staff`); how many went out
    or failed. Each message is claimed first (queued → sending, in one conditional
    UPDATE committed before SMTP), so two sweepers never send the same one twice."""
    claimed = list(db.session.scalars(
        update(Message).where(Message.id.in_(
            select(Message.id).where(Message.direction == "out", Message.delivery == "queued",
                                     Message.at >= now - QUEUED_WINDOW).order_by(Message.id).limit(limit)),
            Message.delivery == "queued")
        .values(delivery="sending").returning(Message.id).execution_options(synchronize_session=False)))
    db.session.commit()
    for message_id in sorted(claimed):
        message = db.session.get(Message, message_id)
        if message is not None:
            send(message)
    return len(claimed)


def _record_sent(message: Message) -> None:
    """An audit event on the request: what was sent to the subject, and when."""
    if message.request_id is None:
        return
    # Lock the request row first, as every writer of its chain does (audit.record).
    request = db.session.scalars(select(Request).where(Request.id == message.request_id)
                                 .with_for_update()).one()
    audit.record(request, actor="bot:operator:outbox", kind="message_sent", at=message.sent_at,
                 data={"template": message.template, "message_id": message.message_id,
                       "delivery": message.delivery})
