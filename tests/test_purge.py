"""`dsar purge`: finished requests past retention lose everything that identifies the
subject, keep a non-identifying skeleton whose audit chain verifies, and nothing else is
touched; the audit table still refuses a plain DELETE."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsar.extensions import db
from dsar.models import (AlertSent, Attachment, Event, Message, Notice, OpenGdprRequest, Package, Pause, Request,
                         Role, SubjectIdentity, Task, WebhookDelivery)
from dsar.permissions import Principal

SUBJECT = "ana.lopez@mail.example"
NOW = "2025-12-01T09:00:00"  # with 1095 days of retention: closed before 2 December 2022 goes
MARTIN = Principal(Role.CONTROLLER_ADMIN, "cabinet-martin", "dpo")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def _file(at: datetime, details: str = "") -> str:
    from dsar.requests.service import NewRequest, create_request

    data = NewRequest(rights=["access", "erasure"], identities=[("email", SUBJECT), ("phone", "+33 6 12 34 56 78")],
                      received_at=at, identity_verified=True, controller_id=None, details=details)
    return create_request(data, MARTIN, now=at)[0].reference


def _holdings(request: Request, at: datetime, export_dir: Path) -> None:
    """What a handled request leaves behind: a message with an attachment, a task and its
    export file, a package and its file, an Art. 19 notice, an alert, a webhook delivery,
    an OpenGDPR instruction."""
    message = Message(request_id=request.id, direction="in", source="file", sender=SUBJECT,
                      recipients="dpo@martin.example", subject="My data", body_text=f"I am {SUBJECT}",
                      at=at, disposition="opened",
                      attachments=[Attachment(filename="passport.pdf", content_type="application/pdf", size=3,
                                              data=b"%PD")])
    task = Task(request_id=request.id, system_id="hubspot", action="erase", status="done", outcome="erased",
                result={"records": [{"id": SUBJECT, "outcome": "erased"}]}, created_at=at)
    db.session.add_all([message, task])
    db.session.flush()
    folder = export_dir / request.reference
    folder.mkdir(parents=True)
    (folder / "hubspot.json").write_text(f'{{"records": [{{"email": "{SUBJECT}"}}]}}')
    (export_dir / "packages").mkdir(exist_ok=True)
    (export_dir / "packages" / f"{request.reference}.zip.enc").write_bytes(b"encrypted")
    db.session.add_all([
        Package(request_id=request.id, kind="access", token_hash=uuid.uuid4().hex * 2,
                path=f"packages/{request.reference}.zip.enc", created_at=at, expires_at=at),
        Notice(request_id=request.id, recipient="Mailjet", channel="email", address="privacy@mailjet.example",
               actions=["erase"], status="sent", task_id=task.id, message_id=message.id, created_at=at),
        AlertSent(request_id=request.id, threshold="statutory:due_in_7", kind="digest",
                  recipient="team@martin.example", sent_at=at),
        WebhookDelivery(request_id=request.id, kind="processor_report", url="https://martin.example/hook",
                        body=f'{{"subject": "{SUBJECT}"}}', created_at=at),
        OpenGdprRequest(id=str(uuid.uuid4()), controller_id="cabinet-martin", request_id=request.id,
                        request_type="erasure", submitted_time=at, received_time=at,
                        callback_urls=["https://martin.example/cb"]),
    ])
    db.session.commit()


@pytest.fixture
def world(app):
    """Requests at past instants (the service's own clock): two finished long ago, one
    finished recently, one still open, one rejected long ago and never closed."""
    from dsar.requests.service import perform

    export_dir = Path(app.config["EXPORT_DIR"])
    with app.app_context():
        old = _file(utc(2022, 1, 10, 9), details=f"Please delete everything about {SUBJECT}")
        perform(old, "request_information", MARTIN, {"reason": f"send a copy of the ID of {SUBJECT}"},
                now=utc(2022, 1, 11, 9))
        perform(old, "reject", MARTIN, {"grounds": "identity_not_established",
                                         "reason": f"we could not confirm that {SUBJECT} is yours"},
                now=utc(2022, 2, 1, 9))
        perform(old, "close", MARTIN, now=utc(2022, 2, 2, 9))
        _holdings(db.session.scalars(sa.select(Request).where(Request.reference == old)).one(),
                  utc(2022, 1, 20, 9), export_dir)
        merged = _file(utc(2022, 1, 10, 10))
        perform(merged, "mark_duplicate", MARTIN, {"duplicate_of": old, "reason": "sent twice"},
                now=utc(2022, 1, 12, 9))
        recent = _file(utc(2025, 5, 1, 9))
        perform(recent, "cancel", MARTIN, {"reason": "withdrawn by the subject"}, now=utc(2025, 5, 2, 9))
        still_open = _file(utc(2021, 6, 1, 9))
        rejected = _file(utc(2021, 6, 2, 9))
        perform(rejected, "reject", MARTIN, {"grounds": "excessive", "reason": "the tenth request this month"},
                now=utc(2021, 6, 3, 9))
    return {"old": old, "merged": merged, "recent": recent, "open": still_open, "rejected": rejected,
            "export_dir": export_dir}


def _state(app, reference: str) -> dict:
    with app.app_context():
        request = db.session.scalars(sa.select(Request).where(Request.reference == reference)).one()
        events = db.session.scalars(sa.select(Event).where(Event.request_id == request.id).order_by(Event.seq)).all()
        count = lambda model, column: db.session.scalar(  # noqa: E731
            sa.select(sa.func.count()).select_from(model).where(column == request.id))
        state = {
            "request": request, "events": events,
            "identities": count(SubjectIdentity, SubjectIdentity.request_id),
            "messages": count(Message, Message.request_id),
            "attachments": db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)),
            "tasks": count(Task, Task.request_id), "notices": count(Notice, Notice.request_id),
            "packages": count(Package, Package.request_id), "alerts": count(AlertSent, AlertSent.request_id),
            "webhooks": count(WebhookDelivery, WebhookDelivery.request_id),
            "opengdpr": count(OpenGdprRequest, OpenGdprRequest.request_id),
            "pause_reasons": [p.reason for p in db.session.scalars(sa.select(Pause).where(Pause.request_id == request.id))],
        }
        db.session.close()  # detached, not expired: the values read stay readable
        return state


def test_dry_run_lists_what_would_go_and_changes_nothing(app, runner, world):
    before = {name: _state(app, world[name]) for name in ("old", "merged", "recent", "open")}
    result = runner.invoke(args=["purge", "--dry-run", "--now", NOW])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    old_line = next(line for line in lines if world["old"] in line)
    assert "closed 2022-02-02" in old_line
    events = len(before["old"]["events"])
    assert (f"would remove 2 identities, 1 message, {events} events, 1 task, 2 files, 1 attachment, "
            "1 pause reason, 1 notice, 1 package, 1 webhook delivery, 1 alert sent, 1 OpenGDPR instruction") in old_line
    assert any(world["merged"] in line and "duplicate 2022-01-12" in line for line in lines)
    for untouched in ("recent", "open", "rejected"):
        assert world[untouched] not in result.output
    assert "would purge 2 requests closed before 2022-12-02 (1095 days before 2025-12-01)" in result.output
    assert "1 rejected request older than that never closed" in result.output
    for name, state in before.items():
        after = _state(app, world[name])
        assert [e.hash for e in after["events"]] == [e.hash for e in state["events"]]
        assert after["identities"] == state["identities"] and after["messages"] == state["messages"]
        assert after["request"].details == state["request"].details
    assert (world["export_dir"] / world["old"] / "hubspot.json").exists()
    assert (world["export_dir"] / "packages" / f"{world['old']}.zip.enc").exists()


def test_purge_leaves_a_skeleton_whose_chain_verifies(app, runner, client, token, staff, world):
    before = _state(app, world["old"])
    untouched = {name: _state(app, world[name]) for name in ("recent", "open", "rejected")}
    result = runner.invoke(args=["purge", "--now", NOW])
    assert result.exit_code == 0, result.output
    assert f"{world['old']}  closed 2022-02-02  removed 2 identities" in result.output
    assert "purged 2 requests closed before 2022-12-02" in result.output

    after = _state(app, world["old"])
    for held in ("identities", "messages", "attachments", "tasks", "notices", "packages", "alerts", "webhooks", "opengdpr"):
        assert after[held] == 0, held
    assert after["pause_reasons"] == [""]  # the pause's dates stay: the clocks still compute
    assert not (world["export_dir"] / world["old"]).exists()
    assert not (world["export_dir"] / "packages" / f"{world['old']}.zip.enc").exists()

    request, old_request = after["request"], before["request"]
    for kept in ("reference", "controller_id", "rights_mask", "channel", "status", "received_at", "closed_at",
                 "statutory_due", "extended"):
        assert getattr(request, kept) == getattr(old_request, kept), kept
    assert request.details == "" and request.rejection_reason is None and request.routing == {}
    assert request.status_token_hash.startswith("purged:") and request.purged_at == utc(2025, 12, 1, 9)

    [event] = after["events"]
    assert (event.seq, event.kind, event.actor) == (1, "purged", "retention")
    assert event.data["purged_on"] == "2025-12-01" and event.data["closed_on"] == "2022-02-02"
    assert event.data["events_removed"] == len(before["events"])
    assert event.data["previous_head"] == before["events"][-1].hash
    assert event.data["previous_chain_verified"] is True
    assert event.data["removed"]["identities"] == 2 and event.data["removed"]["files"] == 2
    assert event.data["tasks"] == [{"system": "hubspot", "action": "erase", "status": "done", "outcome": "erased"}]
    assert SUBJECT not in str(event.data) and "+33" not in str(event.data)

    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and verify.output.startswith("OK"), verify.output

    # What staff see through the API: the request is still there, closed, naming no one.
    shown = client.get(f"/api/v1/requests/{world['old']}", headers=token("controller_admin", "cabinet-martin"))
    assert shown.status_code == 200
    assert shown.json["status"] == "closed" and shown.json["identities"] == []
    assert shown.json["purged_at"] is not None  # and says why it names no one
    page = staff("controller_admin", "cabinet-martin").get(f"/staff/requests/{world['old']}")
    assert page.status_code == 200 and "this is the skeleton left" in page.get_data(as_text=True)
    assert SUBJECT not in shown.get_data(as_text=True)

    for name, state in untouched.items():
        now = _state(app, world[name])
        assert [e.hash for e in now["events"]] == [e.hash for e in state["events"]], name
        assert now["identities"] == 2 and now["request"].purged_at is None, name

    again = runner.invoke(args=["purge", "--now", NOW])
    assert again.exit_code == 0 and "nothing to purge" in again.output
    assert [e.hash for e in _state(app, world["old"])["events"]] == [event.hash]


def test_older_than_overrides_the_retention_period(runner, world):
    result = runner.invoke(args=["purge", "--dry-run", "--now", NOW, "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert world["recent"] in result.output and "cancelled 2025-05-02" in result.output
    assert world["open"] not in result.output and world["rejected"] not in result.output


def test_bad_options_are_refused_clearly(app, runner):
    assert "not an ISO date" in runner.invoke(args=["purge", "--now", "next tuesday"]).output
    assert runner.invoke(args=["purge", "--older-than", "0"]).exit_code == 2
    early = runner.invoke(args=["purge", "--now", "0001-01-02", "--older-than", "30"])
    assert early.exit_code == 2 and "before year 1" in early.output
    app.config["RETENTION_DAYS"] = "three years"
    result = runner.invoke(args=["purge"])
    assert result.exit_code == 2 and "RETENTION_DAYS must be a whole number of days from 1" in result.output


def test_the_database_still_refuses_deleting_events_without_a_permit(app, world):
    with app.app_context():
        for statement in ("DELETE FROM events", "UPDATE events SET actor = 'someone else'"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(sa.text(statement))
        ids = dict(db.session.execute(sa.select(Request.reference, Request.id)).all())
        db.session.rollback()
        # A permit is only granted for a finished request, so an open one's trail cannot go.
        with pytest.raises(sa.exc.DatabaseError, match="finished request"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO purge_permits (request_id, granted_at) VALUES (:id, :at)"),
                             {"id": ids[world["open"]], "at": utc(2025, 1, 1)})
        # Even under a permit, history is never rewritten: UPDATE stays refused.
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO purge_permits (request_id, granted_at) VALUES (:id, :at)"),
                             {"id": ids[world["old"]], "at": utc(2025, 1, 1)})
                conn.execute(sa.text("UPDATE events SET actor = 'x' WHERE request_id = :id"), {"id": ids[world["old"]]})


def test_a_broken_chain_is_kept_for_investigation_unless_asked(app, runner, backend, world):
    with app.app_context(), db.engine.begin() as conn:  # tampered with around the trigger, as an attacker would
        target = "(SELECT id FROM requests WHERE reference = :ref)"
        if backend == "postgresql":
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER events_append_only"))
            conn.execute(sa.text(f"UPDATE events SET actor = 'nobody' WHERE seq = 2 AND request_id = {target}"),
                         {"ref": world["old"]})
            conn.execute(sa.text("ALTER TABLE events ENABLE TRIGGER events_append_only"))
        else:
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
            conn.execute(sa.text(f"UPDATE events SET actor = 'nobody' WHERE seq = 2 AND request_id = {target}"),
                         {"ref": world["old"]})
    before = _state(app, world["old"])
    dry = runner.invoke(args=["purge", "--dry-run", "--now", NOW])
    assert dry.exit_code == 1 and f"{world['old']}  closed 2022-02-02  would be kept" in dry.output
    kept = runner.invoke(args=["purge", "--now", NOW])
    assert kept.exit_code == 1
    assert "kept: audit chain broken at event #2" in kept.output and "--include-broken" in kept.output
    assert "purged 1 request" in kept.output  # the duplicate, whose chain holds, went
    assert _state(app, world["old"])["identities"] == 2
    assert [e.hash for e in _state(app, world["old"])["events"]] == [e.hash for e in before["events"]]

    forced = runner.invoke(args=["purge", "--now", NOW, "--include-broken"])
    assert forced.exit_code == 0 and "(its audit chain was broken)" in forced.output
    [event] = _state(app, world["old"])["events"]
    assert event.data["previous_chain_verified"] is False
    assert event.data["previous_chain_break"].startswith("event #2: content does not match")


def test_every_table_referring_to_requests_has_a_purge_rule(app):
    """A new table holding rows of a request must say what the purge does with them."""
    from dsar.retention.purge import PURGED_TABLES

    referring = {table.name for table in db.metadata.sorted_tables
                 for fk in table.foreign_keys if fk.column.table.name in ("requests", "messages")}
    assert referring <= set(PURGED_TABLES), referring - set(PURGED_TABLES)


def test_a_request_whose_files_cannot_go_is_left_whole(app, runner, world, tmp_path):
    """An export folder that is a link to elsewhere is never followed: the request is not
    purged, its rows stay, the run says why and exits 1; the other request due still goes."""
    folder = world["export_dir"] / world["old"]
    elsewhere = tmp_path / "elsewhere"
    folder.rename(elsewhere)
    folder.symlink_to(elsewhere, target_is_directory=True)
    dry = runner.invoke(args=["purge", "--dry-run", "--now", NOW])
    assert dry.exit_code == 1 and f"{world['old']}  closed 2022-02-02  would be kept: " in dry.output
    result = runner.invoke(args=["purge", "--now", NOW])
    assert result.exit_code == 1
    assert f"{world['old']}  closed 2022-02-02  not purged: " in result.output and "not followed" in result.output
    assert "purged 1 request" in result.output
    state = _state(app, world["old"])
    assert state["identities"] == 2 and state["request"].purged_at is None and len(state["events"]) > 1
    assert (elsewhere / "hubspot.json").exists()
    assert (world["export_dir"] / "packages" / f"{world['old']}.zip.enc").exists()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
