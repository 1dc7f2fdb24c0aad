"""The staff queue and request pages: filters, search, keyset pages, clocks, actions."""
from __future__ import annotations

import re
from datetime import date


from dsar.clocks.clock import Clock, ClockState
from dsar.triage.display import clock_badge

MARTIN, SERRANO = "cabinet-martin", "notaria-serrano"


def _refs(html: str) -> list[str]:
    return re.findall(r'href="/staff/requests/(DSR-[A-Z0-9-]+)"', html)


def _act(client, reference, action, **fields):
    return client.post(f"/staff/requests/{reference}/{action}", data={"csrf_token": client.csrf_token, **fields})


def test_clock_colours():
    day = date(2026, 1, 1)
    assert clock_badge(Clock("statutory", day, day, ClockState.RUNNING, -2)) == ("red", "2 days overdue")
    assert clock_badge(Clock("statutory", day, day, ClockState.RUNNING, 3))[0] == "amber"
    assert clock_badge(Clock("statutory", day, day, ClockState.RUNNING, 0)) == ("amber", "due today")
    assert clock_badge(Clock("statutory", day, day, ClockState.RUNNING, 4)) == ("green", "4 days left")
    assert clock_badge(Clock("statutory", day, None, ClockState.PAUSED, None)) == ("grey", "paused")
    assert clock_badge(Clock("statutory", day, day, ClockState.MISSED, None)) == ("red", "missed")


def test_queue_is_urgency_ordered_scoped_and_paged(app, staff, token, file_request):
    operator = token("operator_admin")  # subjects wrote to the operator: forwarding clocks run
    old = file_request(operator, days_ago=40, controller=MARTIN)  # overdue
    new = file_request(operator, controller=MARTIN)
    mid = file_request(operator, days_ago=20, controller=MARTIN)
    other = file_request(token("controller_admin", SERRANO))
    browser = staff("controller_agent", MARTIN)
    html = browser.get("/staff/").get_data(as_text=True)
    assert _refs(html) == [old["reference"], mid["reference"], new["reference"]]
    assert other["reference"] not in html
    assert 'class="clock red"' in html and "overdue" in html
    # Keyset pages of one row.
    from dsar.triage import views

    views.PAGE_SIZE = 1
    try:
        seen, url = [], "/staff/"
        while url:
            page = browser.get(url).get_data(as_text=True)
            seen += _refs(page)
            found = re.search(r'rel="next" href="([^"]+)"', page)
            url = found.group(1).replace("&amp;", "&") if found else None
        assert seen == [old["reference"], mid["reference"], new["reference"]]
    finally:
        views.PAGE_SIZE = 50
    assert browser.get("/staff/?cursor=not-a-cursor").status_code == 404


def test_queue_filters_and_search(app, staff, token, file_request):
    operator = token("operator_admin")
    martin = token("controller_admin", MARTIN)
    erasure = file_request(martin, rights=["erasure"], channel="email",
                           identities=[{"type": "email", "value": "Zoe@Mail.Example"},
                                       {"type": "phone", "value": "+33 6 12 34 56 78"}])
    access = file_request(martin, rights=["access"], identities=[{"type": "customer_id", "value": "C-991"}])
    serrano = file_request(operator, controller=SERRANO, identities=[{"type": "email", "value": "zoe@mail.example"}])
    browser = staff("controller_admin", MARTIN)

    def refs(query):
        return _refs(browser.get("/staff/?" + query).get_data(as_text=True))

    assert refs("right=erasure") == [erasure["reference"]]
    assert refs("channel=email") == [erasure["reference"]]
    assert refs("search=zoe@MAIL.example") == [erasure["reference"]]  # not the other tenant's
    assert refs("search=%2B33612345678") == [erasure["reference"]]
    assert refs("search=C-991") == [access["reference"]]
    assert refs(f"search={access['reference'].lower()}") == [access["reference"]]
    assert refs(f"search={serrano['reference']}") == []
    assert refs("controller=" + SERRANO) != []  # ignored for a controller: still only its own
    assert serrano["reference"] not in browser.get("/staff/?controller=" + SERRANO).get_data(as_text=True)
    assert refs("status=no_such_status&flagged=chased") == []
    op = staff("operator_agent")
    assert sorted(_refs(op.get("/staff/?search=zoe@mail.example").get_data(as_text=True))) == sorted(
        [erasure["reference"], serrano["reference"]])
    assert _refs(op.get(f"/staff/?controller={SERRANO}").get_data(as_text=True)) == [serrano["reference"]]


