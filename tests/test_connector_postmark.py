"""The postmark connector against a local fake of Postmark's API: what it finds, copies,
suppresses and erases, read back from the fake's own records."""
from __future__ import annotations

import time

import pytest
from marshmallow import ValidationError

from dsar.connectors import http as vendor_http
from dsar.connectors.base import ConnectorError, NotConfigured, RetryLater, Subject
from dsar.connectors.postmark import PostmarkConnector
from tests.fakes.base import route
from tests.fakes.postmark import FakePostmark

SERVER_TOKEN = "srv-7f3a9c1e-server-secret"
ACCOUNT_TOKEN = "acc-52b8d0f4-account-secret"


@pytest.fixture(scope="module")
def server():
    with FakePostmark(token=SERVER_TOKEN, account_token=ACCOUNT_TOKEN) as running:
        yield running


@pytest.fixture
def fake(server):
    server.reset()  # one server for the module (starting and stopping one costs half a second)
    return server


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv("PM_SERVER", SERVER_TOKEN)
    monkeypatch.setenv("PM_ACCOUNT", ACCOUNT_TOKEN)
    monkeypatch.setattr(PostmarkConnector, "removal_poll_interval", 0.01)
    monkeypatch.setattr(vendor_http, "_backoff", lambda attempt: 0.01)


def connector(fake, **overrides) -> PostmarkConnector:
    settings = {"base_url": fake.url, "server_token": {"env": "PM_SERVER"},
                "account_token": {"env": "PM_ACCOUNT"}, "requested_by": "dpo@aplanet.example"}
    settings.update(overrides)
    settings = {k: v for k, v in settings.items() if v is not None}
    return PostmarkConnector("postmark", PostmarkConnector.check_settings(settings))


def ann(*emails: str) -> Subject:
    return Subject("DSAR-1", {"email": list(emails or ["ann@example.com"]), "name": ["Ann Lee"]})


def seed(fake) -> dict:
    ids = {"out": [fake.send("ann@example.com", f"Invoice {i}") for i in range(5)]}
    fake.send("joann@example.com", "Not Ann's")           # Postmark's filter matches it; it is not hers
    ids["cc"] = fake.send("bob@example.com", "Team news", cc="Ann@Example.com")
    ids["in"] = [fake.receive("ann@example.com"), fake.receive("ann@example.com")]
    fake.receive("joann@example.com")
    ids["bounce"] = [fake.bounce("ann@example.com"), fake.bounce("ann@example.com"), fake.bounce("ann@example.com")]
    fake.bounce("joann@example.com")
    return ids


def ids_of(result, kind):
    return sorted(r.id for r in result.records if r.kind == kind)


def test_access_lists_every_page_of_her_mail_and_nothing_of_lookalike_addresses(fake):
    ids = seed(fake)
    result = connector(fake).access(ann())

    assert ids_of(result, "outbound message") == sorted(ids["out"] + [ids["cc"]])
    assert ids_of(result, "inbound message") == sorted(ids["in"])
    assert ids_of(result, "bounce") == sorted(str(b) for b in ids["bounce"])
    assert {r.outcome for r in result.records} == {"found"}
    assert all(r.data is None for r in result.records)
    assert any("retention window" in n for n in result.notes)
    # seven hits for "ann@example.com" (five, one in Cc, joann's): four pages of two, to the end
    offsets = [c.arg("offset") for c in fake.calls if c.path == "/messages/outbound"]
    assert offsets == ["0", "2", "4", "6"]
    assert all(c.arg("count") == "500" for c in fake.calls if c.path == "/messages/outbound")


def test_export_copies_each_message_with_its_content(fake):
    ids = seed(fake)
    fake.suppressions["outbound"].append({"EmailAddress": "ann@example.com", "SuppressionReason": "HardBounce",
                                          "Origin": "Recipient", "CreatedAt": "2026-11-01T00:00:00-05:00"})
    result = connector(fake).export(ann())

    by_id = {r.id: r for r in result.records}
    assert by_id[ids["out"][0]].outcome == "exported"
    assert by_id[ids["out"][0]].data["TextBody"] == "Hi there"
    assert by_id[ids["out"][0]].data["MessageEvents"][0]["Type"] == "Delivered"
    assert by_id[ids["in"][0]].data["TextBody"] == "Hello"
    assert by_id[str(ids["bounce"][0])].data["Details"].startswith("smtp;550")
    assert by_id["outbound:ann@example.com"].data["SuppressionReason"] == "HardBounce"
    assert fake.count("GET", r"/messages/outbound/.+/details") == 6
    assert {r.id for r in result.records} == {r.id for r in connector(fake).access(ann()).records}


