"""The Zendesk connector against a local fake of Zendesk's API: what it finds, exports,
changes and deletes there, read back from the fake's own records."""
from __future__ import annotations

import time
import uuid

import pytest
from marshmallow import ValidationError

from dsar.connectors import connector_class
from dsar.connectors.base import ConnectorError, RetryLater, Subject
from dsar.connectors.zendesk import ZendeskConnector
from tests.fakes.zendesk import FakeZendesk

TOKEN = "zd-api-token-0123456789abcdef"
AGENT = "dsar-bot@septeo.example"


@pytest.fixture(scope="module")
def server():
    # One server for the module (stopping one takes half a second); each test resets it.
    with FakeZendesk(token=TOKEN, agent_email=AGENT) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def make(fake, monkeypatch):
    monkeypatch.setenv("ZENDESK_TEST_TOKEN", TOKEN)

    def build(**settings):
        values = {"base_url": f"{fake.url}/api/v2", "email": AGENT, "api_token": {"env": "ZENDESK_TEST_TOKEN"},
                  **settings}
        return ZendeskConnector(f"zendesk-{uuid.uuid4().hex[:8]}", ZendeskConnector.check_settings(values))
    return build


def subject(email="jane@example.com", corrections=None, **more) -> Subject:
    return Subject("DSAR-1", {"email": [email] if email else [], **more}, corrections or {})


def test_registered_and_the_registers_subdomain_gives_the_url():
    assert connector_class("zendesk") is ZendeskConnector
    settings = ZendeskConnector.check_settings({"subdomain": "septeo-example", "email": AGENT,
                                                "api_token": {"env": "SEPTEO_ZENDESK_TOKEN"}})
    assert settings["base_url"] == "https://septeo-example.zendesk.com/api/v2"
    assert settings["restrict_tag"] == "dsar_restricted"


@pytest.mark.parametrize("settings, field", [
    ({"email": AGENT, "api_token": {"env": "T"}}, "base_url"),
    ({"subdomain": "acme", "email": AGENT, "api_token": "literal-token-value"}, "api_token"),
    ({"subdomain": "acme", "api_token": {"env": "T"}}, "email"),
    ({"subdomain": "acme.zendesk.com/x", "email": AGENT, "api_token": {"env": "T"}}, "subdomain"),
    ({"subdomain": "acme", "email": AGENT, "api_token": {"env": "T"}, "restrict_tag": "do not use"}, "restrict_tag"),
])
def test_settings_problems_are_named(settings, field):
    with pytest.raises(ValidationError) as caught:
        ZendeskConnector.check_settings(settings)
    assert field in caught.value.messages