def test_flags_show_and_filter(app, staff, token, file_request):
    martin = token("controller_admin", MARTIN)
    first = file_request(martin)
    second = file_request(martin)  # same email, same right, days apart: a likely duplicate
    browser = staff("controller_admin", MARTIN)
    html = browser.get("/staff/?flagged=duplicate").get_data(as_text=True)
    assert _refs(html) == [second["reference"]] and "likely duplicate" in html
    assert _refs(browser.get("/staff/?flagged=chased").get_data(as_text=True)) == []
    assert first["reference"] in browser.get("/staff/").get_data(as_text=True)


def test_actions_from_the_request_page(app, staff, token, file_request, smtp):
    martin = token("controller_admin", MARTIN)
    made = file_request(martin, identity_verified=True)
    ref = made["reference"]
    browser = staff("controller_admin", MARTIN)
    page = browser.get(f"/staff/requests/{ref}").get_data(as_text=True)
    assert 'id="action-approve"' in page and 'id="action-route"' not in page and 'id="action-verify"' not in page
    # Refusals are messages on the page, never a 500.
    refused = _act(browser, ref, "reject", grounds="excessive", reason="")
    assert refused.status_code == 422 and "Refused:" in refused.get_data(as_text=True)
    refused = _act(browser, ref, "verify")
    assert refused.status_code == 409 and "cannot verify" in refused.get_data(as_text=True)
    refused = _act(browser, ref, "route", controller=SERRANO)
    assert refused.status_code == 403 and "only the operator" in refused.get_data(as_text=True)
    assert _act(browser, ref, "no_such_action").status_code == 404

    done = _act(browser, ref, "extend", reason="Many systems to search")
    assert done.status_code == 303
    assert _act(browser, ref, "approve", instruction="Export everything").status_code == 303
    assert _act(browser, ref, "assign", assignee="Alice").status_code == 303
    assert _act(browser, ref, "note", text="Called the subject").status_code == 303
    page = browser.get(f"/staff/requests/{ref}").get_data(as_text=True)
    for text in ("Many systems to search", "Export everything", "Called the subject", "approved", "Alice"):
        assert text in page
    assert 'id="action-approve"' not in page and 'id="action-extend"' not in page
    assert "<strong>extend</strong>" in page and "<strong>approve</strong>" in page

    other = file_request(martin, identity_verified=True)["reference"]
    assert _act(browser, other, "reject", grounds="manifestly_unfounded", reason="Asked 40 times").status_code == 303
    assert "rejected" in browser.get(f"/staff/requests/{other}").get_data(as_text=True)


def test_request_information_pauses_the_clock_and_emails_the_subject(app, staff, token, file_request, smtp):
    made = file_request(token("controller_admin", MARTIN))
    browser = staff("controller_agent", MARTIN)
    response = _act(browser, made["reference"], "request_information", reason="A copy of your client card")
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "The subject was emailed" in page and "paused" in page
    assert any("A copy of your client card" in m.body and made["reference"] in m.message["Subject"]
               for m in smtp.messages)


def test_rejection_extension_and_replies_are_emailed_to_the_subject(app, staff, token, file_request, smtp):
    martin = token("controller_admin", MARTIN)
    # An English-speaking subject of a French controller: the mail is in the request's language.
    extended, rejected = (file_request(martin, identity_verified=True, language="en")["reference"] for _ in range(2))
    browser = staff("controller_admin", MARTIN)
    assert _act(browser, extended, "extend", reason="Forty archive boxes to search").status_code == 303
    assert _act(browser, rejected, "reject", grounds="excessive", reason="Your fifth request this month").status_code == 303
    assert _act(browser, extended, "reply", text="We found your file; the export follows.").status_code == 303
    assert _act(browser, extended, "reply", text="  ").status_code == 422

    def mail_about(reference):
        return [m for m in smtp.messages if reference in m.message["Subject"]]

    (extension, reply) = mail_about(extended)
    assert "Forty archive boxes to search" in extension.body and "two further months" in extension.body
    assert "We found your file" in reply.body
    (rejection,) = mail_about(rejected)
    for text in ("Your fifth request this month", "excessive", "Art. 77", "judicial remedy"):
        assert text in rejection.body
    page = browser.get(f"/staff/requests/{extended}").get_data(as_text=True)
    assert page.count("message sent") >= 2  # each email is on the request's timeline
    # An operator does not speak for the client to its subject.
    operator = staff("operator_admin")
    assert 'id="action-reply"' not in operator.get(f"/staff/requests/{extended}").get_data(as_text=True)
    assert _act(operator, extended, "reply", text="hello").status_code == 403


