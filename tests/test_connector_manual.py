"""The manual connector: a system with no API is fulfilled by its owner, who gets the task
by email with a signed link, reports on a small form, and is reminded before the due date.

Each test files a request for a tenant of its own whose only system is a manual one,
approves it (tasks run in-process), then acts as the owner: reads the email the local
SMTP server captured, follows the link, sends the form.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from dsar.connectors import connector_class, manual
from dsar.connectors.base import ValidationError

CONTROLLER = "task-tests"
SYSTEM = "paper-archive"
OWNER = "archivist@ops.example"
PHONE = "+33 6 12 34 56 78"


@pytest.fixture
def tenant(app):
    """A controller whose one processing activity uses one manual system; removed after."""
    from dsar.extensions import db
    from dsar.models import Controller, ProcessingActivity, System

    with app.app_context():
        system = System(id=SYSTEM, name="Paper archive", processor="Ops", location="FR", connector_type="manual",
                        connector_settings={"instructions": "Binders in room 2, by surname."},
                        identity_fields=["phone", "name"], owner_email=OWNER,
                        actions=["access", "export", "erase", "rectify", "restrict"])
        controller = Controller(id=CONTROLLER, name="Cabinet Test", country="FR", timezone="Europe/Paris",
                                language="fr", contact_email="dpo@cabinet-test.example")
        activity = ProcessingActivity(slug="archive", controller=controller, role="processor", purpose="Archive",
                                      legal_basis="contract", retention="10 years", systems=[system])
        db.session.add_all([system, controller, activity])
        db.session.commit()
    yield CONTROLLER
    with app.app_context():
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # SQLite: the app fixture restores the whole file
            from conftest import REQUEST_TABLES

            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {', '.join(REQUEST_TABLES)} RESTART IDENTITY CASCADE"))
                conn.execute(sa.text("DELETE FROM activity_systems WHERE system_id = :s"), {"s": SYSTEM})
                conn.execute(sa.text("DELETE FROM processing_activities WHERE controller_id = :c"), {"c": CONTROLLER})
                conn.execute(sa.text("DELETE FROM systems WHERE id = :s"), {"s": SYSTEM})
                conn.execute(sa.text("DELETE FROM controllers WHERE id = :c"), {"c": CONTROLLER})


@pytest.fixture
def approved(app, client, token, file_request, tenant, smtp):
    """approved(rights, **fields) -> (reference, the owner's email text) once the task waits."""
    from dsar.fulfilment.queue import wait_idle

    headers = token("controller_admin", CONTROLLER)

    def make(rights=("erasure",), **fields):
        body = {"rights": list(rights), "identities": [{"type": "phone", "value": PHONE},
                                                       {"type": "email", "value": "subject@mail.example"}], **fields}
        reference = file_request(headers, **body)["reference"]
        for action, payload in (("verify", {"reason": "known customer"}), ("approve", {"instruction": "do it"})):
            response = client.post(f"/api/v1/requests/{reference}/{action}", json=payload, headers=headers)
            assert response.status_code == 200, response.json
        assert wait_idle(app, 10)
        mails = mails_about(smtp, reference)
        return reference, (mails[-1].get_content() if mails else None)

    make.headers = headers
    return make


def mails_about(smtp, reference) -> list:
    """The emails the owner received about `reference` (EmailMessage objects)."""
    return [r.message for r in smtp.messages if r.rcpt_tos == [OWNER] and reference in r.message["Subject"]]


def task_of(app, reference):
    from dsar.extensions import db
    from dsar.models import Request, Task

    with app.app_context():
        task = db.session.scalars(sa.select(Task).join(Request).where(Request.reference == reference)).one()
        db.session.expunge(task)
        return task


def request_status(client, headers, reference) -> str:
    return client.get(f"/api/v1/requests/{reference}", headers=headers).json["status"]


def link_in(text: str) -> str:
    return re.search(r"https?://\S+/tasks/manual/\S+", text).group(0)


def path_of(link: str) -> str:
    return "/tasks/manual/" + link.rsplit("/tasks/manual/", 1)[1]


def send_form(client, path, **fields):
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(path, data={"csrf_token": csrf, **fields})


def test_settings_take_optional_instructions_only():
    cls = connector_class("manual")
    assert cls.check_settings({}) == {"instructions": ""}
    with pytest.raises(ValidationError):
        cls.check_settings({"url": "https://example.com"})


def test_the_owner_is_emailed_the_task_and_the_task_waits(app, approved, client):
    reference, mail = approved(["erasure"])
    assert mail is not None, "no email reached the owner"
    task = task_of(app, reference)
    assert task.status == "waiting"
    assert task.result["waiting"].startswith(f"emailed to {OWNER} on ")
    # What to do, for whom (only the identifiers this system is searched by), where, by when.
    assert "Erase this person's data from Paper archive" in mail
    assert PHONE in mail and "subject@mail.example" not in mail
    assert "Binders in room 2" in mail and reference in mail
    assert re.search(r"Due: \d{4}-\d{2}-\d{2}", mail)
    assert link_in(mail).startswith(app.config["PUBLIC_BASE_URL"])
    assert request_status(client, approved.headers, reference) == "in_fulfilment"


def test_done_erases_and_settles_the_request_and_the_link_then_stops_working(app, approved, client):
    reference, mail = approved(["erasure"])
    path = path_of(link_in(mail))
    page = client.get(path).get_data(as_text=True)
    assert "Erase this person" in page and PHONE in page and "<script" not in page
    assert 'for="text"' in page and "<legend>What happened?</legend>" in page

    # No CSRF token: refused, nothing recorded.
    assert client.post(path, data={"outcome": "done"}).status_code == 400
    assert task_of(app, reference).status == "waiting"

    response = send_form(client, path, outcome="done", text="Removed the 2 SMS log lines")
    assert response.status_code == 200
    assert "recorded as <strong>erased</strong>" in response.get_data(as_text=True)
    task = task_of(app, reference)
    assert (task.status, task.outcome) == ("done", "erased")
    assert task.claimed_by == f"owner:{SYSTEM}:{OWNER}"
    assert any("Removed the 2 SMS log lines" in n for n in task.result["notes"])
    assert request_status(client, approved.headers, reference) == "fulfilled"

    again = client.post(path, data={"outcome": "refused", "text": "changed my mind"})
    assert again.status_code in (400, 410)  # CSRF first, then "already reported"
    revisit = client.get(path)
    assert revisit.status_code == 410 and "already reported" in revisit.get_data(as_text=True)
    assert task_of(app, reference).outcome == "erased"


def test_a_second_post_from_the_open_form_says_it_was_already_reported(app, approved, client):
    reference, mail = approved(["restriction"])
    path = path_of(link_in(mail))
    page = client.get(path).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    first = client.post(path, data={"csrf_token": csrf, "outcome": "done"})
    second = client.post(path, data={"csrf_token": csrf, "outcome": "nothing_found"})
    assert first.status_code == 200 and task_of(app, reference).outcome == "restricted"
    assert second.status_code == 410 and "already reported" in second.get_data(as_text=True)
    assert task_of(app, reference).outcome == "restricted"


def test_an_export_needs_the_records_and_writes_them_to_the_export_file(app, approved, client):
    reference, mail = approved(["access"])
    assert "copy their content into the report form" in mail
    path = path_of(link_in(mail))
    empty = send_form(client, path, outcome="done", text="  ")
    assert empty.status_code == 422 and "Paste the records" in empty.get_data(as_text=True)
    assert task_of(app, reference).status == "waiting"

    send_form(client, path, outcome="done", text="2024-03-02 SMS 'Your code is 1234' to +33 6 12 34 56 78")
    task = task_of(app, reference)
    assert (task.status, task.outcome) == ("done", "exported")
    exported = json.loads((Path(app.config["EXPORT_DIR"]) / reference / f"{SYSTEM}.json").read_text())
    assert exported["records"][0]["data"] == {"text": "2024-03-02 SMS 'Your code is 1234' to +33 6 12 34 56 78"}
    # The pasted records are the subject's data: they stay out of the task's notes (and the audit trail).
    assert not any("Your code is" in n for n in task.result["notes"])


def test_refusing_needs_a_reason_which_the_report_keeps(app, approved, client):
    reference, mail = approved(["erasure"])
    path = path_of(link_in(mail))
    no_reason = send_form(client, path, outcome="refused", text="")
    assert no_reason.status_code == 422 and "Say why you refuse" in no_reason.get_data(as_text=True)
    send_form(client, path, outcome="refused", text="Invoices must be kept 10 years (Code de commerce L123-22)")
    task = task_of(app, reference)
    refusal = f"refused by {OWNER}: Invoices must be kept 10 years (Code de commerce L123-22)"
    assert (task.status, task.outcome, task.error) == ("failed", "not_supported", refusal)
    assert task.result["notes"] == [refusal]
    # The controller must see it: the request is not fulfilled as if nothing happened.
    assert request_status(client, approved.headers, reference) == "partially_fulfilled"


def test_nothing_found_is_not_found(app, approved, client):
    reference, mail = approved(["restriction"])
    send_form(client, path_of(link_in(mail)), outcome="nothing_found")
    assert task_of(app, reference).outcome == "not_found"
    assert request_status(client, approved.headers, reference) == "fulfilled"


def test_rectification_lists_the_corrections(app, approved, client):
    reference, mail = approved(["rectification"], corrections={"name": "Ana Ruiz Pérez"})
    assert "Correct this person's data" in mail and "name: Ana Ruiz Pérez" in mail
    assert "Ana Ruiz Pérez" in client.get(path_of(link_in(mail))).get_data(as_text=True)
    send_form(client, path_of(link_in(mail)), outcome="done", text="Name corrected on the file")
    assert task_of(app, reference).outcome == "rectified"


def test_bad_expired_and_replaced_links_answer_a_page_never_a_500(app, approved, client, monkeypatch):
    reference, mail = approved(["erasure"])
    path = path_of(link_in(mail))
    for garbage in ("/tasks/manual/nonsense", path[:-3] + "abc"):
        response = client.get(garbage)
        assert response.status_code == 404 and "Link not recognised" in response.get_data(as_text=True)
    task = task_of(app, reference)
    with app.test_request_context():
        attempt, run = manual.run_of(task)
        later_run = manual.make_token(task.id, (attempt + 1, run + 60))
        rerun_after_reset = manual.make_token(task.id, (attempt, run - 3600))  # staff retried: attempts from 1 again
        other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="another").dumps(
            {"task": task.id, "attempt": attempt, "run": run})
    for replaced in (later_run, rerun_after_reset):
        response = client.get(f"/tasks/manual/{replaced}")
        assert response.status_code == 410 and "replaced" in response.get_data(as_text=True)
    assert client.get(f"/tasks/manual/{other_salt}").status_code == 404

    monkeypatch.setattr(manual, "LINK_MAX_AGE", timedelta(seconds=-1))
    expired = client.get(path)
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    assert client.post(path, data={"outcome": "done"}).status_code in (400, 410)
    assert task_of(app, reference).status == "waiting"


