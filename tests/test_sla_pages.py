"""The staff dashboard page and its CSV: login required, the caller's scope, no script."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta, timezone

from test_sla_figures import PERIOD_2025, history  # noqa: F401  (the fixture of a year of requests)


def test_the_dashboard_needs_a_login(client):
    for url in ("/staff/dashboard", "/staff/dashboard.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login?next=" in response.headers["Location"]


def cell(html: str, css_class: str) -> str:
    return re.search(rf'<table class="{css_class}">(.*?)</table>', html, re.S).group(1)


def test_an_operator_sees_every_tenant(staff, token, file_request):
    martin, serrano = token("controller_admin", "cabinet-martin"), token("controller_admin", "notaria-serrano")
    made = [file_request(martin, days_ago=d) for d in (25, 29, 35)] + [file_request(serrano, days_ago=20)]
    today = datetime.now(timezone.utc).date()
    dues = [date.fromisoformat(r["statutory_due"]) for r in made]
    browser = staff("operator_agent")
    response = browser.get("/staff/dashboard")
    assert response.status_code == 200
    assert "script-src 'none'" in response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert "<script" not in html and ' style="' not in html  # the CSP allows neither
    assert re.search(r'id="open-total">4<', html)
    assert re.search(rf'id="due-overdue">{sum(d < today for d in dues)}<', html)
    assert re.search(rf'id="due-7">{sum(today <= d <= today + timedelta(days=7) for d in dues)}<', html)
    by_controller = cell(html, "open-by-controller")
    assert "<td>cabinet-martin</td><td>3</td>" in by_controller and "<td>notaria-serrano</td><td>1</td>" in by_controller
    # One bar per day; each bar's tooltip has its count, which is the number of requests due that day.
    bars = re.findall(r"<title>(\d{4}-\d\d-\d\d): (\d+)</title></rect>", html)
    assert len(bars) == 30 and bars[0][0] == today.isoformat()
    for day, count in bars:
        assert int(count) == sum(d.isoformat() == day for d in dues)


def test_a_controller_sees_only_its_own(staff, history):  # noqa: F811
    browser = staff("controller_agent", "cabinet-martin")
    html = browser.get(f"/staff/dashboard?{PERIOD_2025}").get_data(as_text=True)
    period = cell(html, "period-by-controller")
    assert "Cabinet Martin Avocats" in period
    for other in ("Serrano", "Huber", "Septeo"):
        assert other not in html
    assert "<td>Total</td><td>3</td><td>2</td><td>1</td>" in period
    assert "66.7 % (2/3)" in period and "50.0 % (1/2)" in period
    assert 'href="/staff/dashboard.csv?from=2025-01-01&amp;to=2025-12-31"' in html
    body = browser.get(f"/staff/dashboard.csv?{PERIOD_2025}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["id"] for r in rows if r["scope"] == "controller"] == ["cabinet-martin"]
    assert next(r for r in rows if r["scope"] == "total")["received"] == "3"


def test_an_operator_csv_has_every_tenant(staff, history):  # noqa: F811
    body = staff("operator_admin").get(f"/staff/dashboard.csv?{PERIOD_2025}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert {r["id"] for r in rows if r["scope"] == "controller"} == {
        "cabinet-martin", "notaria-serrano", "kanzlei-huber", "septeo"}


def test_a_bad_period_is_a_400_page(staff):
    browser = staff("operator_admin")
    response = browser.get("/staff/dashboard?from=2025-12-01&to=2025-01-01")
    assert response.status_code == 400 and "from must not be after to" in response.get_data(as_text=True)
    assert browser.get("/staff/dashboard.csv?to=nope").status_code == 400
