"""The intake pipeline: what each inbound message becomes, threading, duplicates, the acknowledgement."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from emails_intake import load, make, with_headers

ACCESS_FR = load("access_fr_alias.eml")
CAMILLE = "Camille Durand <camille.durand@mail.example>"
ADMONITION_EN = (
    "To Whom It May Concern:\n\non 2 February 2026 I sent you a request according to Article 15 GDPR.\n"
    "Unfortunately, I have not received an answer so far. The period of one month according to Article 12(3) "
    "sentence 1 GDPR is therefore exceeded.\n\nThat is why I am contacting you again. After the arrival of this "
    "admonition, please adequately answer my request within two weeks. Otherwise, I reserve the right to take "
    "legal action against you and to lodge a complaint with the responsible supervisory authority.\n\n"
    "Thank you.\n\nYours sincerely,\nCamille Durand\n")


@pytest.fixture
def ingest(app):
    """ingest(raw, source="file", **kw) -> Outcome, inside an app context."""
    from dsar.intake import pipeline

    def run(raw: bytes, source: str = "file", **kwargs):
        with app.app_context():
            return pipeline.ingest(raw, source=source, **kwargs)

    return run


@pytest.fixture
def operator(token):
    return token("operator_admin")


def timeline(client, headers, reference: str) -> list[dict]:
    response = client.get(f"/api/v1/requests/{reference}", headers=headers)
    assert response.status_code == 200
    return response.json["timeline"]


def count(app, model) -> int:
    from dsar.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_request_opens_and_is_acknowledged_in_its_thread(ingest, smtp, client, operator):
    outcome = ingest(ACCESS_FR)
    assert outcome.stored and outcome.disposition == "opened"
    [request] = outcome.requests
    assert outcome.message.request_id == request.id  # linked in the same commit
    detail = client.get(f"/api/v1/requests/{request.reference}", headers=operator).json
    assert detail["controller"] == "cabinet-martin" and detail["channel"] == "email"
    assert detail["timeline"][0]["kind"] == "received" and detail["timeline"][0]["actor"] == "bot:operator:intake:file"
    [ack] = smtp.messages
    assert ack.rcpt_tos == ["camille.durand@mail.example"]
    assert ack.message["In-Reply-To"] == "<CAFx8a2-access-fr-1@mail.example>"
    assert request.reference in ack.body


def test_the_same_message_twice_is_one_message_and_one_request(ingest, smtp, app):
    from dsar.models import Message, Request

    first, second = ingest(ACCESS_FR, source="imap"), ingest(ACCESS_FR, source="postmark")
    assert second.stored is False and second.message.id == first.message.id
    assert [r.reference for r in second.requests] == [r.reference for r in first.requests]
    assert count(app, Request) == 1 and len(smtp.messages) == 1
    assert count(app, Message) == 2  # the inbound message and its acknowledgement


def test_the_same_message_at_the_same_time_opens_one_request(app, backend):
    from dsar.intake import pipeline
    from dsar.models import Request

    def deliver(_n: int) -> bool:
        with app.app_context():
            return pipeline.ingest(ACCESS_FR, source="imap").stored

    with ThreadPoolExecutor(max_workers=4) as pool:
        stored = list(pool.map(deliver, range(4)))
    assert stored.count(True) == 1
    assert count(app, Request) == 1


def test_the_same_person_asking_again_is_flagged_as_a_likely_duplicate(ingest, client, operator):
    first = ingest(ACCESS_FR).requests[0]
    again = with_headers(ACCESS_FR, Message_ID="<CAFx8a2-access-fr-2@mail.example>")
    second = ingest(again, now=first.received_at + timedelta(days=3)).requests[0]
    detail = client.get(f"/api/v1/requests/{second.reference}", headers=operator).json
    assert detail["suspected_duplicate_of"] == first.reference


def test_a_reply_to_our_acknowledgement_joins_its_request(ingest, smtp, app, client, operator):
    from dsar.extensions import db
    from dsar.models import Message

    request = ingest(ACCESS_FR).requests[0]
    with app.app_context():
        ack = db.session.scalars(select(Message).where(Message.direction == "out")).one()
    reply = make(sender=CAMILLE, subject=f"Re: {ack.subject}", message_id="<reply-1@mail.example>",
                 body="Hello, here is my customer number again: CM-20931.\n\n> earlier text quoted\n",
                 In_Reply_To=f"<{ack.message_id}>", References=f"<CAFx8a2-access-fr-1@mail.example> <{ack.message_id}>")
    outcome = ingest(reply)
    assert outcome.disposition == "threaded" and [r.id for r in outcome.requests] == [request.id]
    event = timeline(client, operator, request.reference)[-1]
    assert event["kind"] == "message_received" and event["from_status"] is None
    assert event["data"]["message"] == outcome.message.id and event["data"]["from"] == "camille.durand@mail.example"
    assert "body" not in event["data"] and "CM-20931" not in str(event["data"])
    assert len(smtp.messages) == 1  # a reply is not acknowledged again


def test_a_reference_in_the_subject_joins_its_request(ingest, smtp, client, operator):
    request = ingest(ACCESS_FR).requests[0]
    outcome = ingest(make(sender=CAMILLE, subject=f"[{request.reference}] my documents",
                          message_id="<ref-in-subject@mail.example>",
                          body="Please find my proof of address attached.\n"))
    assert outcome.disposition == "threaded" and outcome.requests[0].id == request.id
    assert outcome.message.understanding["decision"] == f"it quotes {request.reference}"


def test_a_reminder_joins_its_request_and_is_flagged(ingest, smtp, client, operator):
    request = ingest(ACCESS_FR).requests[0]
    outcome = ingest(make(sender=CAMILLE, subject=f"Reminder: {request.reference}", message_id="<chaser-1@mail.example>",
                          body=ADMONITION_EN))
    assert outcome.disposition == "chaser" and outcome.requests[0].id == request.id
    detail = client.get(f"/api/v1/requests/{request.reference}", headers=operator).json
    assert detail["chased_at"] is not None and detail["status"] == "received"
    assert detail["timeline"][-1]["kind"] == "chaser"


def test_a_reminder_naming_no_request_joins_the_senders_latest(ingest, smtp):
    request = ingest(ACCESS_FR).requests[0]
    outcome = ingest(make(sender=CAMILLE, subject="No answer to my request", message_id="<chaser-2@mail.example>",
                          body=ADMONITION_EN))
    assert outcome.disposition == "chaser" and outcome.requests[0].id == request.id


def test_a_reminder_about_a_request_we_never_had_waits_for_a_human(ingest):
    outcome = ingest(make(sender="Ola Nordmann <ola@mail.example>", subject="No answer to my request",
                          message_id="<chaser-3@mail.example>", body=ADMONITION_EN))
    assert outcome.disposition == "needs_triage" and outcome.requests == []


@pytest.mark.parametrize("name,disposition", [("out_of_office.eml", "auto_reply"), ("dsn_bounce.eml", "bounce")])
def test_automatic_messages_are_kept_and_open_nothing(ingest, app, client, operator, name, disposition):
    from dsar.models import Request

    outcome = ingest(load(name))
    assert outcome.stored and outcome.disposition == disposition and outcome.requests == []
    assert count(app, Request) == 0
    listed = client.get(f"/api/v1/messages?disposition={disposition}", headers=operator).json["items"]
    assert [m["id"] for m in listed] == [outcome.message.id]


def test_a_bounce_of_our_acknowledgement_joins_the_request_without_changing_it(ingest, smtp, app, client, operator):
    from dsar.extensions import db
    from dsar.models import Message

    request = ingest(ACCESS_FR).requests[0]
    with app.app_context():
        ack = db.session.scalars(select(Message).where(Message.direction == "out")).one()
    bounce = load("dsn_bounce.eml").replace(b"<ack-placeholder@dsar.septeo.example>", f"<{ack.message_id}>".encode())
    bounce = with_headers(bounce, In_Reply_To=f"<{ack.message_id}>")
    outcome = ingest(bounce)
    assert outcome.disposition == "bounce" and outcome.requests[0].id == request.id
    detail = client.get(f"/api/v1/requests/{request.reference}", headers=operator).json
    assert detail["status"] == "received" and detail["chased_at"] is None
    assert detail["timeline"][-1]["kind"] == "message_received"
    assert detail["timeline"][-1]["data"]["disposition"] == "bounce"


def test_a_message_that_is_not_a_request_is_kept_and_listed(ingest, app, client, operator):
    from dsar.models import Request

    outcome = ingest(load("not_request.eml"))
    assert outcome.disposition == "not_request" and count(app, Request) == 0
    listed = client.get("/api/v1/messages?disposition=not_request", headers=operator).json["items"]
    assert [m["subject"] for m in listed] == ["Boost your pipeline with 10,000 verified leads"]


def test_an_oversized_message_keeps_its_headers_and_waits_for_a_human(ingest, app):
    app.config["INBOUND_MAX_BYTES"] = 4096
    raw = with_headers(ACCESS_FR, Message_ID="<big-1@mail.example>") + b"x" * 10_000
    outcome = ingest(raw)
    assert outcome.disposition == "needs_triage" and outcome.requests == []
    message = outcome.message
    assert len(message.raw) < 4096 and b"Message-ID: <big-1@mail.example>" in message.raw
    assert "over the intake limit" in message.body_text and message.understanding["error"].startswith("over the size")
    assert message.sender == "camille.durand@mail.example"
    assert ingest(raw).stored is False  # redelivered: still one


HOSTILE = {
    "empty": b"",
    "garbage": bytes(range(256)) * 40,
    "nul bytes": make(subject="Access\x00request", message_id="<nul@mail.example>",
                      body="I want a copy of my personal data under Article 15 GDPR.\x00\x00\n").replace(b"\r\n", b"\n"),
    "broken MIME": (b"From: x@mail.example\r\nMessage-ID: <broken-mime@mail.example>\r\nSubject: =?utf-8?B?!!!?=\r\n"
                    b"Content-Type: multipart/mixed; boundary=\"nope\r\n\r\n--nope\r\nContent-Type: text/plain; "
                    b"charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n"),
    "script in From": make(sender='"<script>alert(1)</script>" <xss@mail.example>', message_id="<xss@mail.example>",
                           subject="<img src=x onerror=alert(1)>", body="<script>alert(2)</script>\n"),
    "header injection": (b"From: =?utf-8?q?Eve=0D=0ABcc:_victim@elsewhere.example?= <eve@mail.example>\r\n"
                         b"Subject: =?utf-8?q?Hi=0D=0AX-Injected:_1?=\r\nMessage-ID: <inject@mail.example>\r\n\r\nhello\r\n"),
    "no headers": b"just some words, no header at all\r\n",
    "long Message-ID": b"Message-ID: <" + b"a" * 2000 + b"@mail.example>\r\n\r\nbody\r\n",
}


@pytest.mark.parametrize("raw", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_messages_are_kept_and_shown_as_data(ingest, app, client, operator, raw):
    outcome = ingest(raw)
    assert outcome.stored and outcome.message.raw == raw
    assert ingest(raw).stored is False
    response = client.get(f"/api/v1/messages/{outcome.message.id}", headers=operator)
    assert response.status_code == 200 and response.json["id"] == outcome.message.id
    assert "\n" not in response.json["subject"] and "\r" not in response.json["sender"]
    if raw is HOSTILE["script in From"]:
        assert response.json["subject"] == "<img src=x onerror=alert(1)>"
        assert response.headers["Content-Type"] == "application/json"


def test_every_message_that_touches_a_request_leaves_one_trace(ingest, smtp, client, operator, runner):
    request = ingest(ACCESS_FR).requests[0]
    for n, raw in enumerate([
        make(sender=CAMILLE, subject=f"[{request.reference}] more", message_id="<t-1@mail.example>", body="More info.\n"),
        make(sender=CAMILLE, subject=f"Re: [{request.reference}]", message_id="<t-2@mail.example>", body=ADMONITION_EN),
    ]):
        ingest(raw)
        ingest(raw)  # redelivered: no second trace
    kinds = [e["kind"] for e in timeline(client, operator, request.reference)]
    assert kinds == ["received", "message_sent", "message_received", "chaser"]  # message_sent: the acknowledgement
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