def test_a_message_found_twice_is_reported_once(fake):
    message_id = fake.send("ann@example.com", "Both of you", cc="ann.lee@work.example")
    result = connector(fake).access(ann("ann@example.com", "ann.lee@work.example"))
    assert ids_of(result, "outbound message") == [message_id]


class ExpiringPostmark(FakePostmark):
    """A fake whose first message expires between the search and the copy."""

    @route("GET", r"/messages/outbound/([^/]+)/details")
    def outbound_details(self, call, message_id):
        if message_id == self.outbound[0]["MessageID"]:
            return 422, {"ErrorCode": 701, "Message": "This message was not found."}
        return FakePostmark.outbound_details(self, call, message_id)


def test_a_message_gone_before_the_copy_is_not_found_and_the_rest_exported():
    with ExpiringPostmark(token=SERVER_TOKEN, account_token=ACCOUNT_TOKEN) as fake:
        gone = fake.send("ann@example.com")
        kept = fake.send("ann@example.com")
        result = connector(fake).export(ann())
    outcomes = {r.id: r.outcome for r in result.records}
    assert outcomes == {gone: "not_found", kept: "exported"}


def test_suppress_adds_her_to_the_stream_once(fake):
    first = connector(fake).suppress(ann())
    assert fake.suppressed("outbound") == ["ann@example.com"]
    assert [(r.id, r.outcome) for r in first.records] == [("outbound:ann@example.com", "suppressed")]

    second = connector(fake).suppress(ann())
    assert second.records[0].outcome == "suppressed"
    assert "already suppressed" in second.records[0].detail
    assert fake.count("POST", "/suppressions$") == 1
    assert fake.suppressed("outbound") == ["ann@example.com"]


def test_restrict_suppresses_in_the_configured_stream(fake):
    result = connector(fake, message_stream="broadcast").restrict(ann())
    assert result.overall == "restricted"
    assert fake.suppressed("broadcast") == ["ann@example.com"]
    assert fake.suppressed("outbound") == []


def test_an_address_postmark_refuses_is_not_reported_suppressed(fake):
    result = connector(fake).suppress(Subject("DSAR-2", {"email": ["ann@example.com", "not-an-address"]}))
    outcomes = {r.id: r.outcome for r in result.records}
    assert outcomes == {"outbound:ann@example.com": "suppressed", "outbound:not-an-address": "not_supported"}
    assert result.overall == "not_supported"


def test_erase_requests_a_data_removal_and_reports_it_done(fake):
    seed(fake)
    result = connector(fake).erase(ann())

    assert [(r["RequestedFor"], r["RequestedBy"], r["NotifyWhenCompleted"]) for r in fake.removals.values()] \
        == [("ann@example.com", "dpo@aplanet.example", False)]
    assert {r.outcome for r in result.records} == {"erased"}
    assert len(result.records) == 6 + 2 + 3
    assert any("cannot be unsent" in n for n in result.notes)
    # the fake really removed her data, and only hers
    assert [m["Recipients"] for m in fake.outbound] == [["joann@example.com"]]
    assert {b["Email"] for b in fake.bounces} == {"joann@example.com"}
    assert {m["From"] for m in fake.inbound} == {"joann@example.com"}

    again = connector(fake).erase(ann())
    assert again.overall == "not_found"
    assert len(fake.removals) == 1


def test_erase_still_pending_is_scheduled_with_the_removal_id(fake):
    fake.removal_polls = 100
    fake.send("ann@example.com")
    result = connector(fake).erase(ann())

    removal_id = next(iter(fake.removals))
    assert result.overall == "erasure_scheduled"
    assert str(removal_id) in result.records[0].detail
    assert fake.count("GET", r"^/data-removals/\d+$") == PostmarkConnector.removal_polls
    assert len(fake.outbound) == 1   # nothing claimed erased that Postmark still holds


def test_erase_without_account_token_is_not_supported(fake):
    fake.send("ann@example.com")
    result = connector(fake, account_token=None).erase(ann())
    assert result.overall == "not_supported"
    assert "account token" in result.notes[0]
    assert fake.count("POST", "/data-removals") == 0
    assert len(fake.outbound) == 1


