"""The HubSpot connector against a local fake of HubSpot's API: what it finds, exports,
changes and deletes there, read back from the fake's own records."""
from __future__ import annotations

import time
import uuid

import pytest
from marshmallow import ValidationError

from dsar.connectors import connector_class
from dsar.connectors.base import ConnectorError, RetryLater, Subject
from dsar.connectors.hubspot import HubSpotConnector, split_name
from tests.fakes.base import route
from tests.fakes.hubspot import FakeHubSpot

TOKEN = "pat-eu1-secret-0123456789"


@pytest.fixture(scope="module")
def server():
    # One server for the module (stopping one takes half a second); each test resets it.
    with FakeHubSpot(token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def make(fake, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TEST_TOKEN", TOKEN)

    def build(**settings):
        # A fresh system id per connector, so the rate limit of one test never slows another.
        values = {"base_url": fake.url, "access_token": {"env": "HUBSPOT_TEST_TOKEN"}, "rate_limit": 200,
                  **settings}
        return HubSpotConnector(f"hubspot-{uuid.uuid4().hex[:8]}", HubSpotConnector.check_settings(values))
    return build


def subject(email="jane@example.com", **more) -> Subject:
    corrections = more.pop("corrections", {})
    return Subject("DSAR-1", {"email": [email], **more}, corrections)


def test_registered_and_register_settings_load():
    assert connector_class("hubspot") is HubSpotConnector
    settings = HubSpotConnector.check_settings({"base_url": "https://api.hubapi.com",
                                                "access_token": {"env": "SEPTEO_HUBSPOT_TOKEN"},
                                                "restrict_property": "dsar_restricted"})
    assert settings["access_token"] == {"env": "SEPTEO_HUBSPOT_TOKEN"}


@pytest.mark.parametrize("settings, field", [
    ({"access_token": {"env": "T"}}, "base_url"),
    ({"base_url": "https://api.hubapi.com", "access_token": "pat-literal-token"}, "access_token"),
    ({"base_url": "https://api.hubapi.com"}, "access_token"),
    ({"base_url": "https://api.hubapi.com", "access_token": {"env": "T"}, "restrict_property": "DSAR Flag"},
     "restrict_property"),
])
def test_settings_problems_are_named(settings, field):
    with pytest.raises(ValidationError) as caught:
        HubSpotConnector.check_settings(settings)
    assert field in caught.value.messages


def test_access_follows_search_pages_to_the_end_and_ignores_other_people(fake, make):
    mine = [fake.add_contact("Jane@Example.com", "Jane", f"Doe{i}") for i in range(5)]
    fake.add_contact("john@example.com", "John", "Roe")
    result = make().access(subject(name=["Jane Doe"]))
    assert sorted(r.id for r in result.records) == sorted(mine)
    assert {r.outcome for r in result.records} == {"found"}
    assert all(r.data is None for r in result.records)
    assert fake.count("POST", "/search$") == 3          # 5 contacts, 2 a page
    assert any("email only" in note and "name" in note for note in result.notes)


def test_two_emails_of_one_contact_are_reported_once(fake, make):
    both = fake.add_contact("jane@example.com", "Jane", "Doe")
    other = fake.add_contact("jane@work.example", "Jane", "Doe")
    fake.contacts[other]["properties"]["email"] = "jane@example.com"   # the same contact twice
    result = make().access(Subject("DSAR-1", {"email": ["jane@example.com", "JANE@example.com"]}))
    assert sorted(r.id for r in result.records) == sorted([both, other])


def test_export_returns_the_properties_and_dates(fake, make):
    contact_id = fake.add_contact("jane@example.com", "Jane", "Doe", phone="+33 6 12 34 56 78", company="ACME",
                                  dsar_crm_note="likes boats")
    result = make(properties=["dsar_crm_note"]).export(subject())
    [record] = result.records
    assert (record.id, record.outcome) == (contact_id, "exported")
    assert record.data["properties"]["phone"] == "+33 6 12 34 56 78"
    assert record.data["properties"]["company"] == "ACME"
    assert record.data["properties"]["dsar_crm_note"] == "likes boats"
    assert record.data["createdAt"] and record.data["updatedAt"]
    assert "data" not in record.summary()


def test_nothing_found_is_not_found(fake, make):
    fake.add_contact("john@example.com")
    result = make().export(subject())
    assert result.records == [] and result.overall == "not_found"


def test_rectify_maps_name_email_phone_and_names_what_it_cannot(fake, make):
    contact_id = fake.add_contact("jane@example.com", "Jane", "Doe")
    corrections = {"name": "Jane Marie Durand", "phone": "+33 6 00 00 00 00", "email": "jane.durand@example.com",
                   "city": "Lyon", "shoe size": "38"}
    result = make().rectify(subject(corrections=corrections))
    props = fake.contacts[contact_id]["properties"]
    assert (props["firstname"], props["lastname"]) == ("Jane Marie", "Durand")
    assert props["email"] == "jane.durand@example.com" and props["phone"] == "+33 6 00 00 00 00"
    assert props["city"] == "Lyon" and "shoe size" not in props and "shoe_size" not in props
    [record] = result.records
    assert record.outcome == "rectified"
    assert any("shoe size" in note for note in result.notes)


def test_rectify_free_text_is_not_supported_and_changes_nothing(fake, make):
    contact_id = fake.add_contact("jane@example.com", "Jane", "Doe")
    before = dict(fake.contacts[contact_id]["properties"])
    result = make().rectify(subject(corrections={"requested": "my surname is spelt Dœ"}))
    assert result.overall == "not_supported"
    assert any("own words" in note for note in result.notes)
    assert fake.contacts[contact_id]["properties"] == before
    assert fake.count("PATCH", "/contacts/") == 0


@pytest.mark.parametrize("full, parts", [("Jean Dupont", ("Jean", "Dupont")), ("Cher", ("Cher", "")),
                                         ("  Anne  Marie  Roy ", ("Anne Marie", "Roy"))])
def test_split_name_on_the_last_space(full, parts):
    assert split_name(full) == parts


def test_restrict_sets_the_register_property_once(fake, make):
    contact_id = fake.add_contact("jane@example.com", "Jane", "Doe")
    connector = make(restrict_property="dsar_restricted")
    first = connector.restrict(subject())
    assert fake.contacts[contact_id]["properties"]["dsar_restricted"] == "true"
    assert [r.outcome for r in first.records] == ["restricted"]
    second = connector.restrict(subject())
    assert [r.outcome for r in second.records] == ["restricted"]
    assert "already" in second.records[0].detail
    assert fake.count("PATCH", "/contacts/") == 1


def test_suppress_without_a_property_is_not_supported_and_calls_nothing(fake, make):
    fake.add_contact("jane@example.com")
    result = make(restrict_property="dsar_restricted").suppress(subject())
    assert result.overall == "not_supported"
    assert "suppress_property" in result.notes[0]
    assert fake.calls == []


def test_suppress_with_a_property(fake, make):
    contact_id = fake.add_contact("jane@example.com")
    result = make(suppress_property="dsar_no_marketing").suppress(subject())
    assert result.overall == "suppressed"
    assert fake.contacts[contact_id]["properties"]["dsar_no_marketing"] == "true"


def test_erase_gdpr_deletes_each_contact_by_id_then_finds_nothing(fake, make):
    ids = [fake.add_contact("jane@example.com", "Jane", str(i)) for i in range(3)]
    keep = fake.add_contact("john@example.com")
    connector = make()
    result = connector.erase(subject())
    assert sorted(r.id for r in result.records) == sorted(ids)
    assert {r.outcome for r in result.records} == {"erased"}
    assert sorted(fake.gdpr_deleted) == sorted(ids) and list(fake.contacts) == [keep]
    assert all("idProperty" not in (c.body or {}) for c in fake.calls if c.path.endswith("gdpr-delete"))
    again = connector.erase(subject())
    assert again.records == [] and again.overall == "not_found"
    assert fake.blocklist == []    # an unknown email was never sent to the GDPR delete


def test_erase_not_confirmed_is_only_scheduled(fake, make):
    fake.still_readable_after_delete = True
    fake.add_contact("jane@example.com")
    result = make().erase(subject())
    assert result.overall == "erasure_scheduled"


class VanishingHubSpot(FakeHubSpot):
    """Someone else deletes every contact right after our search has listed it."""

    @route("POST", r"/crm/v3/objects/contacts/search")
    def search(self, call):
        answer = super().search(call)
        self.contacts.clear()
        return answer


def test_contact_gone_between_search_and_delete_is_not_found(make):
    with VanishingHubSpot(token=TOKEN) as vanishing:
        contact_id = vanishing.add_contact("jane@example.com")
        result = make(base_url=vanishing.url).erase(subject())
    assert [(r.id, r.outcome) for r in result.records] == [(contact_id, "not_found")]
    assert vanishing.gdpr_deleted == []


def test_discover(fake, make):
    fake.add_contact("jane@example.com")
    connector = make()
    assert connector.discover({"email": ["JANE@example.com"]}) is True
    assert connector.discover({"email": ["nobody@example.com"], "name": ["Jane"]}) is False


def test_429_with_short_retry_after_waits_and_succeeds(fake, make):
    fake.add_contact("jane@example.com")
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.2
    started = time.monotonic()
    result = make().access(subject())
    assert result.overall == "found"
    assert time.monotonic() - started >= 0.2
    assert fake.count("POST", "/search$") == 2


def test_429_without_retry_after_reschedules_with_backoff(fake, make):
    fake.send_retry_after = False
    fake.faults.rate_limited = 1
    with pytest.raises(RetryLater) as caught:
        make().access(subject())
    assert caught.value.delay is None


def test_5xx_retried_then_retry_later(fake, make, monkeypatch):
    monkeypatch.setattr("dsar.connectors.http._backoff", lambda attempt: 0.01)   # keep the test fast
    fake.add_contact("jane@example.com")
    fake.faults.server_errors = 1
    assert make().access(subject()).overall == "found"
    fake.faults.server_errors = 5
    with pytest.raises(RetryLater):
        make().access(subject())


def test_bad_token_is_a_connector_error_without_the_token(fake, make, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TEST_TOKEN", "pat-eu1-wrong-token-987")
    with pytest.raises(ConnectorError) as caught:
        make().access(subject())
    message = str(caught.value)
    assert "401" in message and "INVALID_AUTHENTICATION" in message
    assert "wrong-token" not in message and TOKEN not in message


def test_default_rate_is_hubspots_search_limit(fake, make):
    for i in range(7):
        fake.add_contact("jane@example.com", "Jane", str(i))
    connector = make(rate_limit=None)   # the register gives none: 4 calls a second
    started = time.monotonic()
    connector.access(subject())         # 4 pages
    assert time.monotonic() - started >= 0.5
    assert fake.count("POST", "/search$") == 4
