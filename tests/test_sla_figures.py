"""The SLA figures (dashboard JSON and CSV) on realistic data: several tenants, states and
clocks. Expected values are worked out by hand in the tests (from the dates, the
controllers' calendars and DESIGN §5's worked examples), never by calling the figures."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from dsar.models import Role
from dsar.permissions import Principal

PERIOD_2025 = "from=2025-01-01&to=2025-12-31"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.fixture
def history(app):
    """A year of decided requests, filed and moved through the request service at past
    instants (what the API does, with a clock we choose). Returns their references."""
    from dsar.requests.service import NewRequest, create_request, perform

    client_of = {cid: Principal(Role.CONTROLLER_ADMIN, cid, "dpo") for cid in
                 ("cabinet-martin", "notaria-serrano", "kanzlei-huber")}
    operator = Principal(Role.OPERATOR_ADMIN, None, "ops")

    def filed(who: Principal, rights, at: datetime, controller_id=None) -> str:
        data = NewRequest(rights=rights, identities=[("email", "ana@mail.example")], received_at=at,
                          identity_verified=True, controller_id=controller_id)
        return create_request(data, who, now=at)[0].reference

    def fulfil(ref, who, approved, completed, answered):
        perform(ref, "approve", who, now=approved)
        perform(ref, "complete", operator, now=completed)
        perform(ref, "answer", who, now=answered)

    with app.app_context():
        martin, serrano, huber = (client_of[c] for c in ("cabinet-martin", "notaria-serrano", "kanzlei-huber"))
        refs = {}
        # EDPB ex. 32: received 5 March 2025 (FR) -> due Mon 7 April; answered 7 April 17:00 Paris: met.
        # Processor SLA from the instruction (Wed 5 March) -> Mon 10 March; fulfilled 12 March: missed.
        refs["M1"] = filed(martin, ["access", "portability"], utc(2025, 3, 5, 9))
        fulfil(refs["M1"], martin, utc(2025, 3, 5, 10), utc(2025, 3, 12, 9), utc(2025, 4, 7, 15))
        # Received Tue 8 April 2025 (FR): 8 May is a holiday -> due 9 May. Answered 9 May 22:30 UTC,
        # which is 10 May 00:30 in Paris: missed (the UTC date would say met).
        # SLA: Tue 8 April -> Fri 11 April; fulfilled 11 April: met.
        refs["M2"] = filed(martin, ["erasure"], utc(2025, 4, 8, 9))
        fulfil(refs["M2"], martin, utc(2025, 4, 8, 10), utc(2025, 4, 11, 15), utc(2025, 5, 9, 22, 30))
        # Refused eight days after receipt: a rejection answers within the month (met).
        refs["M3"] = filed(martin, ["access"], utc(2025, 6, 2, 9))
        perform(refs["M3"], "reject", martin, {"grounds": "identity_not_established", "reason": "no ID"},
                now=utc(2025, 6, 10, 9))
        # ES-MD: instructed Wed 16 April 2025 -> SLA due Wed 23 April (17-18 April holidays); met.
        refs["S1"] = filed(serrano, ["objection"], utc(2025, 4, 16, 9))
        fulfil(refs["S1"], serrano, utc(2025, 4, 16, 10), utc(2025, 4, 23, 10), utc(2025, 4, 25, 9))
        # Received in 2024, fulfilled in 2024, answered 10 January 2025 (due 20 January): met.
        refs["H1"] = filed(huber, ["rectification"], utc(2024, 12, 20, 9))
        fulfil(refs["H1"], huber, utc(2024, 12, 20, 10), utc(2024, 12, 23, 10), utc(2025, 1, 10, 10))
        # Still open at the end of the period.
        refs["H2"] = filed(huber, ["restriction"], utc(2025, 12, 20, 9))
        # The operator's own processing (no processor SLA): EDPB ex. 33, received 31 August 2025,
        # due 30 September; answered 1 October: missed.
        refs["P1"] = filed(operator, ["objection"], utc(2025, 8, 31, 10), controller_id="septeo")
        fulfil(refs["P1"], operator, utc(2025, 9, 1, 9), utc(2025, 9, 2, 9), utc(2025, 10, 1, 8))
        # Outside the period altogether.
        refs["M4"] = filed(martin, ["access"], utc(2026, 1, 5, 9))
    return refs


def by_id(rows: list[dict], key: str) -> dict:
    return {row[key]: row for row in rows}


def test_period_figures_for_the_operator(client, token, history):
    response = client.get(f"/api/v1/dashboard?{PERIOD_2025}", headers=token("operator_admin"))
    assert response.status_code == 200
    period = response.json["period"]
    assert (period["from"], period["to"]) == ("2025-01-01", "2025-12-31")
    rows = by_id(period["by_controller"], "controller")
    assert set(rows) == {"cabinet-martin", "notaria-serrano", "kanzlei-huber", "septeo"}
    martin = rows["cabinet-martin"]
    assert (martin["received"], martin["answered"], martin["rejected"]) == (3, 2, 1)
    assert (martin["statutory_met"], martin["statutory_total"], martin["statutory_met_pct"]) == (2, 3, 66.7)
    assert (martin["processor_sla_met"], martin["processor_sla_total"], martin["processor_sla_met_pct"]) == (1, 2, 50.0)
    assert martin["median_days_to_answer"] == 32  # days 33 (M1), 32 (M2), 8 (M3)
    serrano = rows["notaria-serrano"]
    assert (serrano["received"], serrano["answered"], serrano["statutory_met_pct"],
            serrano["processor_sla_met_pct"], serrano["median_days_to_answer"]) == (1, 1, 100.0, 100.0, 9)
    huber = rows["kanzlei-huber"]
    assert (huber["received"], huber["answered"], huber["statutory_met"], huber["statutory_total"]) == (1, 1, 1, 1)
    assert huber["processor_sla_total"] == 0 and huber["processor_sla_met_pct"] is None  # fulfilled in 2024
    septeo = rows["septeo"]
    assert (septeo["statutory_met"], septeo["statutory_total"], septeo["processor_sla_total"],
            septeo["median_days_to_answer"]) == (0, 1, 0, 31)
    total = period["total"]
    assert (total["received"], total["answered"], total["rejected"]) == (6, 5, 1)
    assert (total["statutory_met"], total["statutory_total"], total["statutory_met_pct"]) == (4, 6, 66.7)
    assert (total["processor_sla_met"], total["processor_sla_total"]) == (2, 3)
    assert total["median_days_to_answer"] == 26.0  # 8 9 21 | 31 32 33
    rights = by_id(period["by_right"], "right")
    assert {r: (v["received"], v["answered"], v["rejected"]) for r, v in rights.items() if any(
        (v["received"], v["answered"], v["rejected"]))} == {
        "access": (2, 1, 1), "portability": (1, 1, 0), "erasure": (1, 1, 0), "objection": (2, 2, 0),
        "rectification": (0, 1, 0), "restriction": (1, 0, 0)}
    assert rights["objection"]["article"] == "Art. 21"


def test_a_controller_sees_only_its_own_figures(client, token, history):
    martin = token("controller_admin", "cabinet-martin")
    period = client.get(f"/api/v1/dashboard?{PERIOD_2025}", headers=martin).json["period"]
    assert [row["controller"] for row in period["by_controller"]] == ["cabinet-martin"]
    assert (period["total"]["received"], period["total"]["answered"], period["total"]["rejected"]) == (3, 2, 1)
    assert {r["right"]: r["received"] for r in period["by_right"] if r["received"]} == {
        "access": 2, "portability": 1, "erasure": 1}
    body = client.get(f"/api/v1/dashboard.csv?{PERIOD_2025}", headers=martin).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["id"] for r in rows if r["scope"] == "controller"] == ["cabinet-martin"]
    for other in ("notaria-serrano", "kanzlei-huber", "septeo", "Serrano", "Huber", "Septeo"):
        assert other not in body
    total = next(r for r in rows if r["scope"] == "total")
    assert (total["received"], total["statutory_met_pct"], total["processor_sla_met_pct"]) == ("3", "66.7", "50.0")
    # A bot of another client sees none of it.
    other = client.get(f"/api/v1/dashboard?{PERIOD_2025}", headers=token("bot", "notaria-serrano")).json
    assert [row["controller"] for row in other["period"]["by_controller"]] == ["notaria-serrano"]


def test_csv_has_one_row_per_controller_and_right_and_a_total(client, token, history):
    response = client.get(f"/api/v1/dashboard.csv?{PERIOD_2025}", headers=token("operator_agent"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="dsar-sla-2025-01-01-2025-12-31.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["scope"] for r in rows] == ["controller"] * 4 + ["right"] * 7 + ["total"]
    martin = next(r for r in rows if r["id"] == "cabinet-martin")
    assert (martin["name"], martin["from"], martin["to"], martin["median_days_to_answer"]) == (
        "Cabinet Martin Avocats", "2025-01-01", "2025-12-31", "32.0")
    assert next(r for r in rows if r["id"] == "kanzlei-huber")["processor_sla_met_pct"] == ""


def test_open_and_due_figures_use_the_statutory_clock(client, token, file_request):
    """Requests received 1 to 40 days ago in three tenants; the expected counts come from
    each request's own statutory due date as the request API reports it."""
    martin, serrano = token("controller_admin", "cabinet-martin"), token("controller_agent", "notaria-serrano")
    created = [file_request(martin, days_ago=d) for d in (25, 29, 35, 40)]
    created += [file_request(serrano, days_ago=d, identity_verified=True) for d in (10, 31)]
    created += [file_request(token("operator_admin"), days_ago=3, controller="kanzlei-huber",
                             identity_verified=True, rights=["erasure"])]
    today = datetime.now(timezone.utc).date()
    dues = {c["reference"]: date.fromisoformat(c["statutory_due"]) for c in created}

    figures = client.get("/api/v1/dashboard", headers=token("operator_admin")).json
    assert figures["as_of"] == today.isoformat()
    assert figures["open"]["total"] == 7
    assert figures["open"]["by_controller"] == {"cabinet-martin": 4, "notaria-serrano": 2, "kanzlei-huber": 1}
    assert figures["open"]["by_state"] == {"received": 4, "routed": 3}
    due = figures["due"]
    assert due["clock"] == "statutory"
    assert due["overdue"] == sum(d < today for d in dues.values()) >= 2  # 35 and 40 days ago at least
    assert due["due_next_7_days"] == sum(today <= d <= today + timedelta(days=7) for d in dues.values())
    assert due["due_next_30_days"] == sum(today <= d <= today + timedelta(days=30) for d in dues.values())
    per_day = figures["due_per_day"]
    assert len(per_day) == 30 and per_day[0]["date"] == today.isoformat()
    for day in per_day:
        assert day["count"] == sum(d.isoformat() == day["date"] for d in dues.values())

    mine = client.get("/api/v1/dashboard", headers=serrano).json
    assert mine["open"] == {"total": 2, "by_state": {"routed": 2},
                            "by_controller": {"notaria-serrano": 2}}
    serrano_dues = [dues[c["reference"]] for c in created if c["controller"] == "notaria-serrano"]
    assert mine["due"]["overdue"] == sum(d < today for d in serrano_dues)
    assert sum(day["count"] for day in mine["due_per_day"]) == sum(
        today <= d < today + timedelta(days=30) for d in serrano_dues)


