"""The public request form, as a subject (or a robot, or an attacker) meets it."""
from __future__ import annotations

import logging
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsar.models import Right

EMAIL = "ana@mail.example"
HEADINGS = {
    "en": "Make a request about your personal data",
    "fr": "Faire une demande concernant vos données personnelles",
    "es": "Presentar una solicitud sobre sus datos personales",
    "de": "Einen Antrag zu Ihren personenbezogenen Daten stellen",
}


class Page(HTMLParser):
    """The parts of a page these tests read: labels, fields, attributes by id."""

    def __init__(self, html: str):
        super().__init__()
        self.labels: set[str] = set()
        self.fields: dict[str, dict] = {}
        self.by_id: dict[str, dict] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.by_id[attrs["id"]] = attrs | {"tag": tag}
        if tag == "label":
            self.labels.add(attrs.get("for"))
        if tag in ("input", "select", "textarea") and attrs.get("type") != "hidden":
            self.fields[attrs.get("id") or attrs.get("name")] = attrs


@pytest.fixture
def operator(token):
    return token("operator_admin")


def _text(response) -> str:
    return response.get_data(as_text=True)


def _valid(**fields) -> dict:
    return {"rights": ["access"], "email": EMAIL, **fields}


def _requests(client, operator) -> list[dict]:
    return client.get("/api/v1/requests", headers=operator).json["items"]


@pytest.mark.parametrize("language", sorted(HEADINGS))
def test_the_form_speaks_the_browsers_language(client, language):
    response = client.get("/privacy", headers={"Accept-Language": f"{language}-XX,{language};q=0.9,en;q=0.5"})
    html = _text(response)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html and HEADINGS[language] in html
    page = Page(html)
    assert page.fields and all(field_id in page.labels for field_id in page.fields), "every field has a label"
    assert {f"right-{r.value}" for r in Right} <= set(page.fields)


def test_the_language_switch_keeps_the_page_and_is_remembered(client):
    page = _text(client.get("/privacy/kanzlei-huber", headers={"Accept-Language": "fr"}))
    assert 'href="/privacy/kanzlei-huber?lang=de"' in page
    assert HEADINGS["de"] in _text(client.get("/privacy/kanzlei-huber?lang=de"))
    # The choice outlives the link: the next page is German whatever the browser says.
    assert HEADINGS["de"] in _text(client.get("/privacy", headers={"Accept-Language": "fr"}))


def test_a_controllers_page_names_it_and_an_unknown_one_is_a_404_page(client):
    assert "Cabinet Martin Avocats" in _text(client.get("/privacy/cabinet-martin"))
    response = client.get("/privacy/no-such-firm", headers={"Accept-Language": "es"})
    assert response.status_code == 404 and "Página no encontrada" in _text(response)


def test_the_general_page_offers_every_organisation_and_i_dont_know(client):
    html = _text(client.get("/privacy"))
    page = Page(html)
    assert "organisation" in page.fields and "organisation" in page.labels
    for name in ("I don't know", "Cabinet Martin Avocats", "Notaría Serrano Madrid", "Steuerkanzlei Huber München",
                 "Septeo IT Solutions (the operator of this site)"):
        assert name.replace("'", "&#39;") in html


def test_sending_the_form_files_an_unverified_request_and_emails_the_link(client, public_form, smtp, operator):
    response = public_form("/privacy/cabinet-martin", headers={"Accept-Language": "fr"}, name="Ana Martín",
                           rights=["access", "rectification"], corrections="My surname is Martín, not Martin.",
                           email=EMAIL, customer_id="C-1042", phone="+33 6 12 34 56 78", details="Since 2021.")
    assert response.status_code == 303
    page = _text(client.get(response.headers["Location"], headers={"Accept-Language": "fr"}))
    [reference] = re.findall(r'<li class="reference">(DSR-[0-9A-Z-]{9})</li>', page)
    assert EMAIL in page

    [message] = smtp.messages
    assert message.rcpt_tos == [EMAIL] and f"[{reference}]" in message.message["Subject"]
    assert "/privacy/confirm/" in message.link("/confirm/") and message.link("/status/")

    request = client.get(f"/api/v1/requests/{reference}", headers=operator).json
    assert (request["status"], request["verification"], request["channel"]) == ("received", "unverified", "form")
    assert request["controller"] == "cabinet-martin" and request["routing"]["rule"] == "form"
    assert request["language"] == "fr" and request["rights"] == ["access", "rectification"]
    assert request["corrections"] == {"requested": "My surname is Martín, not Martin."}
    assert {(i["type"], i["value"]) for i in request["identities"]} == {
        ("email", EMAIL), ("name", "Ana Martín"), ("customer_id", "C-1042"), ("phone", "+33 6 12 34 56 78")}
    assert request["details"] == "Since 2021."


def test_the_general_page_routes_to_the_organisation_picked(client, public_form, smtp, operator):
    public_form("/privacy", organisation="kanzlei-huber", **_valid())
    [request] = _requests(client, operator)
    assert request["controller"] == "kanzlei-huber" and request["status"] == "received"