def test_an_smtp_outage_keeps_the_task_waiting_and_dsar_tick_delivers_it(app, approved, client, smtp, runner):
    from dsar.extensions import db
    from dsar.models import Message

    smtp_port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=1, MAIL_TIMEOUT=2)  # nothing listens there
    reference, mail = approved(["erasure"])
    assert mail is None
    task = task_of(app, reference)
    assert task.status == "waiting" and "dsar tick retries it" in task.result["waiting"]
    with app.app_context():
        stored = db.session.scalars(sa.select(Message).where(Message.template == "manual_task")).one()
        assert (stored.delivery, stored.recipients) == ("failed", OWNER)

    app.config["MAIL_PORT"] = smtp_port
    later = (datetime.now(timezone.utc) + timedelta(minutes=10)).isoformat()
    assert runner.invoke(args=["tick", "--now", later]).exit_code == 0
    delivered = mails_about(smtp, reference)
    assert len(delivered) == 1 and "/tasks/manual/" in delivered[0].get_content()


def test_reminders_come_once_a_day_from_one_working_day_before_the_due_date(app, approved, client, smtp, runner):
    reference, mail = approved(["erasure"])
    with app.app_context():
        from dsar.extensions import db
        from dsar.models import Request

        request = db.session.scalars(sa.select(Request).where(Request.reference == reference)).one()
        due = manual.due_date(request, datetime.now(timezone.utc))
        calendar = request.controller.calendar
        assert due < request.statutory_due  # the processor SLA's 3 working days, not the month
        # Two working days before the due date: not yet.
        early = datetime.combine(due, time(8), tzinfo=timezone.utc)
        while calendar.add_working_days(calendar.local_date(early), 1) >= due:
            early -= timedelta(days=1)
        assert manual.remind_waiting(early) == 0
        on_due_day = datetime.combine(due, time(8), tzinfo=timezone.utc)
        assert manual.remind_waiting(on_due_day) == 1
        assert manual.remind_waiting(on_due_day + timedelta(hours=6)) == 0  # once a day
    # dsar tick sends the next day's reminder: overdue now.
    assert runner.invoke(args=["tick", "--now", (on_due_day + timedelta(days=1)).isoformat()]).exit_code == 0
    reminders = [m for m in mails_about(smtp, reference) if "Reminder" in m["Subject"]]
    assert len(reminders) == 2 and "overdue" in reminders[-1]["Subject"]
    # Each reminder brings a fresh link that works.
    fresh = path_of(link_in(reminders[-1].get_content()))
    assert client.get(fresh).status_code == 200
    send_form(client, fresh, outcome="done")
    with app.app_context():
        assert manual.remind_waiting(on_due_day + timedelta(days=2)) == 0  # reported: no more reminders


def test_a_system_without_an_owner_fails_its_task_visibly(app, approved, client):
    from dsar.extensions import db
    from dsar.models import System

    with app.app_context():
        db.session.get(System, SYSTEM).owner_email = None
        db.session.commit()
    reference, mail = approved(["erasure"])
    task = task_of(app, reference)
    assert mail is None
    assert task.status == "failed" and "has no owner_email" in task.error
    assert request_status(client, approved.headers, reference) == "partially_fulfilled"