def test_access_finds_by_email_and_phone_across_pages_and_skips_near_matches(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com")
    by_phone = fake.add_user("J. Doe", "jd@other.example", phone="+33 6 12 34 56 78")
    fake.add_user("Not Jane", "jane@example.com.au")                 # the search returns it too
    tickets = [fake.add_ticket(jane, f"Help {i}") for i in range(3)]
    fake.add_ticket(fake.add_user("John", "john@example.com"), "Other person's ticket")
    result = make().access(subject(phone=["+33612345678"], name=["Jane Doe"]))
    found = {(r.kind, r.id) for r in result.records}
    assert found == {("user", str(jane)), ("user", str(by_phone))} | {("ticket", str(t)) for t in tickets}
    assert {r.outcome for r in result.records} == {"found"}
    assert fake.count("GET", r"/users/\d+/tickets/requested") == 3   # jane: 2 pages; the other: 1
    assert any("left alone" in n for n in result.notes)
    assert any("name" in n for n in result.notes)


def test_search_pages_are_followed_to_the_end(fake, make):
    ids = [fake.add_user(f"Jane {i}", f"jane{i}@example.com", more_emails=["shared@example.com"]) for i in range(5)]
    result = make().access(subject("shared@example.com"))
    assert sorted(int(r.id) for r in result.records) == ids
    assert fake.count("GET", r"/users/search\.json") == 3


def test_export_has_the_user_identities_tickets_and_comments(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com", more_emails=["jd@work.example"], phone="+33 1")
    ticket = fake.add_ticket(jane, "Printer", comments=["It jams", "Still jams", "Thanks"])
    result = make().export(subject())
    user = next(r for r in result.records if r.kind == "user")
    assert user.outcome == "exported" and user.data["user"]["name"] == "Jane Doe"
    assert {i["value"] for i in user.data["identities"]} == {"jane@example.com", "jd@work.example", "+33 1"}
    exported = next(r for r in result.records if r.kind == "ticket")
    assert exported.id == str(ticket) and exported.data["ticket"]["subject"] == "Printer"
    assert [c["body"] for c in exported.data["comments"]] == ["It jams", "Still jams", "Thanks"]


def test_nothing_found(fake, make):
    fake.add_user("John", "john@example.com")
    result = make().export(subject())
    assert result.records == [] and result.overall == "not_found"


def test_rectify_sets_name_phone_field_and_replaces_the_email(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com", user_fields={"address": "1 old street"})
    corrections = {"name": "Jane Durand", "phone": "+33 6 00", "email": "jane.durand@example.com",
                   "address": "12 rue des Lilas", "shoe size": "38"}
    result = make().rectify(subject(corrections=corrections))
    user = fake.users[jane]
    assert (user["name"], user["phone"]) == ("Jane Durand", "+33 6 00")
    assert user["user_fields"]["address"] == "12 rue des Lilas"
    assert user["email"] == "jane.durand@example.com"
    assert [i["value"] for i in fake.identities_of(jane)] == ["jane.durand@example.com"]  # replaced, not added
    assert [r.outcome for r in result.records] == ["rectified"]
    assert any("shoe size" in n for n in result.notes)


def test_rectify_free_text_is_not_supported_and_changes_nothing(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com")
    result = make().rectify(subject(corrections={"requested": "my name is misspelt"}))
    assert result.overall == "not_supported"
    assert any("own words" in n for n in result.notes)
    assert fake.users[jane]["name"] == "Jane Doe" and fake.count("PUT", ".") == 0


def test_restrict_adds_the_tag_keeping_the_others_once(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com", tags=["vip"])
    connector = make(restrict_tag="gdpr_hold")
    assert connector.restrict(subject()).overall == "restricted"
    assert fake.users[jane]["tags"] == ["vip", "gdpr_hold"]
    again = connector.restrict(subject())
    assert "already" in again.records[0].detail and fake.count("PUT", r"/users/\d+\.json") == 1


def test_erase_purges_tickets_and_user_then_finds_nothing(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com")
    tickets = [fake.add_ticket(jane, f"Help {i}") for i in range(3)]
    other = fake.add_ticket(fake.add_user("John", "john@example.com"), "John's")
    connector = make()
    result = connector.erase(subject())
    assert {(r.kind, r.id, r.outcome) for r in result.records} == \
        {("user", str(jane), "erased")} | {("ticket", str(t), "erased") for t in tickets}
    assert sorted(fake.purged_tickets) == tickets and fake.purged_users == [jane]
    assert list(fake.tickets) == [other] and fake.deleted_tickets == {} and fake.deleted_users == {}
    assert fake.identities_of(jane) == []
    again = connector.erase(subject())
    assert again.records == [] and again.overall == "not_found"


def test_erase_sends_at_most_100_ids_a_call(fake, make):
    fake.page_size = 100
    jane = fake.add_user("Jane Doe", "jane@example.com")
    for i in range(101):
        fake.add_ticket(jane, f"#{i}", comments=())
    result = make().erase(subject())
    assert len(fake.purged_tickets) == 101 and fake.tickets == {}
    assert fake.count("DELETE", r"/tickets/destroy_many") == 2
    assert fake.count("DELETE", r"/deleted_tickets/destroy_many") == 2
    assert sum(r.outcome == "erased" for r in result.records) == 102


def test_erase_a_job_not_done_in_time_is_only_scheduled_and_the_user_still_goes(fake, make):
    fake.job_never_runs = True
    jane = fake.add_user("Jane Doe", "jane@example.com")
    ticket = fake.add_ticket(jane, "Help")
    result = make(job_wait=0.3).erase(subject())
    outcomes = {(r.kind, r.id): r.outcome for r in result.records}
    assert outcomes[("ticket", str(ticket))] == "erasure_scheduled"
    assert outcomes[("user", str(jane))] == "erased"
    assert ticket in fake.tickets          # the fake's job never ran: nothing claimed as erased


def test_erase_a_ticket_zendesk_would_not_delete_stops_before_the_user(fake, make):
    jane = fake.add_user("Jane Doe", "jane@example.com")
    deletable, stuck = fake.add_ticket(jane, "Help"), fake.add_ticket(jane, "Stuck")
    fake.undeletable.add(stuck)
    with pytest.raises(ConnectorError, match=str(stuck)):
        make().erase(subject())
    assert stuck in fake.tickets and jane in fake.users     # a retry still finds them
    assert fake.purged_tickets == [deletable]               # what could go went for good


def test_discover(fake, make):
    fake.add_user("Jane Doe", "jane@example.com", phone="+33 6 12")
    connector = make()
    assert connector.discover({"phone": ["+33 6 12"]}) is True
    assert connector.discover({"email": ["jane@example.co"]}) is False   # a near-match is not a match


def test_429_with_short_retry_after_waits_and_succeeds(fake, make):
    fake.add_user("Jane Doe", "jane@example.com")
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.2
    started = time.monotonic()
    assert make().access(subject()).overall == "found"
    assert time.monotonic() - started >= 0.2


def test_429_with_long_retry_after_reschedules(fake, make):
    fake.faults.rate_limited, fake.faults.retry_after = 1, 60
    with pytest.raises(RetryLater) as caught:
        make().access(subject())
    assert caught.value.delay == pytest.approx(60)


def test_5xx_retried_then_retry_later(fake, make, monkeypatch):
    monkeypatch.setattr("dsar.connectors.http._backoff", lambda attempt: 0.01)   # keep the test fast
    fake.add_user("Jane Doe", "jane@example.com")
    fake.faults.server_errors = 1
    assert make().access(subject()).overall == "found"
    fake.faults.server_errors = 5
    with pytest.raises(RetryLater):
        make().access(subject())


def test_bad_token_is_a_connector_error_without_the_token(fake, make, monkeypatch):
    monkeypatch.setenv("ZENDESK_TEST_TOKEN", "zd-wrong-token-value")
    with pytest.raises(ConnectorError) as caught:
        make().access(subject())
    message = str(caught.value)
    assert "401" in message and "authenticate" in message
    assert "wrong-token" not in message and TOKEN not in message


def test_a_next_page_to_another_host_is_refused(fake, make, monkeypatch):
    for i in range(3):
        fake.add_user(f"Jane {i}", f"jane{i}@example.com", more_emails=["shared@example.com"])
    original = FakeZendesk._page

    def elsewhere(self, call, items, key):
        status, body = original(self, call, items, key)
        if body.get("next_page"):
            body["next_page"] = body["next_page"].replace("127.0.0.1", "evil.example")
        return status, body
    monkeypatch.setattr(FakeZendesk, "_page", elsewhere)
    with pytest.raises(ConnectorError, match="leads away"):
        make().access(subject("shared@example.com"))
