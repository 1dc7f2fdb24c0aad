"""Art. 19 notices (issue 7, part 4). Done when: "A rectification produces Article 19
notices to each recipient" — through the connector that made the change, by email where
no system could, or left to a person where the register gives no way — with delivery
tracked and a failed email retried.

Cabinet Martin's activities in the demo register: remote machine control (product-db,
ovh-sms, ovh-monitoring-db, sentry; recipients OVHcloud by email, Sentry by its system
or email), support (zendesk; Zendesk by its system) and hosting (ionos-hosting, a
manual system; IONOS by its system, no email).
"""
from __future__ import annotations

import socket
import time
from datetime import timedelta

from demo_world import JEANNE, PAUL
from sqlalchemy import select

from dsar.answers import dispatch, notices
from dsar.extensions import db
from dsar.fulfilment import queue
from dsar.models import Message, Notice, Package, Request, Task
from dsar.timeutil import now as current_time

CORRECTIONS = {"name": "Jeanne Dupont"}


def _rectify(app, client, token, controller="cabinet-martin"):
    """Jeanne's rectification for `controller`, approved, its tasks run, and completed by
    the operator (the hosting team's manual part is not reported); its reference."""
    headers = token("controller_admin", controller)
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["rectification"], "controller": controller, "identity_verified": True,
        "corrections": CORRECTIONS,
        "identities": [{"type": "email", "value": JEANNE["email"]}, {"type": "name", "value": JEANNE["name"]}],
    }).json["reference"]
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers).status_code == 200
    assert queue.wait_idle(app, 60)
    done = client.post(f"/api/v1/requests/{reference}/complete", json={"summary": "hosting checked by phone"},
                       headers=token("operator_admin"))
    assert done.status_code == 200 and done.json["status"] == "fulfilled", done.json
    return reference


def _notices(reference: str) -> dict[str, Notice]:
    request = db.session.scalars(select(Request).where(Request.reference == reference)).one()
    return {n.recipient: n for n in db.session.scalars(select(Notice).where(Notice.request_id == request.id))}


def _sweep_until(app, condition, now=None, timeout=10.0):
    """Run the answers' duties until `condition()` holds (the background sweeper may do
    some of the work first)."""
    deadline = time.monotonic() + timeout
    while True:
        with app.app_context():
            dispatch.sweep(now)
            db.session.expire_all()
            if condition():
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_rectification_notifies_each_recipient_by_the_way_the_register_gives(
        app, client, token, demo_world, smtp, staff):
    reference = _rectify(app, client, token)
    with app.app_context():
        found = _notices(reference)
        assert set(found) == {"OVHcloud (SMS and monitoring sub-processor)", "Sentry (application logs sub-processor)",
                              "Zendesk (ticket tracking sub-processor)", "IONOS (hosting sub-processor)"}
        assert all(n.actions == ["rectify"] for n in found.values())
        # Zendesk's own task corrected the user there: that was the notice.
        zendesk = found["Zendesk (ticket tracking sub-processor)"]
        task = db.session.get(Task, zendesk.task_id)
        assert (zendesk.channel, zendesk.status, zendesk.address) == ("connector", "sent", "zendesk")
        assert (task.system_id, task.action, task.outcome) == ("zendesk", "rectify", "rectified")
        # Sentry cannot correct one person's logs; OVHcloud has no system of its own: by email.
        assert {found[n].channel for n in found if n.startswith(("Sentry", "OVHcloud"))} == {"email"}
        # IONOS's task waits for the hosting team, and the register gives no email: by hand.
        ionos = found["IONOS (hosting sub-processor)"]
        assert (ionos.channel, ionos.status) == ("none", "manual")
        assert "rectify task on ionos-hosting is waiting" in ionos.error
        # The subject can be told who the recipients are (Art. 19, last sentence).
        request = db.session.scalars(select(Request).where(Request.reference == reference)).one()
        assert set(notices.recipient_names(request)) == set(found)

    assert _sweep_until(app, lambda: {n.status for n in _notices(reference).values() if n.channel == "email"}
                        == {"sent"})
    for address in ("privacy@sentry.example", "privacy@ovhcloud.example"):
        [mail] = smtp.to(address)
        body = mail.body
        assert reference in mail.message["Subject"] and "Art. 19" in mail.message["Subject"]
        assert "Cabinet Martin Avocats" in body and "rectification" in body
        assert "the correct values are:\r\n    name: Jeanne Dupont" in body  # the rectification itself
        assert JEANNE["email"] in body  # enough to find her, and nothing more:
        assert JEANNE["name"] not in body and PAUL["email"] not in body and "+33" not in body
    assert "Email address, phone number" in smtp.to("privacy@ovhcloud.example")[0].body  # the categories concerned
    with app.app_context():
        assert all(n.sent_at for n in _notices(reference).values() if n.channel != "none")

    # Staff see each notice, how it went, and what is left to do by hand; and the report's delivery.
    page = staff("controller_admin", "cabinet-martin").get(f"/staff/requests/{reference}").get_data(as_text=True)
    answer = page.split('<h2 id="answer">')[1].split("<h2>")[0]
    assert "through zendesk's task" in answer and "email to privacy@sentry.example" in answer
    assert "to do by hand" in answer and "rectify task on ionos-hosting is waiting" in answer
    assert answer.count('class="notice-sent"') == 3
    assert "email to rgpd@cabinet-martin.example: <strong>sent</strong>" in answer