def test_erase_without_requested_by_fails_visibly(fake):
    fake.send("ann@example.com")
    with pytest.raises(NotConfigured, match="requested_by"):
        connector(fake, requested_by=None).erase(ann())
    assert fake.removals == {}


def test_rectify_is_not_supported_for_sent_mail(fake):
    result = connector(fake).rectify(Subject("DSAR-3", {"email": ["ann@example.com"]}, {"name": "Ann Li"}))
    assert result.overall == "not_supported"
    assert "cannot be corrected" in result.notes[0]


def test_discover(fake):
    fake.send("joann@example.com")
    c = connector(fake)
    assert c.discover({"email": ["ann@example.com"]}) is False
    fake.bounce("ann@example.com")
    assert c.discover({"email": ["ann@example.com"]}) is True


def test_no_email_means_no_call(fake):
    result = connector(fake).access(Subject("DSAR-4", {"name": ["Ann Lee"]}))
    assert result.records == [] and fake.calls == []


def test_a_bad_server_token_is_refused_without_showing_it(fake, monkeypatch):
    monkeypatch.setenv("PM_SERVER", "srv-wrong-secret-value")
    with pytest.raises(ConnectorError) as error:
        connector(fake).access(ann())
    assert "401" in str(error.value) and "ErrorCode 10" in str(error.value)
    assert "srv-wrong-secret-value" not in str(error.value) and SERVER_TOKEN not in str(error.value)


def test_the_server_token_does_not_open_the_account_api(fake, monkeypatch):
    fake.send("ann@example.com")
    monkeypatch.setenv("PM_ACCOUNT", SERVER_TOKEN)
    with pytest.raises(ConnectorError) as error:
        connector(fake).erase(ann())
    assert "/data-removals" in str(error.value) and SERVER_TOKEN not in str(error.value)


def test_429_waits_for_retry_after_then_succeeds(fake):
    fake.send("ann@example.com")
    fake.faults.rate_limited, fake.faults.retry_after = 1, 0.2
    started = time.monotonic()
    result = connector(fake).access(ann())
    assert time.monotonic() - started >= 0.2
    assert len(result.records) == 1


def test_server_errors_are_retried_then_left_for_later(fake):
    fake.faults.server_errors = 2
    fake.send("ann@example.com")
    assert len(connector(fake).access(ann()).records) == 1   # two 503s, then the answer

    fake.faults.server_errors = 10
    with pytest.raises(RetryLater):
        connector(fake).access(ann())


def test_settings_are_checked():
    good = {"base_url": "https://api.postmarkapp.com", "server_token": {"env": "PM_SERVER"}}
    assert PostmarkConnector.check_settings(good)["message_stream"] == "outbound"
    with pytest.raises(ValidationError) as missing:
        PostmarkConnector.check_settings({"server_token": {"env": "PM_SERVER"}})
    assert "base_url" in missing.value.messages
    with pytest.raises(ValidationError) as by:
        PostmarkConnector.check_settings({**good, "requested_by": "the DPO"})
    assert "requested_by" in by.value.messages


def test_a_literal_secret_is_refused():
    with pytest.raises(ValidationError) as literal:
        PostmarkConnector.check_settings({"base_url": "https://api.postmarkapp.com", "server_token": SERVER_TOKEN})
    assert "server_token" in literal.value.messages


def test_search_streams_reach_mail_outside_the_default_stream(fake):
    newsletter = fake.send("ann@example.com", "Newsletter", stream="broadcast")
    receipt = fake.send("ann@example.com", "Receipt")
    question = fake.receive("ann@example.com")
    assert ids_of(connector(fake).access(ann()), "outbound message") == [receipt]
    both = connector(fake, search_streams=["outbound", "broadcast"]).access(ann())
    assert ids_of(both, "outbound message") == sorted([newsletter, receipt])
    assert ids_of(both, "inbound message") == [question]


def test_erase_files_one_removal_per_address_she_has_mail_at(fake):
    both = fake.send("ann@example.com", "To both", cc="ann.lee@work.example")
    work = fake.send("ann.lee@work.example", "Work only")
    result = connector(fake).erase(ann("ann@example.com", "ann.lee@work.example", "ann@unused.example"))

    assert sorted(r["RequestedFor"] for r in fake.removals.values()) == ["ann.lee@work.example", "ann@example.com"]
    assert {r.id: r.outcome for r in result.records} == {both: "erased", work: "erased"}
    assert fake.outbound == []
    assert fake.count("GET", r"^/data-removals/\d+$") == 2   # polled together, once each
