"""The Intercom connector against a local fake of Intercom's API: what it finds, exports,
changes and asks Intercom to delete, and how it behaves when Intercom says no."""
from __future__ import annotations

import time

import pytest

from dsar.connectors import connector_class, http
from dsar.connectors.base import ConnectorError, RetryLater, Subject, ValidationError
from dsar.connectors.intercom import Intercom
from fakes.intercom import FakeIntercom

TOKEN = "ic-secret-token-789"


@pytest.fixture(scope="module")
def server():
    with FakeIntercom(token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def make(fake, monkeypatch):
    monkeypatch.setenv("IC_TOKEN", TOKEN)
    monkeypatch.setattr(http, "_backoff", lambda attempt: 0.01)  # keep 5xx retries fast

    def build(**extra):
        settings = {"base_url": fake.url, "access_token": {"env": "IC_TOKEN"}, **extra}
        return Intercom("intercom", Intercom.check_settings(settings))
    return build


def subject(**identities) -> Subject:
    corrections = identities.pop("corrections", {})
    return Subject("DSAR-2", {k: v if isinstance(v, list) else [v] for k, v in identities.items()}, corrections)


def of_kind(result, kind):
    return [r for r in result.records if r.kind == kind]


def test_registered_under_its_type():
    assert connector_class("intercom") is Intercom


def test_export_follows_every_page_of_contacts_notes_and_conversations(fake, make):
    # A user and two leads share the address: the contact search needs two pages.
    contacts = [fake.add_contact(f"Lea Roth {i}", email="lea@example.com", role=r)
                for i, r in enumerate(["user", "lead", "lead"])]
    other = fake.add_contact("Max Kurz", email="max@example.com")
    first = contacts[0]["id"]
    notes = [fake.add_note(first, f"Called about invoice {i}") for i in range(3)]
    fake.add_note(other["id"], "Not hers")
    chats = [fake.add_conversation([first], f"Hello {i}", f"Reply {i}") for i in range(3)]
    shared = fake.add_conversation([first, contacts[1]["id"]], "Group chat")
    fake.add_conversation([other["id"]], "Max's chat")

    result = make().export(subject(email="lea@example.com"))

    assert [r.id for r in of_kind(result, "contact")] == [c["id"] for c in contacts]
    assert of_kind(result, "contact")[1].data["role"] == "lead"
    assert [r.data["body"] for r in of_kind(result, "note")] == [n["body"] for n in notes]
    exported = {r.id: r.data for r in of_kind(result, "conversation")}
    assert set(exported) == {c["id"] for c in chats} | {shared["id"]}      # the shared one once
    assert exported[chats[2]["id"]]["conversation_parts"]["conversation_parts"][0]["body"] == "Reply 2"
    assert all(r.outcome == "exported" for r in result.records)
    assert fake.count("POST", r"^/contacts/search$") == 2
    assert fake.count("GET", rf"^/contacts/{first}/notes$") == 2
    assert fake.count("POST", r"^/conversations/search$") == 2 + 1 + 1   # two pages for the first contact
    assert fake.calls[0].headers["intercom-version"] == "2.11"


def test_access_lists_the_same_records_without_content(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com")
    note = fake.add_note(contact["id"], "VIP")
    chat = fake.add_conversation([contact["id"]], "Hello", "Hi Lea")
    result = make(intercom_version="2.10").access(subject(email="lea@example.com"))
    assert [(r.kind, r.id, r.outcome, r.data) for r in result.records] == [
        ("contact", contact["id"], "found", None), ("note", note["id"], "found", None),
        ("conversation", chat["id"], "found", None)]
    assert fake.count("GET", "^/conversations/") == 0                     # no message read
    assert fake.calls[0].headers["intercom-version"] == "2.10"


def test_contacts_are_found_by_phone_and_customer_id_once_each(fake, make):
    lea = fake.add_contact("Lea Roth", email="lea@example.com", phone="+49 30 1234567", external_id="C-42")
    lead = fake.add_contact("Visitor", phone="+49 30 1234567", role="lead")
    connector = make()
    result = connector.access(subject(email="lea@example.com", phone="+49 30 1234567", customer_id="C-42"))
    assert [r.id for r in result.records] == [lea["id"], lead["id"]]
    assert connector.discover({"customer_id": ["C-42"]}) is True
    assert connector.discover({"email": ["nobody@example.com"]}) is False


def test_a_name_alone_is_not_searched(fake, make):
    fake.add_contact("Lea Roth", email="lea@example.com")
    result = make().access(subject(name="Lea Roth"))
    assert result.overall == "not_found" and "name alone" in result.notes[0]
    assert fake.calls == []


def test_rectify_changes_the_contact_and_names_what_it_could_not_map(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com", phone="+49 30 1234567", company_size="10")
    s = subject(email="lea@example.com", corrections={
        "name": "Lea Roth-Berg", "email": "lea.berg@example.com", "company_size": "50", "shoe_size": "38"})

    result = make().rectify(s)

    stored = fake.contacts[contact["id"]]
    assert (stored["name"], stored["email"], stored["phone"]) == ("Lea Roth-Berg", "lea.berg@example.com",
                                                                  "+49 30 1234567")
    assert stored["custom_attributes"] == {"company_size": "50"}
    assert [r.outcome for r in result.records] == ["rectified"]
    assert any("shoe_size" in note for note in result.notes)

    # A retried task searches by the old address, which no contact has any more: nothing changes.
    assert make().rectify(s).overall == "not_found"
    assert fake.count("PUT", "/contacts/") == 1


def test_a_free_text_correction_is_not_supported(fake, make):
    fake.add_contact("Lea Roth", email="lea@example.com")
    result = make().rectify(subject(email="lea@example.com", corrections={"requested": "fix my company"}))
    assert result.overall == "not_supported" and "requested" in result.notes[0]
    assert fake.count("PUT", ".") == 0


def test_suppress_unsubscribes_from_email_once(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com")
    bystander = fake.add_contact("Max Kurz", email="max@example.com")
    result = make().suppress(subject(email="lea@example.com"))
    assert fake.contacts[contact["id"]]["unsubscribed_from_emails"] is True
    assert fake.contacts[bystander["id"]]["unsubscribed_from_emails"] is False
    assert result.overall == "suppressed"
    again = make().suppress(subject(email="lea@example.com"))
    assert again.records[0].outcome == "suppressed" and fake.count("PUT", "/contacts/") == 1


def test_restrict_needs_a_custom_attribute_then_sets_it(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com", gdpr_restricted=False)
    unset = make().restrict(subject(email="lea@example.com"))
    assert unset.overall == "not_supported" and "restrict_attribute" in unset.notes[0]
    assert fake.calls == []

    result = make(restrict_attribute="gdpr_restricted").restrict(subject(email="lea@example.com"))
    assert fake.contacts[contact["id"]]["custom_attributes"]["gdpr_restricted"] is True
    assert result.overall == "restricted"


def test_restricting_with_an_attribute_intercom_lacks_is_an_error_naming_it(fake, make):
    fake.add_contact("Lea Roth", email="lea@example.com")
    with pytest.raises(ConnectorError, match="Custom attribute 'on_hold' does not exist"):
        make(restrict_attribute="on_hold").restrict(subject(email="lea@example.com"))


def test_erase_files_a_deletion_request_and_a_second_run_finds_nothing(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com")
    bystander = fake.add_contact("Max Kurz", email="max@example.com")

    result = make().erase(subject(email="lea@example.com"))

    assert fake.delete_requests == [{"id": 7001, "intercom_user_id": contact["id"]}]
    assert fake.pending_deletion == {contact["id"]}
    record = result.records[0]
    assert record.outcome == "erasure_scheduled"
    assert "7001" in record.detail and "90 days" in record.detail and "irreversibl" in record.detail
    assert bystander["id"] not in fake.pending_deletion

    second = make().erase(subject(email="lea@example.com"))
    assert second.overall == "not_found" and len(fake.delete_requests) == 1


def test_a_contact_gone_since_the_search_is_not_found(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com", role="lead")
    fake.pending_deletion.add(contact["id"])
    fake.search_lag.add(contact["id"])  # the search index still returns it
    connector = make()
    assert [r.outcome for r in connector.erase(subject(email="lea@example.com")).records] == ["not_found"]
    assert [r.outcome for r in connector.suppress(subject(email="lea@example.com")).records] == ["not_found"]
    assert fake.delete_requests == []


def test_a_short_429_is_waited_out_until_the_reset_time(fake, make):
    fake.add_contact("Lea Roth", email="lea@example.com")
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.2
    started = time.time()
    result = make().access(subject(email="lea@example.com"))
    assert result.overall == "found"
    assert time.time() - started >= 0.2
    assert fake.count("POST", "/contacts/search") == 2


def test_a_long_429_reschedules_the_task_for_the_reset_time(fake, make):
    fake.faults.rate_limited, fake.faults.retry_after = 1, 300
    with pytest.raises(RetryLater) as caught:
        make().access(subject(email="lea@example.com"))
    assert 295 <= caught.value.delay <= 301


def test_server_errors_are_retried_then_the_task_is_rescheduled(fake, make):
    contact = fake.add_contact("Lea Roth", email="lea@example.com")
    fake.faults.server_errors = 2
    assert make().access(subject(email="lea@example.com")).records[0].id == contact["id"]
    fake.faults.server_errors, fake.faults.paths = 10, "user_delete_requests"
    with pytest.raises(RetryLater):
        make().erase(subject(email="lea@example.com"))
    assert fake.delete_requests == []


def test_a_wrong_token_is_an_error_that_does_not_show_it(fake, make, monkeypatch):
    monkeypatch.setenv("IC_TOKEN", "wrong-token-000")
    with pytest.raises(ConnectorError) as caught:
        make().access(subject(email="lea@example.com"))
    message = str(caught.value)
    assert "401" in message and "Access Token Invalid" in message
    assert "wrong-token-000" not in message and TOKEN not in message


def test_settings_are_checked():
    register = {"base_url": "https://api.intercom.io", "access_token": {"env": "APLANET_INTERCOM_TOKEN"}}
    loaded = Intercom.check_settings(register)
    assert loaded["intercom_version"] == "2.11" and loaded["restrict_attribute"] is None
    assert Intercom.check_settings({**register, "base_url": "https://api.eu.intercom.io"})
    with pytest.raises(ValidationError) as missing:
        Intercom.check_settings({"access_token": {"env": "X"}})
    assert "base_url" in missing.value.messages
    with pytest.raises(ValidationError) as version:
        Intercom.check_settings({**register, "intercom_version": "latest"})
    assert "intercom_version" in version.value.messages


def test_a_literal_token_in_the_settings_is_refused():
    with pytest.raises(ValidationError) as literal:
        Intercom.check_settings({"base_url": "https://api.intercom.io", "access_token": TOKEN})
    assert "access_token" in literal.value.messages
    assert TOKEN not in str(literal.value.messages)