def test_closed_and_answered_requests_are_not_open(client, token, file_request):
    martin = token("controller_admin", "cabinet-martin")
    file_request(martin, days_ago=2)
    dropped = file_request(martin, days_ago=2)
    response = client.post(f"/api/v1/requests/{dropped['reference']}/cancel", json={"reason": "withdrawn"},
                           headers=martin)
    assert response.status_code == 200
    figures = client.get("/api/v1/dashboard", headers=martin).json
    assert figures["open"]["total"] == 1 and figures["open"]["by_state"] == {"received": 1}


@pytest.mark.parametrize("query", ["from=2025-13-01", "to=yesterday", "from=2025-06-01&to=2025-01-01",
                                   "from=1990-01-01&to=2025-01-01"])
def test_a_bad_period_is_a_422(client, token, query):
    response = client.get(f"/api/v1/dashboard?{query}", headers=token("operator_admin"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"


def test_the_dashboard_needs_a_token_and_is_documented(client):
    assert client.get("/api/v1/dashboard").status_code == 401
    assert client.get("/api/v1/dashboard.csv").status_code == 401
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/dashboard" in paths and "/dashboard.csv" in paths


def test_csv_cells_cannot_run_as_formulas(app, client, token, history):
    """A controller's name is text someone typed into the register: a spreadsheet must not
    run it. Commas, quotes and newlines stay inside their cell."""
    from dsar.extensions import db
    from dsar.models import Controller

    hostile = {"cabinet-martin": '=HYPERLINK("http://evil.example","x")',
               "kanzlei-huber": 'Huber, "Steuer"\nKanzlei', "notaria-serrano": "@SUM(1+1)"}
    with app.app_context():
        original = {cid: db.session.get(Controller, cid).name for cid in hostile}
        for cid, name in hostile.items():
            db.session.get(Controller, cid).name = name
        db.session.commit()
    try:
        body = client.get(f"/api/v1/dashboard.csv?{PERIOD_2025}",
                          headers=token("operator_admin")).get_data(as_text=True)
    finally:  # the register's rows outlive the test on PostgreSQL
        with app.app_context():
            for cid, name in original.items():
                db.session.get(Controller, cid).name = name
            db.session.commit()
    names = {r["id"]: r["name"] for r in csv.DictReader(io.StringIO(body)) if r["scope"] == "controller"}
    assert names["cabinet-martin"] == '\'=HYPERLINK("http://evil.example","x")'
    assert names["notaria-serrano"] == "'@SUM(1+1)"
    assert names["kanzlei-huber"] == 'Huber, "Steuer"\nKanzlei'


@pytest.mark.parametrize("value, cell", [("=1+1", "'=1+1"), ("+33 1", "'+33 1"), ("-x", "'-x"), ("@a", "'@a"),
                                         ("\tx", "'\tx"), ("plain", "plain"), (None, ""), (-3, "-3"),
                                         (66.7, "66.7")])
def test_safe_cell(value, cell):
    from dsar.sla.export import safe_cell

    assert safe_cell(value) == cell


def test_processor_sla_honours_the_contract_cut_off(app, client, token):
    """With a 17:00 cut-off, an instruction at 18:30 Paris time on Tue 8 April 2025 runs from
    Wed 9 April: due Mon 14 April, so fulfilment on the 14th is met (without the cut-off it
    would have been due Fri 11 April, and missed)."""
    from dsar.extensions import db
    from dsar.models import Controller
    from dsar.requests.service import NewRequest, create_request, perform

    martin = Principal(Role.CONTROLLER_ADMIN, "cabinet-martin", "dpo")
    operator = Principal(Role.OPERATOR_ADMIN, None, "ops")
    with app.app_context():
        db.session.get(Controller, "cabinet-martin").processor_sla_cutoff = "17:00"
        db.session.commit()
    try:
        with app.app_context():
            for instructed, fulfilled in [(utc(2025, 4, 8, 16, 30), utc(2025, 4, 14, 9)),   # after: met
                                          (utc(2025, 4, 8, 14, 0), utc(2025, 4, 14, 9))]:   # before: missed
                data = NewRequest(rights=["access"], identities=[("email", "a@mail.example")],
                                  received_at=instructed, identity_verified=True)
                ref = create_request(data, martin, now=instructed)[0].reference
                perform(ref, "approve", martin, now=instructed)
                perform(ref, "complete", operator, now=fulfilled)
        row = client.get("/api/v1/dashboard?from=2025-04-01&to=2025-04-30",
                         headers=token("operator_admin")).json["period"]["by_controller"][0]
        assert (row["controller"], row["processor_sla_met"], row["processor_sla_total"]) == ("cabinet-martin", 1, 2)
    finally:
        with app.app_context():
            db.session.get(Controller, "cabinet-martin").processor_sla_cutoff = None
            db.session.commit()
