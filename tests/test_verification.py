"""Confirming the email address: the emailed link shows a button, the button (a POST)
verifies the request and the ones split from it, as the subject; nothing before that."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer

from dsar.public.verification import SALT

EMAIL = "ana@mail.example"


@pytest.fixture
def operator(token):
    return token("operator_admin")


@pytest.fixture
def api(client, operator):
    """api(reference) -> the request as the operator's API shows it."""
    return lambda reference: client.get(f"/api/v1/requests/{reference}", headers=operator).json


def _path(url: str) -> str:
    return urlsplit(url).path


def _file(public_form, smtp, path="/privacy/cabinet-martin", **fields) -> tuple[list[str], str]:
    """Send the form; return (references shown, path of the emailed confirmation link)."""
    fields = {"rights": ["access"], "email": EMAIL, **fields}
    response = public_form(path, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    [message] = smtp.to(EMAIL)
    return re.findall(r"DSR-[0-9A-Z]{4}-[0-9A-Z]{4}", message.message["Subject"]), _path(message.link("/confirm/"))


def _press_confirm(client, link: str):
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(link, data={"csrf_token": token})


def test_opening_the_link_changes_nothing_and_the_button_verifies_and_routes(client, public_form, smtp, api):
    [reference], link = _file(public_form, smtp)
    before = api(reference)
    assert (before["status"], before["verification"]) == ("received", "unverified")

    page = client.get(link)  # what a mail system's link scanner does
    assert page.status_code == 200
    assert "Confirm my request" in page.get_data(as_text=True)
    assert api(reference)["timeline"] == before["timeline"]

    confirmed = _press_confirm(client, link)
    assert confirmed.status_code == 303
    after = api(reference)
    assert (after["status"], after["verification"]) == ("routed", "verified")
    verify, route = after["timeline"][-2:]
    assert (verify["kind"], verify["actor"], verify["to_status"]) == ("verify", f"subject:{reference}", "verified")
    assert verify["data"]["reason"] == "email address confirmed through the link sent to it"
    assert (route["kind"], route["to_status"]) == ("route", "routed")

    shown = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "Email address confirmed" in shown and "Confirm my request" not in shown

    # The button again (a double click, a back button): the same page, no second verify.
    form_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/privacy").get_data(as_text=True))
    assert client.post(link, data={"csrf_token": form_token.group(1)}).status_code == 303
    assert [e["kind"] for e in api(reference)["timeline"]].count("verify") == 1


def test_the_button_needs_the_pages_csrf_token(client, public_form, smtp, api):
    [reference], link = _file(public_form, smtp)
    response = client.post(link)
    assert response.status_code == 400 and "This form has expired" in response.get_data(as_text=True)
    assert api(reference)["status"] == "received"


def test_an_expired_link_says_so_and_confirms_nothing(app, client, public_form, smtp, api, monkeypatch):
    [reference], link = _file(public_form, smtp)
    token = link.rsplit("/", 1)[1]
    payload = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).loads(token)
    eight_days_ago = time.time() - 8 * 86400
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: eight_days_ago)
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(payload)
    monkeypatch.undo()

    for response in (client.get(f"/privacy/confirm/{old}"), client.post(f"/privacy/confirm/{old}", data={})):
        assert response.status_code in (410, 400)  # the POST has no CSRF token: refused before
    page = client.get(f"/privacy/confirm/{old}")
    assert page.status_code == 410
    text = page.get_data(as_text=True)
    assert "This link has expired" in text and "valid for 7 days" in text
    assert api(reference)["status"] == "received"


@pytest.mark.parametrize("spoil", [
    lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),   # signature changed
    lambda token: token.split(".")[0] + "x." + ".".join(token.split(".")[1:]),    # payload changed
    lambda token: "not-a-token",
])
def test_a_tampered_link_is_not_found(client, public_form, smtp, api, spoil):
    [reference], link = _file(public_form, smtp)
    token = link.rsplit("/", 1)[1]
    response = client.get(f"/privacy/confirm/{spoil(token)}")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)
    assert api(reference)["status"] == "received"


def test_a_link_for_another_address_confirms_nothing(app, client, public_form, smtp, api):
    [reference], _ = _file(public_form, smtp)
    forged = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps([reference, "mallory@evil.example"])
    assert client.get(f"/privacy/confirm/{forged}").status_code == 404
    assert api(reference)["status"] == "received"


def test_a_split_request_gets_one_email_and_one_confirmation_for_all(client, public_form, smtp, api):
    response = public_form("/privacy", rights=["erasure"], email=EMAIL, organisation="",
                           details="I am a client of Cabinet Martin and of Notaría Serrano; erase my data.")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    references = re.findall(r'<li class="reference">(DSR-[0-9A-Z-]{9})</li>', page)
    assert len(references) == 2
    [message] = smtp.to(EMAIL)
    assert all(r in message.body for r in references) and references[0] in message.message["Subject"]
    assert "Cabinet Martin Avocats" in message.body and "Notaría Serrano Madrid" in message.body
    assert len([u for u in message.links() if "/privacy/status/" in u]) == 2

    _press_confirm(client, _path(message.link("/confirm/")))
    original, child = (api(r) for r in references)
    assert {original["controller"], child["controller"]} == {"cabinet-martin", "notaria-serrano"}
    assert child["parent"] == references[0]
    for request, reference in ((original, references[0]), (child, references[1])):
        assert (request["status"], request["verification"]) == ("routed", "verified")
        assert request["timeline"][-2]["actor"] == f"subject:{reference}"