def test_a_failed_notice_email_is_left_failed_and_sent_again_by_the_duty(app, client, token, demo_world, smtp):
    port = smtp.port
    app.config["MAIL_PORT"] = _closed_port()  # SMTP is down when the notices go
    reference = _rectify(app, client, token)

    def email_statuses():
        return {n.status for n in _notices(reference).values() if n.channel == "email"}

    assert _sweep_until(app, lambda: email_statuses() == {"failed"})
    with app.app_context():
        failed = [n for n in _notices(reference).values() if n.channel == "email"]
        assert all("Connection refused" in n.error and n.sent_at is None for n in failed)
    assert smtp.to("privacy@sentry.example") == []

    app.config["MAIL_PORT"] = port  # the server is back; the duty tries again a little later
    later = current_time() + timedelta(minutes=2)
    assert _sweep_until(app, lambda: email_statuses() == {"sent"}, now=later)
    assert len(smtp.to("privacy@sentry.example")) == 1 and len(smtp.to("privacy@ovhcloud.example")) == 1
    with app.app_context():
        assert all(n.error is None and n.sent_at for n in _notices(reference).values() if n.channel == "email")
        messages = db.session.scalars(select(Message).where(Message.template == "notice")).all()
        assert {m.delivery for m in messages} == {"sent"}
    _sweep_until(app, lambda: True, now=later + timedelta(hours=1))
    assert len(smtp.to("privacy@sentry.example")) == 1  # sent once, never again


def test_an_access_request_owes_no_notice(app, client, token, demo_world, smtp):
    headers = token("controller_admin", "cabinet-martin")
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["access"], "controller": "cabinet-martin", "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers)
    assert queue.wait_idle(app, 60)
    assert client.post(f"/api/v1/requests/{reference}/complete", json={"summary": "done"},
                       headers=token("operator_admin")).status_code == 200
    with app.app_context():
        assert _notices(reference) == {}


def test_the_request_page_lists_the_subjects_packages(app, client, token, staff, file_request):
    reference = file_request(token("operator_admin"), controller="cabinet-martin")["reference"]
    with app.app_context():
        request = db.session.scalars(select(Request).where(Request.reference == reference)).one()
        at = current_time()
        db.session.add(Package(request_id=request.id, kind="access", token_hash="a" * 64, path=f"{reference}/a.zip",
                               created_at=at, expires_at=at + timedelta(days=30), downloads=2, last_download_at=at))
        db.session.commit()
    page = staff("operator_admin").get(f"/staff/requests/{reference}").get_data(as_text=True)
    packages = page.split("<h3>Packages</h3>")[1].split("</table>")[0]
    assert "<td>access</td>" in packages and f"{(at + timedelta(days=30)):%Y-%m-%d}" in packages
    assert "<td>2 (last" in packages


def test_an_erasure_blocked_by_retention_tells_what_was_restricted_instead(app, client, token, demo_world, smtp):
    # Septeo's own erasure: contract management's retention duty keeps the CRM and the
    # product database (the latter restricted instead); the marketing contact is erased.
    headers = token("operator_admin")
    reference = client.post("/api/v1/requests", headers=headers, json={
        "rights": ["erasure"], "controller": "septeo", "identity_verified": True,
        "identities": [{"type": "email", "value": JEANNE["email"]}]}).json["reference"]
    assert client.post(f"/api/v1/requests/{reference}/approve", json={}, headers=headers).status_code == 200
    assert queue.wait_idle(app, 60)
    with app.app_context():
        assert db.session.scalars(select(Request.status).where(Request.reference == reference)).one() == "fulfilled"
        found = _notices(reference)
        assert {n.recipient: (n.channel, n.status) for n in found.values()} == {
            # kept, but this demo's Pipedrive has no restriction field: someone must see to it
            "Pipedrive (CRM sub-processor)": ("none", "manual"),
            "HubSpot (marketing email sub-processor)": ("connector", "sent"),  # erased there
            # cannot erase one person's logs (the sweeper may have sent it already)
            "Sentry (application logs sub-processor)": ("email", found["Sentry (application logs sub-processor)"].status),
            # IONOS hosts no system of Septeo's own activities: nothing ran there
            "IONOS (hosting sub-processor)": ("none", "manual")}
        # Each is told what its own system was asked: erasure, or restriction where the
        # retention duty keeps the data; IONOS, with no task, of everything done.
        assert {n.recipient.split()[0]: n.actions for n in found.values()} == {
            "Pipedrive": ["restrict"], "HubSpot": ["erase"], "Sentry": ["erase"], "IONOS": ["erase", "restrict"]}
        assert "erase task on pipedrive is done (blocked by retention)" in found["Pipedrive (CRM sub-processor)"].error
    assert _sweep_until(app, lambda: smtp.to("privacy@sentry.example"))
    body = smtp.to("privacy@sentry.example")[0].body
    assert "- erasure: erase them" in body and "restriction" not in body and JEANNE["name"] not in body
    assert "rectification" not in body and "Notice of erasure of personal data" in smtp.to(
        "privacy@sentry.example")[0].message["Subject"]


def test_without_a_mail_server_an_email_notice_is_left_to_a_person(app, client, token, demo_world):
    app.config["MAIL_SERVER"] = None  # the demo: mail is written to the log, nobody receives it
    reference = _rectify(app, client, token)

    def email_notices():
        return [n for n in _notices(reference).values() if n.address and "@" in n.address]

    assert _sweep_until(app, lambda: {n.status for n in email_notices()} == {"manual"})
    with app.app_context():
        assert all("MAIL_SERVER is not set" in n.error and n.sent_at is None for n in email_notices())
