"""Outgoing mail: stored before it is sent, never lost when SMTP is down, logged in the
demo, threaded when it answers a message, and no header can be injected."""
from __future__ import annotations

import logging
import socket
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import select

from conftest import SUBJECT_EMAIL
from dsar.extensions import db
from dsar.mail.outbox import UnsafeAddress, send, send_to_subject
from dsar.models import Event, Message, Request
from dsar.public.acknowledge import acknowledge


@pytest.fixture
def operator(token):
    return token("operator_admin")


@pytest.fixture
def filed(file_request, operator):
    """filed(**fields) -> the reference of a request filed through the API (call it outside
    an app context: a test client request would share the one the test holds)."""
    return lambda **fields: file_request(operator, **fields)["reference"]


def _row(reference: str) -> Request:
    return db.session.scalars(select(Request).where(Request.reference == reference)).one()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on leaving: nothing listens there


def test_smtp_down_keeps_the_message_as_failed_and_it_can_be_sent_again(app, smtp, filed):
    reference = filed(controller="cabinet-martin")
    with app.app_context():
        request = _row(reference)
        app.config["MAIL_PORT"] = _closed_port()
        message = send_to_subject(request, "acknowledgement", to=SUBJECT_EMAIL, items=[], verify_url=None,
                                  max_age_days=7)
        db.session.expire_all()
        stored = db.session.get(Message, message.id)
        assert stored.delivery == "failed" and "Connection refused" in stored.delivery_error
        assert stored.sent_at is None and stored.raw and stored.request_id == request.id
        assert db.session.get(Request, request.id).status == "received"  # the request is untouched
        assert smtp.messages == []

        app.config["MAIL_PORT"] = smtp.port  # the server is back: the stored message goes
        send(stored)
        assert stored.delivery == "sent" and stored.sent_at is not None and stored.delivery_error is None
        [received] = smtp.messages
        assert received.rcpt_tos == [SUBJECT_EMAIL] and received.raw.replace(b"\r\n", b"\n") \
            == stored.raw.replace(b"\r\n", b"\n")
        event = db.session.scalars(select(Event).where(Event.request_id == request.id, Event.kind == "message_sent")).one()
        assert event.data == {"template": "acknowledgement", "message_id": stored.message_id, "delivery": "sent"}


def test_without_a_mail_server_the_message_is_logged_in_full(app, filed, caplog):
    reference = filed(controller="cabinet-martin")
    with app.app_context():
        app.config["MAIL_SERVER"] = None
        request = _row(reference)
        request.status_token = "a-status-token"
        with caplog.at_level(logging.WARNING, logger="dsar.mail.outbox"):
            message = acknowledge([request])
        assert message.delivery == "logged"
        # Cabinet Martin is French: so is the email to a subject who gave no language.
        assert f"Subject: Votre demande relative à vos données personnelles [{request.reference}]" in caplog.text
        assert "/privacy/confirm/" in caplog.text and "/privacy/status/a-status-token" in caplog.text


def test_the_stored_message_is_what_was_sent(app, smtp, filed):
    reference = filed(controller="notaria-serrano")
    with app.app_context():
        request = _row(reference)
        message = acknowledge([request])
    [received] = smtp.messages
    email = received.message
    assert email["Message-ID"] == f"<{message.message_id}>" and message.message_id.endswith("@dsar.example")
    assert (message.direction, message.source, message.template, message.delivery) == ("out", "smtp", "acknowledgement", "sent")
    assert message.sender == "privacy@dsar.example" and message.recipients == SUBJECT_EMAIL
    assert email["Subject"] == message.subject and f"[{request.reference}]" in message.subject
    assert email["Auto-Submitted"] == "auto-generated" and email["Date"]
    # Notaría Serrano writes Spanish: the subject's request had no language of its own.
    assert message.language == "es" and email["Content-Language"] == "es"
    assert email.get_content_type() == "text/plain" and not email.is_multipart()


