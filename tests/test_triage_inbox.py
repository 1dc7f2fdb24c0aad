"""The staff inbox: operators read inbound email intake could not decide on, and open a
request from it, attach it to one, or dismiss it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest


@pytest.fixture
def needs_triage(app):
    """needs_triage(sender, subject) -> the id of a new inbound message waiting for a human."""
    from dsar.extensions import db
    from dsar.models import Message

    def make(sender: str = "zoe@mail.example", subject: str = "a question") -> int:
        with app.app_context():
            message = Message(direction="in", source="file", sender=sender, recipients="dpo@septeo.example",
                              subject=subject, body_text="<b>Can you tell me what you hold?</b>",
                              at=datetime.now(timezone.utc), disposition="needs_triage", message_id=f"{subject}@x")
            db.session.add(message)
            db.session.commit()
            return message.id

    return make


def _post(browser, message_id, action, **fields):
    return browser.post(f"/staff/messages/{message_id}/{action}", data={"csrf_token": browser.csrf_token, **fields})


def test_inbox_lists_and_shows_waiting_messages(staff, needs_triage):
    waiting = needs_triage(subject="<script>x</script>")
    operator = staff("operator_agent")
    inbox = operator.get("/staff/messages").get_data(as_text=True)
    assert f"/staff/messages/{waiting}" in inbox and "&lt;script&gt;" in inbox
    page = operator.get(f"/staff/messages/{waiting}").get_data(as_text=True)
    assert 'id="message-open"' in page and "&lt;b&gt;Can you tell me" in page
    assert staff("controller_admin", "cabinet-martin").get(f"/staff/messages/{waiting}").status_code == 404


def test_open_attach_and_dismiss(app, staff, needs_triage, token, file_request, smtp):
    operator = staff("operator_admin")
    first, second, third = needs_triage(subject="one"), needs_triage(subject="two"), needs_triage(subject="three")

    refused = _post(operator, first, "open")
    assert refused.status_code == 422 and "at least one right" in refused.get_data(as_text=True)
    opened = _post(operator, first, "open", rights="access", controller="cabinet-martin")
    assert opened.status_code == 303 and "/staff/requests/DSR-" in opened.headers["Location"]
    page = operator.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Cabinet Martin" in page and "zoe@mail.example" in page

    reference = file_request(token("operator_admin"), controller="cabinet-martin")["reference"]
    assert _post(operator, second, "attach", reference="DSR-0000-0000").status_code == 422
    attached = _post(operator, second, "attach", reference=reference.lower())
    assert attached.status_code == 303 and attached.headers["Location"].endswith(reference)

    assert _post(operator, third, "dismiss", reason="newsletter reply").status_code == 303
    again = _post(operator, third, "dismiss", reason="twice")
    assert again.status_code == 409 and "already" in again.get_data(as_text=True)
    inbox = operator.get("/staff/messages").get_data(as_text=True)
    assert all(f"/staff/messages/{m}\"" not in inbox for m in (first, second, third))
    assert _post(operator, 999999, "dismiss").status_code == 404
    assert _post(operator, third, "explode").status_code == 404
