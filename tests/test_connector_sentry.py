"""The sentry connector against a local fake of Sentry's API: which issues it finds, which
events it copies, and what it deletes (or refuses to), read back from the fake's records."""
from __future__ import annotations

import time

import pytest
from marshmallow import ValidationError

from dsar.connectors import http as vendor_http
from dsar.connectors.base import ConnectorError, RetryLater, Subject
from dsar.connectors.sentry import SentryConnector
from tests.fakes.base import route
from tests.fakes.sentry import FakeSentry

TOKEN = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_secret"
ANN = {"id": "cust-42", "email": "ann@example.com", "ip_address": "203.0.113.7"}
BOB = {"id": "cust-7", "email": "bob@example.com", "ip_address": "198.51.100.2"}


@pytest.fixture(scope="module")
def server():
    with FakeSentry(token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()  # one server for the module (starting and stopping one costs half a second)
    return server


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv("SENTRY_TOKEN", TOKEN)
    monkeypatch.setattr(vendor_http, "_backoff", lambda attempt: 0.01)


def connector(fake, **overrides) -> SentryConnector:
    settings = {"base_url": fake.url, "organization": fake.organization, "project": fake.project,
                "auth_token": {"env": "SENTRY_TOKEN"}, **overrides}
    return SentryConnector("sentry", SentryConnector.check_settings(settings))


def ann(**kinds) -> Subject:
    return Subject("DSAR-1", kinds or {"email": ["Ann@Example.com"], "customer_id": ["cust-42"], "name": ["Ann Lee"]})


def ids_of(result) -> list[str]:
    return sorted(r.id for r in result.records)


def test_access_finds_her_issues_on_every_page_and_by_each_identifier(fake):
    by_email = [fake.add_issue(f"Error {i}", {"email": "ann@example.com"}) for i in range(5)]
    by_id = fake.add_issue("KeyError", {"id": "cust-42"})
    both = fake.add_issue("TypeError", ANN)                        # found twice, reported once
    resolved = fake.add_issue("Old", {"email": "ann@example.com"}, status="resolved")
    fake.add_issue("Not hers", BOB, None)

    result = connector(fake).access(ann())

    assert ids_of(result) == sorted(by_email + [by_id, both, resolved])
    assert {r.outcome for r in result.records} == {"found"} and all(r.data is None for r in result.records)
    searches = [c for c in fake.calls if c.path.endswith("/issues/")]
    assert {c.arg("query") for c in searches} == {'user.email:"Ann@Example.com"', 'user.email:"ann@example.com"',
                                                  'user.id:"cust-42"'}
    assert all(c.arg("statsPeriod") == "" for c in searches)
    # seven issues carry her email: four pages of two, the cursor followed to the end
    email_cursors = [c.arg("cursor") for c in searches if c.arg("query") == 'user.email:"ann@example.com"']
    assert email_cursors == [None, "0:2:0", "0:4:0", "0:6:0"]
    assert any("Names" in n for n in result.notes)


def test_access_by_ip_address(fake):
    issue = fake.add_issue("Timeout", {"ip_address": "203.0.113.7"})
    fake.add_issue("Other", {"ip_address": "203.0.113.70"})
    assert ids_of(connector(fake).access(ann(ip_address=["203.0.113.7"]))) == [issue]


def test_export_copies_only_her_events_with_user_block_and_tags(fake):
    issue = fake.add_issue("Shared crash", BOB, ANN, None, BOB, {"email": "ANN@example.com"}, BOB)
    result = connector(fake).export(ann())

    [record] = result.records
    assert (record.id, record.outcome) == (issue, "exported")
    events = record.data["events"]
    assert [e["user"] for e in events] == [ANN, {"email": "ANN@example.com"}]
    assert {"key": "user", "value": "id:cust-42"} in events[0]["tags"]
    assert record.data["issue"]["title"] == "Shared crash"
    # six events, pages of two: all three pages were read, with the full event bodies
    event_calls = [c for c in fake.calls if c.path == f"/issues/{issue}/events/"]
    assert [c.arg("cursor") for c in event_calls] == [None, "0:2:0", "0:4:0"]
    assert all(c.arg("full") == "true" for c in event_calls)


def test_an_event_found_by_the_user_tag_alone_is_exported(fake):
    issue = fake.add_issue("Tagged", None)
    fake.events[issue][0]["tags"].append({"key": "user", "value": "email:ann@example.com"})
    fake.add_event(issue, {"email": "ann@example.com"})  # so the search finds the issue
    result = connector(fake).export(ann(email=["ann@example.com"]))
    assert len(result.records[0].data["events"]) == 2


class VanishingSentry(FakeSentry):
    """Answers 404 for the events of issues listed in `vanished` (deleted after the search)."""

    vanished: tuple = ()

    @route("GET", r"/issues/(\d+)/events/")
    def issue_events(self, call, issue_id):
        if issue_id in self.vanished:
            return self.not_found()
        return FakeSentry.issue_events(self, call, issue_id)


def test_an_issue_deleted_before_the_copy_is_not_found():
    with VanishingSentry(token=TOKEN) as fake:
        gone = fake.add_issue("Gone", ANN)
        kept = fake.add_issue("Kept", ANN)
        fake.vanished = (gone,)
        result = connector(fake).export(ann())
    assert {r.id: r.outcome for r in result.records} == {gone: "not_found", kept: "exported"}


def test_erase_is_refused_with_advice_unless_the_register_allows_deleting_issues(fake):
    issue = fake.add_issue("Crash", ANN)
    result = connector(fake).erase(ann())

    assert result.overall == "not_supported"
    assert [(r.id, r.outcome) for r in result.records] == [(issue, "not_supported")]
    assert any("retention window" in n and "data scrubbing" in n for n in result.notes)
    assert fake.count("DELETE", "") == 0 and issue in fake.issues


def test_erase_deletes_her_issues_when_allowed_and_warns_about_others_events(fake):
    hers = fake.add_issue("Crash", ANN, ANN)
    shared = fake.add_issue("Shared", BOB, {"email": "ann@example.com"})
    bobs = fake.add_issue("Bob's", BOB)
    result = connector(fake, erase="delete_issues").erase(ann())

    assert sorted(fake.issues) == [bobs]
    assert {r.id: r.outcome for r in result.records} == {hers: "erased", shared: "erased"}
    assert all("other people's events" in r.detail for r in result.records)
    [delete] = [c for c in fake.calls if c.method == "DELETE"]
    assert sorted(delete.query["id"]) == sorted([hers, shared])

    again = connector(fake, erase="delete_issues").erase(ann())
    assert again.overall == "not_found" and again.records == []
    assert fake.count("DELETE", "") == 1


def test_erase_with_nothing_found_never_sends_a_bare_delete(fake):
    bobs = fake.add_issue("Bob's", BOB)
    result = connector(fake, erase="delete_issues").erase(ann())
    assert result.overall == "not_found"
    assert fake.count("DELETE", "") == 0 and bobs in fake.issues


class IgnoringSentry(FakeSentry):
    """Answers 204 to a bulk delete without deleting, as Sentry does for out-of-scope ids."""

    @route("DELETE", r"/projects/([^/]+)/([^/]+)/issues/")
    def bulk_delete(self, call, org, project):
        return 204, b""


def test_an_issue_sentry_did_not_delete_is_not_reported_erased():
    with IgnoringSentry(token=TOKEN) as fake:
        issue = fake.add_issue("Crash", ANN)
        with pytest.raises(ConnectorError, match=issue):
            connector(fake, erase="delete_issues").erase(ann())


def test_restrict_rectify_and_suppress_are_not_supported_with_reasons(fake):
    c = connector(fake)
    assert "restricted" in c.restrict(ann()).notes[0]
    assert "cannot be edited" in c.rectify(ann()).notes[0]
    assert c.suppress(ann()).overall == "not_supported"
    assert fake.calls == []


def test_discover(fake):
    c = connector(fake)
    fake.add_issue("Bob's", BOB)
    assert c.discover({"email": ["ann@example.com"]}) is False
    fake.add_issue("Hers", {"id": "cust-42"})
    assert c.discover({"customer_id": ["cust-42"]}) is True


def test_a_bad_token_is_refused_without_showing_it(fake, monkeypatch):
    monkeypatch.setenv("SENTRY_TOKEN", "sntrys_wrong_secret")
    with pytest.raises(ConnectorError) as error:
        connector(fake).access(ann())
    assert "401" in str(error.value) and "Invalid token" in str(error.value)
    assert "sntrys_wrong_secret" not in str(error.value)


def test_an_unknown_project_is_a_visible_error(fake):
    with pytest.raises(ConnectorError, match="404 The requested resource does not exist"):
        connector(fake, project="no-such-project").access(ann())


def test_429_waits_for_retry_after_then_succeeds(fake):
    fake.add_issue("Crash", ANN)
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.2
    started = time.monotonic()
    assert len(connector(fake).access(ann()).records) == 1
    assert time.monotonic() - started >= 0.2


def test_429_with_only_sentry_reset_header_waits_too(fake):
    fake.add_issue("Crash", ANN)
    fake.send_retry_after = False
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.3
    started = time.monotonic()
    assert len(connector(fake).access(ann()).records) == 1
    assert time.monotonic() - started >= 0.2


def test_server_errors_are_retried_then_left_for_later(fake):
    fake.add_issue("Crash", ANN)
    fake.faults.server_errors = 2
    assert len(connector(fake).access(ann()).records) == 1

    fake.faults.server_errors = 10
    with pytest.raises(RetryLater):
        connector(fake).access(ann())


def test_settings_are_checked():
    good = {"base_url": "https://sentry.io/api/0", "organization": "septeo-example", "project": "remote-control",
            "auth_token": {"env": "SENTRY_TOKEN"}}
    assert SentryConnector.check_settings(good)["erase"] is None
    assert SentryConnector.check_settings({**good, "erase": "delete_issues"})["erase"] == "delete_issues"
    with pytest.raises(ValidationError) as missing:
        SentryConnector.check_settings({k: v for k, v in good.items() if k != "base_url"})
    assert "base_url" in missing.value.messages
    with pytest.raises(ValidationError) as erase:
        SentryConnector.check_settings({**good, "erase": "delete_everything"})
    assert "erase" in erase.value.messages
    with pytest.raises(ValidationError) as slug:
        SentryConnector.check_settings({**good, "project": "../admin"})
    assert "project" in slug.value.messages


def test_a_literal_secret_is_refused():
    with pytest.raises(ValidationError) as literal:
        SentryConnector.check_settings({"base_url": "https://sentry.io/api/0", "organization": "o",
                                        "project": "p", "auth_token": TOKEN})
    assert "auth_token" in literal.value.messages
