"""The Pipedrive connector against a local fake of Pipedrive's API: what it finds,
exports, changes and deletes there, and how it behaves when Pipedrive says no."""
from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from dsar.connectors import connector_class, http
from dsar.connectors.base import ConnectorError, NotConfigured, RetryLater, Subject, ValidationError
from dsar.connectors.pipedrive import Pipedrive
from fakes.pipedrive import FakePipedrive

TOKEN = "pd-secret-token-123"
CUSTOM = "a" * 40  # a Pipedrive custom field key


@pytest.fixture(scope="module")
def server():
    with FakePipedrive(token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()
    return server


@pytest.fixture
def make(fake, monkeypatch):
    monkeypatch.setenv("PD_TOKEN", TOKEN)
    monkeypatch.setattr(http, "_backoff", lambda attempt: 0.01)  # keep 5xx retries fast

    def build(**extra):
        settings = {"base_url": f"{fake.url}/", "api_token": {"env": "PD_TOKEN"}, **extra}
        return Pipedrive("pipedrive", Pipedrive.check_settings(settings))
    return build


def subject(**identities) -> Subject:
    corrections = identities.pop("corrections", {})
    return Subject("DSAR-1", {k: v if isinstance(v, list) else [v] for k, v in identities.items()}, corrections)


def by_kind(result, kind):
    return sorted((r for r in result.records if r.kind == kind), key=lambda r: int(r.id))


def test_registered_under_its_type():
    assert connector_class("pipedrive") is Pipedrive


def test_export_follows_every_page_and_copies_linked_entities(fake, make):
    # Three persons share the address (CRM duplicates): the search needs two pages.
    people = [fake.add_person(f"Ana Ruiz {i}", emails=["ana@example.com"], phones=[f"+34 600 00 00 0{i}"])
              for i in range(3)]
    other = fake.add_person("Bo Li", emails=["bo@example.com"])
    first = people[0]["id"]
    deals = [fake.add_deal(first, f"Deal {i}") for i in range(3)]
    gone = fake.add_deal(first, "Deleted deal")
    gone["is_deleted"] = True
    fake.add_deal(other["id"], "Bo's deal")
    activities = [fake.add_activity(first, f"Call {i}") for i in range(3)]
    mail = fake.add_mail_message(first, "Quote")
    document = fake.add_file(people[1]["id"], "contract.pdf")

    result = make().export(subject(email="ANA@example.com"))

    persons = by_kind(result, "person")
    assert [r.id for r in persons] == [str(p["id"]) for p in people]
    assert all(r.outcome == "exported" for r in result.records)
    assert persons[0].data["emails"][0]["value"] == "ana@example.com"
    assert persons[0].data["name"] == "Ana Ruiz 0"
    assert [r.data["title"] for r in by_kind(result, "deal")] == [d["title"] for d in deals]
    assert [r.data["subject"] for r in by_kind(result, "activity")] == [a["subject"] for a in activities]
    assert [r.id for r in by_kind(result, "mail message")] == [str(mail["id"])]
    assert [r.id for r in by_kind(result, "file")] == [str(document["id"])]
    assert fake.count("GET", r"^/v2/persons/search$") == 2                   # cursor followed
    assert fake.count("GET", rf"^/v1/persons/{first}/deals$") == 2          # start/limit followed
    assert fake.calls[0].headers["x-api-token"] == TOKEN
    assert result.overall == "exported"


def test_access_lists_the_same_records_without_content(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    fake.add_deal(person["id"], "Deal")
    result = make().access(subject(email="ana@example.com"))
    assert [(r.kind, r.id, r.outcome, r.data) for r in result.records] == [
        ("person", str(person["id"]), "found", None), ("deal", str(next(iter(fake.deals))), "found", None)]


def test_a_person_found_by_email_and_phone_counts_once(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"], phones=["+33 6 12 34 56 78"])
    phone_only = fake.add_person("Ana R.", phones=["+33612345678"])
    connector = make()
    result = connector.access(subject(email="ana@example.com", phone="+33 6 12 34 56 78"))
    assert [r.id for r in by_kind(result, "person")] == [str(person["id"]), str(phone_only["id"])]
    assert connector.discover({"phone": ["+33612345678"]}) is True
    assert connector.discover({"email": ["nobody@example.com"]}) is False


def test_a_name_alone_is_not_searched(fake, make):
    fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    result = make().access(subject(name="Ana Ruiz"))
    assert result.overall == "not_found" and "name alone" in result.notes[0]
    assert fake.count("GET", "search") == 0


def test_rectify_replaces_the_old_email_and_phone_and_names_what_it_could_not_map(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["old@example.com", "ana.work@example.com"],
                             phones=["+33 6 12 34 56 78"])
    person["emails"][0]["label"] = "home"
    s = subject(email="old@example.com", corrections={
        "name": "Ana Ruiz Gómez", "email": "new@example.com", "phone": "+33 7 00 00 00 01",
        CUSTOM: "vip", "favourite_colour": "blue"})

    result = make().rectify(s)

    stored = fake.persons[person["id"]]
    assert stored["name"] == "Ana Ruiz Gómez"
    assert stored["emails"] == [{"value": "new@example.com", "primary": True, "label": "home"},
                                {"value": "ana.work@example.com", "primary": False, "label": "work"}]
    assert stored["phones"] == [{"value": "+33 7 00 00 00 01", "primary": True, "label": "mobile"}]
    assert stored["custom_fields"] == {CUSTOM: "vip"}
    assert result.records[0].outcome == "rectified"
    assert any("favourite_colour" in note for note in result.notes)

    # Running it again (a retried task) finds the person by nothing it knows any more: no harm done.
    again = make().rectify(s)
    assert again.overall == "not_found" and fake.persons[person["id"]]["name"] == "Ana Ruiz Gómez"


def test_rectify_found_by_phone_again_changes_nothing_more(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"], phones=["+33 6 12 34 56 78"])
    s = subject(phone="+33 6 12 34 56 78", corrections={"name": "Ana María Ruiz"})
    assert make().rectify(s).records[0].outcome == "rectified"
    patches = fake.count("PATCH", "/v2/persons/")
    second = make().rectify(s)
    assert second.records[0].detail == "already held the corrected values"
    assert fake.count("PATCH", "/v2/persons/") == patches
    assert fake.persons[person["id"]]["name"] == "Ana María Ruiz"


def test_a_free_text_correction_is_not_supported(fake, make):
    fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    result = make().rectify(subject(email="ana@example.com", corrections={"requested": "my address is wrong"}))
    assert result.overall == "not_supported" and "requested" in result.notes[0]
    assert fake.count("PATCH", ".") == 0


def test_restrict_needs_a_custom_field_then_sets_it(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    unset = make().restrict(subject(email="ana@example.com"))
    assert unset.overall == "not_supported" and "restrict_field" in unset.notes[0]
    assert fake.calls == []

    result = make(restrict_field=CUSTOM, restrict_value="GDPR hold").restrict(subject(email="ana@example.com"))
    assert fake.persons[person["id"]]["custom_fields"] == {CUSTOM: "GDPR hold"}
    assert [r.outcome for r in result.records] == ["restricted"]


def test_erase_schedules_the_person_and_the_linked_entities_the_register_names(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    bystander = fake.add_person("Bo Li", emails=["bo@example.com"])
    deals = [fake.add_deal(person["id"], f"Deal {i}") for i in range(3)]
    their_deal = fake.add_deal(bystander["id"], "Bo's deal")
    activity = fake.add_activity(person["id"], "Call")
    document = fake.add_file(person["id"], "id-card.pdf")
    connector = make(erase_related=["deals", "files"])

    result = connector.erase(subject(email="ana@example.com"))

    assert fake.persons[person["id"]]["is_deleted"] is True
    assert all(fake.deals[d["id"]]["is_deleted"] for d in deals)
    assert fake.files[document["id"]]["active_flag"] is False
    assert fake.activities[activity["id"]]["is_deleted"] is False          # not in erase_related
    assert fake.deals[their_deal["id"]]["is_deleted"] is False
    assert fake.persons[bystander["id"]]["is_deleted"] is False
    purge = (date.today() + timedelta(days=30)).isoformat()
    person_record = by_kind(result, "person")[0]
    assert person_record.outcome == "erasure_scheduled" and purge in person_record.detail
    assert len(by_kind(result, "deal")) == 3 and len(by_kind(result, "file")) == 1
    assert any("activities" in note for note in result.notes)
    assert result.overall == "erasure_scheduled"

    second = connector.erase(subject(email="ana@example.com"))
    assert second.records == [] and second.overall == "not_found"


def test_a_person_deleted_after_the_search_is_reported_not_found(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    person["is_deleted"] = True
    fake.search_lag.add(person["id"])  # the search index still returns it
    connector = make()
    assert [r.outcome for r in connector.export(subject(email="ana@example.com")).records] == ["not_found"]
    assert [r.outcome for r in connector.erase(subject(email="ana@example.com")).records] == ["not_found"]


def test_a_short_429_is_waited_out(fake, make):
    fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.3
    started = time.monotonic()
    result = make().access(subject(email="ana@example.com"))
    assert time.monotonic() - started >= 0.3
    assert result.overall == "found"
    assert fake.count("GET", "search") == 2


def test_a_long_429_reschedules_the_task_for_the_reset_time(fake, make):
    fake.faults.rate_limited, fake.faults.retry_after = 1, 120
    with pytest.raises(RetryLater) as caught:
        make().access(subject(email="ana@example.com"))
    assert caught.value.delay == 120


def test_server_errors_are_retried_then_the_task_is_rescheduled(fake, make):
    person = fake.add_person("Ana Ruiz", emails=["ana@example.com"])
    fake.faults.server_errors = 1
    assert make().access(subject(email="ana@example.com")).records[0].id == str(person["id"])
    fake.faults.server_errors = 10
    with pytest.raises(RetryLater):
        make().erase(subject(email="ana@example.com"))
    assert fake.persons[person["id"]]["is_deleted"] is False


def test_a_wrong_token_is_an_error_that_does_not_show_it(fake, make, monkeypatch):
    monkeypatch.setenv("PD_TOKEN", "wrong-token-456")
    with pytest.raises(ConnectorError) as caught:
        make().access(subject(email="ana@example.com"))
    message = str(caught.value)
    assert "401" in message and "unauthorized access" in message
    assert "wrong-token-456" not in message and TOKEN not in message


def test_a_missing_environment_variable_is_not_configured(make, monkeypatch):
    monkeypatch.delenv("PD_TOKEN")
    with pytest.raises(NotConfigured, match="PD_TOKEN"):
        make().access(subject(email="ana@example.com"))


def test_settings_are_checked():
    register = {"base_url": "https://septeo-example.pipedrive.com/api",
                "api_token": {"env": "SEPTEO_PIPEDRIVE_TOKEN"}}
    loaded = Pipedrive.check_settings(register)
    assert loaded["erase_related"] == [] and loaded["restrict_field"] is None
    with pytest.raises(ValidationError) as missing:
        Pipedrive.check_settings({"api_token": {"env": "X"}})
    assert "base_url" in missing.value.messages
    with pytest.raises(ValidationError) as related:
        Pipedrive.check_settings({**register, "erase_related": ["deals", "mailMessages"]})
    assert "erase_related" in related.value.messages


def test_a_literal_token_in_the_settings_is_refused():
    with pytest.raises(ValidationError) as literal:
        Pipedrive.check_settings({"base_url": "https://x.pipedrive.com/api", "api_token": "pd-secret-token-123"})
    assert "api_token" in literal.value.messages
    assert "pd-secret-token-123" not in str(literal.value.messages)