def test_errors_keep_what_was_typed_and_point_to_the_fields(client, public_form, smtp, operator):
    response = public_form("/privacy/cabinet-martin", name="Ana Martín", email="ana at mail", rights=["rectification"],
                           details="My address changed.")
    html = _text(response)
    assert response.status_code == 422
    page = Page(html)
    assert page.fields["name"]["value"] == "Ana Martín" and page.fields["email"]["value"] == "ana at mail"
    assert "My address changed." in html and "checked" in page.fields["right-rectification"]
    summary = page.by_id["error-summary-title"]
    assert summary and 'href="#email"' in html and 'href="#corrections"' in html
    assert page.fields["email"]["aria-invalid"] == "true"
    assert "email-error" in page.fields["email"]["aria-describedby"].split()
    assert page.by_id["email-error"]["tag"] == "p"
    assert "Enter one email address, like name@example.com." in html
    assert "Say what should be corrected" in html
    assert re.search(r'class="error-summary"[^>]*tabindex="-1"[^>]*autofocus', html)
    assert _requests(client, operator) == [] and smtp.messages == []


def test_no_right_ticked_is_an_error(public_form):
    response = public_form("/privacy/cabinet-martin", email=EMAIL)
    assert response.status_code == 422 and "Choose at least one right." in _text(response)


@pytest.mark.parametrize(("field", "value", "error"), [
    ("email", f"{EMAIL}\r\nBcc: victim@evil.example", "Enter one email address"),
    ("email", f"{EMAIL}, victim@evil.example", "Enter one email address"),
    ("email", f"Ana <{EMAIL}>", "Enter one email address"),
    ("email", "a" * 250 + "@mail.example", "Use at most 254 characters."),
    ("name", "Ana\x00Martín", "Remove the invisible control characters"),
    ("name", "Ana\x1b[2J", "Remove the invisible control characters"),
    ("name", "Ana\r\nBcc: victim@evil.example", "Write this on a single line."),
    ("name", "A" * 201, "Use at most 200 characters."),
    ("phone", "call me maybe", "Enter a phone number"),
    ("customer_id", "x" * 101, "Use at most 100 characters."),
    ("details", "y" * 5001, "Use at most 5000 characters."),
    ("details", "bad \x07 bell", "Remove the invisible control characters"),
    ("rights", "everything", "Choose among the rights listed."),
    ("organisation", "no-such-firm", "Not a valid choice"),
])
def test_hostile_input_is_a_clear_field_error(client, public_form, smtp, operator, field, value, error):
    fields = _valid(**{field: value})
    response = public_form("/privacy", **fields)
    assert response.status_code == 422
    assert error in _text(response)
    assert _requests(client, operator) == [] and smtp.messages == []


FORM_FIELDS = ["organisation", "rights", "corrections", "email", "name", "phone", "customer_id", "details"]
nasty = st.text(max_size=300) | st.sampled_from(["\x00", "\ud800", "a\r\nBcc: x@evil.example", "é" * 6000, EMAIL,
                                                 "access", "rectification", "<script>x</script>", "' OR 1=1 --"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(FORM_FIELDS), nasty | st.lists(nasty, max_size=3), max_size=8))
