"""A real browser (Debian's Chromium, driven by Playwright) against the app served over
HTTP: what a subject does, click by click, and what a script typed into the form does
(nothing). Emails go through the loopback SMTP server; the API checks the outcome."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

EMAIL = "ana@mail.example"
SCRIPT = "<script>window.__pwned=1</script>"


@pytest.fixture
def page_in(chromium):
    """page_in(locale, **options) -> a fresh page in a browser context set to that locale."""
    contexts = []

    def make(locale: str, **options):
        context = chromium.new_context(locale=locale, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def _not_pwned(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"


def test_a_french_subject_files_confirms_and_the_request_is_routed(page_in, live_server, smtp, client, token):
    page = page_in("fr-FR")
    page.goto(f"{live_server}/privacy/cabinet-martin")
    assert page.locator("html").get_attribute("lang") == "fr"
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Faire une demande concernant vos données personnelles auprès de Cabinet Martin Avocats")

    page.get_by_label("Accéder à vos données").check()
    page.get_by_label("Faire rectifier vos données").check()
    page.get_by_label("Que faut-il rectifier").fill("Mon nom s'écrit Martín, avec un accent.")
    page.get_by_label("Nom et prénom").fill("Ana Martín")
    page.get_by_label("Adresse e-mail").fill(EMAIL)
    page.get_by_role("button", name="Envoyer ma demande").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Votre demande a été envoyée")
    reference = page.locator("li.reference").inner_text()
    assert reference.startswith("DSR-")

    [message] = smtp.to(EMAIL)
    assert f"[{reference}]" in message.message["Subject"]
    page.goto(message.link("/privacy/confirm/"))
    page.get_by_role("button", name="Confirmer ma demande").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adresse e-mail confirmée")

    request = client.get(f"/api/v1/requests/{reference}", headers=token("operator_admin")).json
    assert request["controller"] == "cabinet-martin"
    assert request["rights"] == ["access", "rectification"]
    assert (request["status"], request["verification"], request["language"]) == ("routed", "verified", "fr")
    assert request["clocks"]["statutory"]["due"] and request["clocks"]["statutory"]["state"] == "running"


def test_a_script_typed_in_every_field_never_runs(page_in, live_server, smtp):
    # The pages' Content-Security-Policy forbids every script; set it aside here, so
    # this tests the escaping itself, not only the safety net behind it.
    page = page_in("en-GB", bypass_csp=True)
    page.goto(f"{live_server}/privacy")
    fields = ["Full name", "Customer or account number", "Phone number", "What should be corrected?",
              "Anything else we should know?", "Email address"]
    for label in fields:
        page.get_by_label(label).fill(SCRIPT)
    page.get_by_role("button", name="Send my request").click()

    # Refused (no right ticked, no valid email or phone): the page comes back with the
    # script as typed, as text, and the keyboard focus on the list of problems.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    _not_pwned(page)
    for label in fields:
        assert page.get_by_label(label).input_value() == SCRIPT
    # autofocus lands once the page has settled: wait for it rather than read it at once
    expect(page.locator(".error-summary")).to_be_focused()

    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Phone number").fill("+33 6 12 34 56 78")
    page.get_by_label("Correct your data").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request has been sent")
    _not_pwned(page)

    [message] = smtp.to(EMAIL)
    page.goto(message.link("/privacy/status/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Where your request stands")
    _not_pwned(page)
    page.goto(message.link("/privacy/confirm/"))
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Email address confirmed")
    _not_pwned(page)