def test_duplicate_merge_and_cancel(app, staff, token, file_request):
    martin = token("controller_admin", MARTIN)
    original, copy = file_request(martin)["reference"], file_request(martin)["reference"]
    foreign = file_request(token("controller_admin", SERRANO))["reference"]
    browser = staff("controller_admin", MARTIN)
    assert _act(browser, copy, "mark_duplicate", duplicate_of=foreign, reason="same").status_code == 404
    assert _act(browser, copy, "mark_duplicate", duplicate_of=original, reason="same person").status_code == 303
    assert _act(browser, original, "cancel", reason="withdrawn by phone").status_code == 303
    assert "cancelled" in browser.get(f"/staff/requests/{original}").get_data(as_text=True)


def test_operator_routes_an_unroutable_request(app, staff, token, file_request):
    made = file_request(token("operator_admin"), identity_verified=True,
                        identities=[{"type": "email", "value": "nobody-knows@mail.example"}])
    browser = staff("operator_admin")
    assert made["status"] == "unroutable"
    page = browser.get(f"/staff/requests/{made['reference']}").get_data(as_text=True)
    assert 'id="action-route"' in page
    assert _act(browser, made["reference"], "route", controller=MARTIN, reason="named on the phone").status_code == 303
    assert "Cabinet Martin" in browser.get(f"/staff/requests/{made['reference']}").get_data(as_text=True)


def test_subject_text_is_escaped_and_pages_forbid_scripts(app, staff, token, file_request):
    evil = "<script>window.__pwned=1</script>"
    made = file_request(token("controller_admin", MARTIN), details=evil,
                        identities=[{"type": "name", "value": evil}, {"type": "email", "value": "x@mail.example"}])
    browser = staff("controller_admin", MARTIN)
    for url in ("/staff/", f"/staff/requests/{made['reference']}"):
        response = browser.get(url)
        assert "script-src 'none'" in response.headers["Content-Security-Policy"]
        assert "<script>" not in response.get_data(as_text=True)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in browser.get(
        f"/staff/requests/{made['reference']}").get_data(as_text=True)


def test_inbox_is_for_operators(app, staff):
    assert staff("operator_agent").get("/staff/messages").status_code == 200
    assert staff("controller_admin", MARTIN).get("/staff/messages").status_code == 404


def test_queue_page_costs_the_same_queries_for_3_rows_as_for_30(app, staff, token, file_request):
    """Rows come in batches (selectinload): no query per row, whatever the page's length."""
    from sqlalchemy import event

    from dsar.extensions import db

    operator = token("operator_admin")
    browser = staff("operator_agent")

    def queries_for_queue() -> int:
        statements = []
        with app.app_context():
            engine = db.engine

        def count(*_args):
            statements.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert browser.get("/staff/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    for _ in range(3):
        file_request(operator, controller=MARTIN, identities=[{"type": "email", "value": "a@mail.example"},
                                                                {"type": "phone", "value": "+33612345678"}])
    few = queries_for_queue()
    assert 0 < few <= 15, few
    for _ in range(27):
        file_request(operator, controller=SERRANO)
    assert queries_for_queue() == few


def test_offered_actions_follow_role_and_state(app, token, file_request):
    from dsar.models import Role
    from dsar.permissions import Principal
    from dsar.requests import service
    from dsar.triage.actions import offered_actions

    routed = file_request(token("operator_admin"), controller=MARTIN, identity_verified=True)["reference"]
    fresh = file_request(token("operator_admin"), controller=MARTIN)["reference"]
    controller = Principal(Role.CONTROLLER_AGENT, MARTIN, "a@x")
    operator = Principal(Role.OPERATOR_AGENT, None, "o@x")
    with app.test_request_context():
        assert offered_actions(controller, service.get_request(routed, controller)) == [
            "request_information", "approve", "reject", "extend", "assign", "mark_duplicate", "cancel", "note",
            "reply"]
        assert offered_actions(operator, service.get_request(routed, operator)) == ["assign", "forward", "note"]
        assert offered_actions(controller, service.get_request(fresh, controller))[:2] == ["verify", "request_information"]
        service.perform(routed, "reject", controller, {"grounds": "excessive", "reason": "r"})
        assert offered_actions(controller, service.get_request(routed, controller)) == ["assign", "note", "reply"]
