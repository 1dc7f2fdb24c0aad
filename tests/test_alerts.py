"""`dsar tick`: digests of due-soon and overdue requests, to each controller's team and to
the operator, each threshold once. Due dates and the thresholds they cross are worked
out by hand below from DESIGN §5's calendar rules (FR, ES-MD)."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from dsar.models import Role
from dsar.permissions import Principal

MARTIN = "rgpd@cabinet-martin.example"
SERRANO = "protecciondedatos@notaria-serrano.example"
SEPTEO = "dpo@septeo.example"  # the operator's contact, and its own controller's DSAR contact
ALICE = "alice@cabinet-martin.example"  # Cabinet Martin's controller_admin
OLGA = "olga@septeo.example"  # an operator_agent
REFERENCE = re.compile(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def staff(app):
    """Staff accounts: two active (one per side), and inactive ones that get nothing."""
    from dsar.extensions import db
    from dsar.models import User

    with app.app_context():
        for email, role, controller_id, active in [
            (ALICE, "controller_admin", "cabinet-martin", True),
            ("gone@cabinet-martin.example", "controller_agent", "cabinet-martin", False),
            (OLGA, "operator_agent", None, True),
            ("left@septeo.example", "operator_admin", None, False),
        ]:
            db.session.add(User(email=email, name=email.split("@")[0], password_hash="x", role=role,
                                controller_id=controller_id, active=active, created_at=utc(2025, 1, 1)))
        db.session.commit()


def file(app, principal: Principal, at: datetime, controller_id: str | None = None, rights=("access",)) -> str:
    from dsar.requests.service import NewRequest, create_request

    with app.app_context():
        data = NewRequest(rights=list(rights), identities=[("email", "ana@mail.example")], received_at=at,
                          identity_verified=True, controller_id=controller_id)
        return create_request(data, principal, now=at)[0].reference


OPERATOR = Principal(Role.OPERATOR_ADMIN, None, "ops")
SERRANO_BOT = Principal(Role.BOT, "notaria-serrano", "serrano-bot")


def tick(runner, *args) -> str:
    result = runner.invoke(args=["tick", *args])
    assert result.exit_code == 0, result.output
    return result.output


def digests(smtp) -> dict[str, set[str]]:
    """{recipient: references in its digest}; exactly one digest per recipient."""
    found: dict[str, set[str]] = {}
    for received in smtp.messages:
        [to] = received.rcpt_tos
        assert to not in found, f"two digests to {to}"
        found[to] = set(REFERENCE.findall(received.body))
    return found


def sections(body: str) -> tuple[str, str]:
    """(the OVERDUE section, the DUE SOON section) of a digest."""
    overdue = body.split("OVERDUE (escalation)")[1].split("DUE SOON")[0] if "OVERDUE" in body else ""
    soon = body.split("DUE SOON")[1] if "DUE SOON" in body else ""
    return overdue, soon


def alert_rows(app) -> set[tuple[str, str, str]]:
    from dsar.extensions import db
    from dsar.models import AlertSent, Request

    with app.app_context():
        return set(db.session.execute(select(Request.reference, AlertSent.threshold, AlertSent.recipient)
                                      .join(Request, Request.id == AlertSent.request_id)).all())


def test_digests_go_to_each_team_and_the_operator_once_per_threshold(app, runner, smtp, staff):
    # A: Cabinet Martin (FR), received Wed 5 March 2025: due Mon 7 April (5 April is a Saturday).
    a = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    # B: Notaría Serrano (ES-MD), received Mon 10 March: due Thu 10 April.
    b = file(app, OPERATOR, utc(2025, 3, 10, 9), "notaria-serrano", rights=("erasure", "objection"))
    # C: the operator's own processing, received Mon 3 March: due Thu 3 April.
    c = file(app, OPERATOR, utc(2025, 3, 3, 9), "septeo")
    # E: cancelled: no alert, ever.
    e = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    from dsar.requests.service import perform

    with app.app_context():
        perform(e, "cancel", Principal(Role.CONTROLLER_ADMIN, "cabinet-martin", "dpo"),
                {"reason": "withdrawn"}, now=utc(2025, 3, 6, 9))

    # Monday 31 March: A is due in 7 days, C in 3 (so it crosses 7 and 3), B in 10 (nothing yet).
    output = tick(runner, "--now", "2025-03-31T10:00:00Z")
    assert digests(smtp) == {MARTIN: {a}, ALICE: {a}, SEPTEO: {a, c}, OLGA: {a, c}}
    assert f"sent to {MARTIN}: 1 alert" in output and f"{a} cabinet-martin statutory:due_in_7 due 2025-04-07" in output
    [operator_mail] = smtp.to(SEPTEO)
    overdue, soon = sections(operator_mail.body)
    assert not overdue
    assert f"{a} | Cabinet Martin Avocats | access | routed" in soon and "due 2025-04-07, in 7 days" in soon
    assert f"/staff/requests/{a}" in soon  # a link to the request's staff page
    assert f"{c} | Septeo" in soon and "due 2025-04-03, in 3 days" in soon
    assert operator_mail.message["Subject"].startswith("[dsar] 2 due soon: data-subject requests of ")
    assert operator_mail.message["Auto-Submitted"] == "auto-generated"
    [martin_mail] = smtp.to(MARTIN)
    assert c not in martin_mail.body and "Septeo" not in martin_mail.body  # only its own requests
    assert alert_rows(app) == {
        *{(a, "statutory:due_in_7", r) for r in (MARTIN, ALICE, SEPTEO, OLGA)},
        *{(c, t, r) for t in ("statutory:due_in_7", "statutory:due_in_3") for r in (SEPTEO, OLGA)},
    }

    # The same tick again: nothing new.
    smtp.clear()
    assert "nothing to send" in tick(runner, "--now", "2025-03-31T16:00:00Z")
    assert smtp.messages == []

    # D: Serrano's bot instructs us on Wed 2 April: processor SLA due Mon 7 April (3 working days).
    d = file(app, SERRANO_BOT, utc(2025, 4, 2, 9), rights=("access",))
    # Friday 4 April: A due in 3 (next threshold only), B due in 6, C one day overdue,
    # D's processor SLA due in 3 (its statutory month runs to 5 May: nothing).
    smtp.clear()
    tick(runner, "--now", "2025-04-04T10:00:00Z")
    assert digests(smtp) == {MARTIN: {a}, ALICE: {a}, SERRANO: {b, d}, SEPTEO: {a, b, c, d}, OLGA: {a, b, c, d}}
    overdue, soon = sections(smtp.to(OLGA)[0].body)
    assert c in overdue and "was due 2025-04-03, 1 day overdue" in overdue and a not in overdue
    assert f"{d} | Notaría Serrano Madrid" in soon and "processor SLA: due 2025-04-07, in 3 days" in soon
    assert "statutory deadline (Art. 12(3)): due 2025-04-10, in 6 days" in soon
    new = alert_rows(app)
    assert {(r, t) for r, t, who in new if who == MARTIN} == {(a, "statutory:due_in_7"), (a, "statutory:due_in_3")}
    assert {(r, t) for r, t, who in new if who == SERRANO} == {
        (b, "statutory:due_in_7"), (d, "processor_sla:due_in_7"), (d, "processor_sla:due_in_3")}
    assert {(r, t) for r, t, who in new if who == SEPTEO and r == c} == {
        (c, "statutory:due_in_7"), (c, "statutory:due_in_3"), (c, "statutory:overdue_0")}

    # Friday 11 April: A 4 days overdue, B 1 day, C 8 days (the week-late escalation), D's SLA 4 days.
    smtp.clear()
    output = tick(runner, "--now", "2025-04-11T10:00:00Z")
    assert digests(smtp) == {MARTIN: {a}, ALICE: {a}, SERRANO: {b, d}, SEPTEO: {a, b, c, d}, OLGA: {a, b, c, d}}
    assert f"{c} septeo statutory:overdue_7 due 2025-04-03" in output
    overdue, soon = sections(smtp.to(SEPTEO)[0].body)
    assert not soon and all(r in overdue for r in (a, b, c, d))
    assert "was due 2025-04-03, 8 days overdue" in overdue
    assert smtp.to(SEPTEO)[0].message["Subject"].startswith("[dsar] 4 overdue: ")
    assert e not in {r for r, _, _ in alert_rows(app)}
    # The inactive accounts never got anything.
    assert not smtp.to("gone@cabinet-martin.example") and not smtp.to("left@septeo.example")


def test_dry_run_sends_and_records_nothing(app, runner, smtp, staff):
    a = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    output = tick(runner, "--now", "2025-04-08T10:00:00Z", "--dry-run")
    assert f"would send to {MARTIN}: 1 alert" in output and f"{a} cabinet-martin statutory:overdue_0" in output
    assert smtp.messages == [] and alert_rows(app) == set()
    tick(runner, "--now", "2025-04-08T10:00:00Z")
    assert set(digests(smtp)) == {MARTIN, ALICE, SEPTEO, OLGA}


def test_requests_received_weeks_ago(app, client, token, runner, smtp, file_request):
    """Requests received 25, 29 and 35 days ago (today's clock): each lands in the right
    section of its team's digest, by the due date the request API reports."""
    martin = token("controller_admin", "cabinet-martin")
    created = [file_request(token("operator_admin"), days_ago=days, controller="cabinet-martin",
                            identity_verified=True) for days in (25, 29, 35, 45)]
    # A processor instruction today: its SLA falls due within 3 working days (≤ 5 days).
    instructed = file_request(martin, identity_verified=True)
    now = datetime.now(timezone.utc).replace(hour=11, minute=0, second=0, microsecond=0)
    today = now.date()
    tick(runner, "--now", now.isoformat())
    [mail] = smtp.to(MARTIN)
    overdue, soon = sections(mail.body)
    for request in created:
        left = (date.fromisoformat(request["statutory_due"]) - today).days
        assert request["reference"] in (overdue if left < 0 else soon if left <= 7 else "")
    assert created[3]["reference"] in overdue  # 45 days ago: past any rolled month
    sla_due = date.fromisoformat(instructed["clocks"]["processor_sla"]["due"])
    assert instructed["reference"] in soon and f"processor SLA: due {sla_due.isoformat()}" in soon
    assert (sla_due - today).days <= 5
    smtp.clear()
    assert "nothing to send" in tick(runner, "--now", (now + timedelta(hours=1)).isoformat())


def test_a_controller_with_no_request_due_gets_nothing(app, runner, smtp, staff):
    file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    tick(runner, "--now", "2025-03-06T10:00:00Z")  # due in a month: nothing crossed
    assert smtp.messages == []


@pytest.mark.parametrize("setting", ["7,x", "-1"])
def test_bad_thresholds_are_a_usage_error(app, runner, setting):
    app.config["ALERT_DUE_SOON_DAYS"] = setting
    result = runner.invoke(args=["tick", "--dry-run"])
    assert result.exit_code != 0 and "ALERT_DUE_SOON_DAYS" in result.output


def test_thresholds_are_configurable(app, runner, smtp, staff):
    app.config.update(ALERT_DUE_SOON_DAYS="14", ALERT_OVERDUE_DAYS="30")
    a = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    tick(runner, "--now", "2025-03-24T10:00:00Z")  # due 7 April: 14 days away
    assert alert_rows(app) >= {(a, "statutory:due_in_14", MARTIN)}
    smtp.clear()
    tick(runner, "--now", "2025-04-10T10:00:00Z")  # 3 days overdue: below the 30-day escalation
    assert smtp.messages == []
    tick(runner, "--now", "2025-05-07T10:00:00Z")  # 30 days overdue
    assert {t for _, t, who in alert_rows(app) if who == MARTIN} == {"statutory:due_in_14", "statutory:overdue_30"}


def test_a_second_tick_at_the_same_instant_sends_nothing(app, runner, smtp, staff):
    from dsar.extensions import db
    from dsar.models import AlertSent
    from dsar.sla import alerts

    file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    with app.app_context():
        first = alerts.tick(utc(2025, 4, 8, 10), config=app.config)
        again = alerts.tick(utc(2025, 4, 8, 10), config=app.config)
        count = db.session.scalar(select(func.count()).select_from(AlertSent))
    assert set(first.digests) == {MARTIN, ALICE, SEPTEO, OLGA} and again.digests == {}
    assert count == 4 and len(smtp.messages) == 4


def test_a_concurrent_tick_that_recorded_first_wins(app, smtp, staff, monkeypatch):
    """Another tick records Cabinet Martin's alert after this one read what was sent and
    before it inserts: the insert (ON CONFLICT DO NOTHING), not the read, decides."""
    from dsar.extensions import db
    from dsar.models import AlertSent
    from dsar.sla import alerts

    a = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    read = alerts._candidates

    def read_then_race(now, thresholds):
        yield from read(now, thresholds)
        from dsar.models import Request

        request_id = db.session.scalar(select(Request.id).where(Request.reference == a))
        db.session.add(AlertSent(request_id=request_id, threshold="statutory:overdue_0", kind="escalation",
                                 recipient=MARTIN, sent_at=utc(2025, 4, 8, 9, 59)))
        db.session.commit()

    monkeypatch.setattr(alerts, "_candidates", read_then_race)
    with app.app_context():
        outcome = alerts.tick(utc(2025, 4, 8, 10), config=app.config)
    assert set(outcome.digests) == {ALICE, SEPTEO, OLGA}
    assert not smtp.to(MARTIN) and len(smtp.messages) == 3


def test_send_to_staff_stores_then_sends(app, smtp):
    """The outbox's staff variant: one plain address, stored before SMTP, linked to a
    request (with its reference in the subject) when given one."""
    from dsar.extensions import db
    from dsar.mail.outbox import UnsafeAddress, send_to_staff
    from dsar.models import Message, Request

    ref = file(app, OPERATOR, utc(2025, 3, 5, 9), "cabinet-martin")
    with app.app_context():
        request = db.session.scalars(select(Request).where(Request.reference == ref)).one()
        message = send_to_staff(MARTIN, "alert_digest", request=request, now=None, overdue=[], due_soon=[],
                                controllers=["Cabinet Martin Avocats"])
        stored = db.session.get(Message, message.id)
        assert (stored.delivery, stored.request_id, stored.recipients) == ("sent", request.id, MARTIN)
        assert stored.subject.endswith(f"[{ref}]")
        with pytest.raises(UnsafeAddress):
            send_to_staff("a@b.example, c@d.example", "alert_digest", overdue=[], due_soon=[], controllers=[])
    [received] = smtp.to(MARTIN)
    assert received.message["Subject"].endswith(f"[{ref}]") and received.message["Content-Language"] == "en"