def test_whatever_is_sent_the_answer_is_a_page_never_a_500(app, client, smtp, fields):
    app.config["FORM_RATE_LIMIT_PER_IP"] = app.config["FORM_RATE_LIMIT_PER_EMAIL"] = "10000 per hour"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _text(client.get("/privacy"))).group(1)
    # Raw bytes on the wire, as a hostile client sends them (lone surrogates as WTF-8).
    body = urlencode({"csrf_token": token, **fields}, doseq=True, errors="surrogatepass")
    response = client.post("/privacy", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (303, 422), _text(response)[:2000]


def test_a_bug_is_a_page_in_the_subjects_language_and_is_logged(client, public_form, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("dsar.public.filing.create_request", broken)
    with caplog.at_level(logging.ERROR, logger="dsar.public.views"):
        response = public_form("/privacy/cabinet-martin", headers={"Accept-Language": "es"}, **_valid())
    assert response.status_code == 500 and "Se ha producido un error" in _text(response)
    assert "a bug" in caplog.text


def test_a_script_in_a_name_is_shown_as_text_and_never_emailed(client, public_form, smtp):
    script = "<script>alert(1)</script>"
    page = _text(public_form("/privacy/cabinet-martin", name=script, email=EMAIL))  # no right: shown again
    assert script not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    assert public_form("/privacy/cabinet-martin", **_valid(name=script, details=script)).status_code == 303
    [message] = smtp.messages
    assert "<script" not in message.raw.decode() and message.message.get_content_type() == "text/plain"


def test_the_pages_forbid_scripts_and_leak_no_tokens(client):
    response = client.get("/privacy")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "same-origin" and response.headers["Cache-Control"] == "no-store"


def test_over_https_the_form_works_with_the_referer_a_browser_sends(client, smtp):
    # Flask-WTF insists on a same-origin Referer over HTTPS; the pages' Referrer-Policy
    # (same-origin) lets browsers send it, and nothing else.
    https = {"base_url": "https://dsar.example"}
    page = client.get("/privacy/cabinet-martin", **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    fields = {"csrf_token": token, **_valid()}
    assert client.post("/privacy/cabinet-martin", data=fields, **https).status_code == 400  # no Referer
    sent = client.post("/privacy/cabinet-martin", data=fields, **https,
                       headers={"Referer": "https://dsar.example/privacy/cabinet-martin"})
    assert sent.status_code == 303


def test_any_other_address_under_privacy_is_the_public_404_page(client):
    for path in ("/privacy/cabinet-martin/extra", "/privacy/status/", "/privacy/a/b/c"):
        response = client.get(path, headers={"Accept-Language": "de"})
        assert response.status_code == 404 and "Seite nicht gefunden" in _text(response)


def test_a_1mb_body_is_a_413_page(client, operator):
    response = client.post("/privacy", data={"details": "x" * (1024 * 1024 + 1)}, headers={"Accept-Language": "de"})
    assert response.status_code == 413 and "<html" in _text(response) and "1 MB" in _text(response)
    assert _requests(client, operator) == []


def test_without_the_csrf_token_nothing_is_filed(client, smtp, operator):
    response = client.post("/privacy/cabinet-martin", data=_valid())
    assert response.status_code == 400 and "This form has expired" in _text(response)
    assert _requests(client, operator) == [] and smtp.messages == []


def test_the_api_and_the_inbound_webhook_need_no_csrf_token(client, operator):
    assert client.post("/api/v1/requests", json={"rights": ["access"], "identities": [
        {"type": "email", "value": EMAIL}]}, headers=operator).status_code == 201
    # Whatever the webhook answers (it is not ours), it is not a CSRF refusal.
    assert "CSRF" not in _text(client.post("/inbound/postmark", json={}))


def test_a_filled_honeypot_is_refused_and_logged(client, public_form, smtp, operator, caplog):
    with caplog.at_level(logging.WARNING, logger="dsar.public.views"):
        response = public_form("/privacy/cabinet-martin", website="http://spam.example", **_valid())
    assert response.status_code == 400 and "looks automated" in _text(response)
    assert "honeypot" in caplog.text
    assert _requests(client, operator) == [] and smtp.messages == []


def test_too_many_posts_from_one_address_get_a_429_saying_when_to_retry(app, client, public_form, smtp):
    app.config["FORM_RATE_LIMIT_PER_IP"] = "2 per hour"
    for n in range(2):  # invalid or not, every POST from the address counts
        assert public_form("/privacy", email=f"n{n}@mail.example").status_code == 422
    response = public_form("/privacy/cabinet-martin", headers={"Accept-Language": "fr"}, **_valid())
    assert response.status_code == 429
    assert "Trop de demandes" in _text(response) and re.search(r"dans (\d+ minutes|1 heure)", _text(response))
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    other = public_form("/privacy", environ_base={"REMOTE_ADDR": "203.0.113.9"}, **_valid())
    assert other.status_code == 303


def test_one_email_address_is_not_flooded(app, client, public_form, smtp):
    app.config["FORM_RATE_LIMIT_PER_IP"] = "100 per hour"
    assert public_form("/privacy", email=EMAIL).status_code == 422  # a mistake costs nothing
    for n in range(3):
        response = public_form("/privacy", environ_base={"REMOTE_ADDR": f"203.0.113.{n}"}, **_valid())
        assert response.status_code == 303
    blocked = public_form("/privacy", environ_base={"REMOTE_ADDR": "198.51.100.7"}, **_valid(email=EMAIL.upper()))
    assert blocked.status_code == 429 and "Too many requests" in _text(blocked)
    assert len(smtp.to(EMAIL)) == 3
    assert public_form("/privacy", **_valid(email="ben@mail.example")).status_code == 303


def test_rate_limits_are_shared_through_redis_when_there_is_one(database):
    from dsar import create_app
    from dsar.public.security import limiter

    url = database[0]
    create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert type(limiter.storage).__name__ == "RedisStorage"
    create_app({"SQLALCHEMY_DATABASE_URI": url})
    assert type(limiter.storage).__name__ == "MemoryStorage"


def test_the_session_cookie_is_secure_when_the_site_is_served_over_https(database):
    from dsar import create_app

    assert create_app({"SQLALCHEMY_DATABASE_URI": database[0], "PUBLIC_BASE_URL": "https://dsar.example"}) \
        .config["SESSION_COOKIE_SECURE"] is True
    assert create_app({"SQLALCHEMY_DATABASE_URI": database[0]}).config["SESSION_COOKIE_SECURE"] is False


def test_the_home_page_leads_people_to_the_form(client):
    assert client.get("/").headers["Location"] == "/privacy"
    assert client.get("/", headers={"Accept": "application/json"}).json["api"] == "/api/v1/docs"