def test_a_reply_threads_onto_the_message_it_answers(app, smtp, filed):
    reference = filed(controller="cabinet-martin", channel="email")
    with app.app_context():
        request = _row(reference)
        inbound = Message(direction="in", source="imap", message_id="abc.123@mail.example",
                          in_reply_to="root.1@mail.example", subject="Demande d'accès RGPD",
                          sender=SUBJECT_EMAIL, at=request.received_at)
        db.session.add(inbound)
        db.session.commit()
        message = acknowledge([request], reply_to=inbound)
    email = smtp.messages[0].message
    assert email["In-Reply-To"] == "<abc.123@mail.example>"
    assert email["References"] == "<root.1@mail.example> <abc.123@mail.example>"
    assert email["Subject"] == f"Re: Demande d'accès RGPD [{request.reference}]"
    assert email["Auto-Submitted"] == "auto-replied"
    assert message.in_reply_to == "root.1@mail.example abc.123@mail.example"


def test_no_header_can_be_injected(app, smtp, filed):
    reference = filed(controller="cabinet-martin")
    with app.app_context():
        request = _row(reference)
        for hostile in (f"{SUBJECT_EMAIL}\r\nBcc: victim@evil.example", f"{SUBJECT_EMAIL}, victim@evil.example",
                        f"Ana <{SUBJECT_EMAIL}>", f"{SUBJECT_EMAIL}\x00"):
            with pytest.raises(UnsafeAddress):
                send_to_subject(request, "acknowledgement", to=hostile, items=[], verify_url=None, max_age_days=7)
        assert db.session.scalars(select(Message)).all() == []

        # What the subject wrote in their own email's subject and Message-IDs reaches our headers only cleaned.
        inbound = Message(direction="in", source="imap", message_id="ok@mail.example>\r\nBcc: victim@evil.example",
                          in_reply_to="fine@mail.example <bad> x\r\ny", at=request.received_at,
                          subject="Hello\r\nBcc: victim@evil.example\u2028To: other@evil.example")
        db.session.add(inbound)
        db.session.commit()
        acknowledge([request], reply_to=inbound)
    [received] = smtp.messages
    assert received.rcpt_tos == [SUBJECT_EMAIL]
    parsed = message_from_bytes(received.raw, policy=default)
    assert parsed.get_all("Bcc") is None and parsed.get_all("To") == [SUBJECT_EMAIL]
    # One line (strip: Python folds a long header with a leading space, as RFC 5322 allows).
    assert parsed["Subject"].strip() == f"Re: Hello Bcc: victim@evil.example To: other@evil.example [{request.reference}]"
    assert parsed["In-Reply-To"] is None  # its Message-ID was not one
    assert parsed["References"] == "<fine@mail.example> <x> <y>"


def test_no_email_identity_means_no_acknowledgement(app, smtp, filed):
    reference = filed(identities=[{"type": "name", "value": "Ana Martín"}], controller="cabinet-martin")
    with app.app_context():
        request = _row(reference)
        assert acknowledge([request]) is None
        assert db.session.scalars(select(Message)).all() == []
    assert smtp.messages == []


@pytest.mark.parametrize(("language", "controller", "expected"), [
    ("de", "cabinet-martin", "de"),   # the subject's own language first
    ("it", "cabinet-martin", "fr"),   # one we have no translation for: the controller's
    (None, None, "en"),               # nobody's: English
])
def test_the_language_of_the_email(app, smtp, filed, language, controller, expected):
    fields = {"language": language} if language else {}
    reference = filed(**fields, **({"controller": controller} if controller else {}))
    with app.app_context():
        request = _row(reference)
        assert acknowledge([request]).language == expected


def test_tick_sends_again_what_smtp_refused(app, smtp, filed, runner):
    reference = filed(controller="cabinet-martin")
    with app.app_context():
        app.config["MAIL_PORT"] = _closed_port()
        message = send_to_subject(_row(reference), "acknowledgement", to=SUBJECT_EMAIL, items=[], verify_url=None,
                                  max_age_days=7)
        assert message.delivery == "failed"
        message_id = message.id
    assert "retried" not in runner.invoke(args=["tick"]).output  # just tried: not again at once
    later = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
    still_down = runner.invoke(args=["tick", "--now", later])
    assert still_down.exit_code == 0 and "1 still failing" in still_down.output
    app.config["MAIL_PORT"] = smtp.port  # the server is back
    back = runner.invoke(args=["tick", "--now", later])
    assert back.exit_code == 0 and "1 went, 0 still failing" in back.output
    assert [m.rcpt_tos for m in smtp.messages] == [[SUBJECT_EMAIL]]
    assert "retried" not in runner.invoke(args=["tick", "--now", later]).output  # sent once, not again
    with app.app_context():
        assert db.session.get(Message, message_id).delivery == "sent"
