"""The S3 connector against moto's S3 server running as its own process on loopback.

Each test seeds a fresh bucket with boto3, runs the connector, then asks the server
(again with boto3) what really is in the bucket: what was found, copied, tagged or
deleted, and that other people's objects were left alone.
"""
from __future__ import annotations

import base64
import datetime as dt
import uuid

import boto3
import pytest
from s3_server import ErrorServer, ScriptedS3, error_xml, free_port, moto_s3  # noqa: F401  (moto_s3 is a fixture)

from dsar.connectors import connector_class
from dsar.connectors import s3 as s3_module
from dsar.connectors.base import (BLOCKED_BY_RETENTION, ERASED, EXPORTED, FOUND, NOT_FOUND, NOT_SUPPORTED, RESTRICTED,
                                  ConnectorError, NotConfigured, RetryLater, Subject, ValidationError)
from dsar.connectors.s3 import S3Connector

KEY_ID, SECRET = "AKIATESTKEYID", "s3cr3t-never-to-be-shown"
PREFIX = "organizations/{customer_id}/users/{email}/"
ALICE = Subject("DSAR-1", {"email": ["alice@example.com"], "customer_id": ["org-7"]})
BOB = Subject("DSAR-2", {"email": ["bob@example.com"], "customer_id": ["org-7"]})


@pytest.fixture(autouse=True)
def credentials(monkeypatch):
    monkeypatch.setenv("TEST_S3_KEY_ID", KEY_ID)
    monkeypatch.setenv("TEST_S3_SECRET", SECRET)


@pytest.fixture
def store(moto_s3):
    """A boto3 client on the moto server, to seed and inspect buckets."""
    return boto3.client("s3", endpoint_url=moto_s3, region_name="us-east-1",
                        aws_access_key_id="seed", aws_secret_access_key="seed")


@pytest.fixture
def bucket(store):
    name = f"files-{uuid.uuid4().hex[:12]}"
    store.create_bucket(Bucket=name)
    return name


def make(endpoint: str, bucket: str, **settings) -> S3Connector:
    base = {"bucket": bucket, "endpoint_url": endpoint, "prefix": PREFIX, "page_size": 2,
            "access_key_id": {"env": "TEST_S3_KEY_ID"}, "secret_access_key": {"env": "TEST_S3_SECRET"}}
    base.update(settings)
    base = {k: v for k, v in base.items() if v is not None}
    return S3Connector("aws-files", S3Connector.check_settings(base))


def keys(store, bucket: str, prefix: str = "") -> set[str]:
    pages = store.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def all_versions(store, bucket: str, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for page in store.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        out += [(v["Key"], v["VersionId"]) for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
    return out


def seed_people(store, bucket: str) -> tuple[set[str], set[str]]:
    """Five objects of Alice's (more than two pages of two) and others' around them."""
    alice = {f"organizations/org-7/users/alice@example.com/doc-{i}.txt" for i in range(5)}
    others = {"organizations/org-7/users/bob@example.com/doc-0.txt",
              "organizations/org-8/users/alice@example.com/doc-0.txt",      # another customer's Alice
              "organizations/org-7/users/alice@example.com.au/doc-0.txt",   # a longer email
              "organizations/org-7/readme.txt"}
    for key in alice | others:
        store.put_object(Bucket=bucket, Key=key, Body=f"content of {key}".encode())
    return alice, others


# -- settings --------------------------------------------------------------------------

def test_registered_under_s3():
    assert connector_class("s3") is S3Connector


def test_the_register_example_settings_load():
    settings = S3Connector.check_settings({
        "bucket": "aplanet-platform-files", "prefix": "organizations/{customer_id}/users/{email}/",
        "access_key_id": {"env": "APLANET_AWS_ACCESS_KEY_ID"},
        "secret_access_key": {"env": "APLANET_AWS_SECRET_ACCESS_KEY"}})
    assert settings["region"] == "us-east-1" and settings["prefix"] == [PREFIX]


@pytest.mark.parametrize("settings, field, words", [
    ({"prefix": PREFIX}, "bucket", "required"),
    ({"bucket": "b1x"}, "prefix", "prefix"),
    ({"bucket": "b1x", "prefix": PREFIX, "access_key_id": "AKIA", "secret_access_key": "literal"},
     "secret_access_key", "environment reference"),
    ({"bucket": "b1x", "prefix": PREFIX, "access_key_id": {"env": "K"}}, "secret_access_key", "both"),
    ({"bucket": "b1x", "prefix": "users/{mail}/"}, "prefix", "unknown placeholder"),
    ({"bucket": "b1x", "prefix": "users/"}, "prefix", "at least one identity placeholder"),
    ({"bucket": "b1x", "prefix": "customers/{customer_id}"}, "prefix", "separator"),
    ({"bucket": "b1x", "tag": {"key": "dsar-subject", "identity": "shoe_size"}}, "tag", "one of"),
])
def test_settings_problems_are_named(settings, field, words):
    with pytest.raises(ValidationError) as caught:
        S3Connector.check_settings(settings)
    assert field in caught.value.messages
    assert words in str(caught.value.messages[field])


# -- access and export -----------------------------------------------------------------

@pytest.fixture
def calls_of():
    """calls_of(connector, operation): the parameters of each such call its client makes from now on.

    Clients are shared between connectors, so the watch is removed after the test."""
    watches = []

    def watch(connector: S3Connector, operation: str) -> list[dict]:
        seen: list[dict] = []

        def handler(params, **kwargs):
            seen.append(params)
        events, event = connector.client().meta.events, f"before-call.s3.{operation}"
        events.register(event, handler)
        watches.append((events, event, handler))
        return seen

    yield watch
    for events, event, handler in watches:
        events.unregister(event, handler)


def test_access_finds_every_object_under_the_subjects_prefix_across_pages(moto_s3, store, bucket, calls_of):
    alice, _others = seed_people(store, bucket)
    connector = make(moto_s3, bucket)
    listings = calls_of(connector, "ListObjectsV2")
    result = connector.access(ALICE)
    assert {r.id for r in result.records} == alice
    assert len(listings) == 3      # five objects at two a page
    assert all(r.outcome == FOUND and r.data is None and "bytes" in r.detail for r in result.records)


def test_export_copies_text_as_text_binary_as_base64_and_lists_big_objects(moto_s3, store, bucket):
    base = "organizations/org-7/users/alice@example.com/"
    store.put_object(Bucket=bucket, Key=base + "note.txt", Body="Grüße".encode(), ContentType="text/plain")
    store.put_object(Bucket=bucket, Key=base + "photo.jpg", Body=b"\xff\xd8\xff\x00jpeg", ContentType="image/jpeg")
    store.put_object(Bucket=bucket, Key=base + "video.mp4", Body=b"v" * 5000)
    store.put_object(Bucket=bucket, Key="organizations/org-7/users/bob@example.com/note.txt", Body=b"Bob's")

    result = make(moto_s3, bucket, max_export_bytes=1000).export(ALICE)
    by_key = {r.id: r for r in result.records}
    assert set(by_key) == {base + "note.txt", base + "photo.jpg", base + "video.mp4"}
    note, photo, video = by_key[base + "note.txt"], by_key[base + "photo.jpg"], by_key[base + "video.mp4"]
    assert note.outcome == EXPORTED and note.data["encoding"] == "text" and note.data["content"] == "Grüße"
    assert note.data["content_type"] == "text/plain"
    assert photo.outcome == EXPORTED and photo.data["encoding"] == "base64"
    assert base64.b64decode(photo.data["content"]) == b"\xff\xd8\xff\x00jpeg"
    assert video.outcome == FOUND and video.data["size"] == 5000 and video.data["content"] is None
    assert any("not copied" in note for note in result.notes)


def test_a_subject_without_the_templates_identity_gets_a_note_not_a_search(moto_s3, store, bucket):
    seed_people(store, bucket)
    no_customer = Subject("DSAR-3", {"email": ["alice@example.com"]})
    result = make(moto_s3, bucket).access(no_customer)
    assert result.records == [] and result.overall == NOT_FOUND
    assert any("skipped" in n and "customer_id" in n for n in result.notes)


def test_identity_values_that_could_leave_the_prefix_are_refused(moto_s3, store, bucket):
    _alice, others = seed_people(store, bucket)
    sneaky = Subject("DSAR-4", {"email": ["../org-8/users/alice@example.com"], "customer_id": ["org-7"]})
    result = make(moto_s3, bucket).erase(sneaky)
    assert result.records == []
    assert any("'/', '..'" in n for n in result.notes)
    assert others <= keys(store, bucket)


def test_several_templates_and_identities_are_all_searched(moto_s3, store, bucket):
    store.put_object(Bucket=bucket, Key="organizations/org-7/users/alice@example.com/a", Body=b"1")
    store.put_object(Bucket=bucket, Key="organizations/org-7/users/alice@work.example/b", Body=b"2")
    store.put_object(Bucket=bucket, Key="avatars/alice@example.com/c", Body=b"3")
    two_emails = Subject("DSAR-5", {"email": ["alice@example.com", "alice@work.example"], "customer_id": ["org-7"]})
    result = make(moto_s3, bucket, prefix=[PREFIX, "avatars/{email}/"]).access(two_emails)
    assert {r.id for r in result.records} == {"organizations/org-7/users/alice@example.com/a",
                                            "organizations/org-7/users/alice@work.example/b",
                                            "avatars/alice@example.com/c"}


# -- restrict --------------------------------------------------------------------------

def test_restrict_tags_the_subjects_objects_keeping_their_tags(moto_s3, store, bucket):
    alice, others = seed_people(store, bucket)
    tagged = sorted(alice)[0]
    store.put_object_tagging(Bucket=bucket, Key=tagged, Tagging={"TagSet": [{"Key": "project", "Value": "esg"}]})

    connector = make(moto_s3, bucket)
    result = connector.restrict(ALICE)
    assert {r.id for r in result.records if r.outcome == RESTRICTED} == alice
    for key in alice:
        tags = {t["Key"]: t["Value"] for t in store.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}
        assert tags["dsar-restricted"] == "true"
    kept = {t["Key"]: t["Value"] for t in store.get_object_tagging(Bucket=bucket, Key=tagged)["TagSet"]}
    assert kept == {"project": "esg", "dsar-restricted": "true"}
    for key in others:
        assert store.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == []

    again = connector.restrict(ALICE)
    assert {r.outcome for r in again.records} == {RESTRICTED}
    assert all("already" in r.detail for r in again.records)
    assert {t["Key"] for t in store.get_object_tagging(Bucket=bucket, Key=tagged)["TagSet"]} == {
        "project", "dsar-restricted"}


def test_an_object_with_ten_tags_cannot_be_restricted_and_says_why(moto_s3, store, bucket):
    key = "organizations/org-7/users/alice@example.com/full.txt"
    full = "&".join(f"t{i}=v{i}" for i in range(10))
    store.put_object(Bucket=bucket, Key=key, Body=b"x", Tagging=full)
    result = make(moto_s3, bucket).restrict(ALICE)
    assert [(r.id, r.outcome) for r in result.records] == [(key, NOT_SUPPORTED)]
    assert "10 tags" in result.records[0].detail
    assert len(store.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]) == 10


# -- erase -----------------------------------------------------------------------------

def test_erase_deletes_the_subjects_objects_in_batches_and_only_those(moto_s3, store, bucket, monkeypatch,
                                                                      calls_of):
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 2)
    alice, others = seed_people(store, bucket)
    connector = make(moto_s3, bucket)
    deletes = calls_of(connector, "DeleteObjects")

    result = connector.erase(ALICE)
    assert {r.id for r in result.records} == alice
    assert len(deletes) == 3       # five keys at two a call
    assert {r.outcome for r in result.records} == {ERASED}
    assert keys(store, bucket) == others

    again = connector.erase(ALICE)
    assert again.records == [] and again.overall == NOT_FOUND


def test_erase_in_a_versioned_bucket_removes_every_version_and_delete_marker(moto_s3, store, bucket):
    store.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    base = "organizations/org-7/users/alice@example.com/"
    for i in range(3):
        store.put_object(Bucket=bucket, Key=base + "cv.pdf", Body=f"version {i}".encode())
    store.put_object(Bucket=bucket, Key=base + "old.txt", Body=b"deleted once, still kept")
    store.delete_object(Bucket=bucket, Key=base + "old.txt")      # leaves a delete marker over it
    bob_key = "organizations/org-7/users/bob@example.com/cv.pdf"
    store.put_object(Bucket=bucket, Key=bob_key, Body=b"bob 1")
    store.put_object(Bucket=bucket, Key=bob_key, Body=b"bob 2")
    assert len(all_versions(store, bucket, base)) == 5

    connector = make(moto_s3, bucket)
    result = connector.erase(ALICE)
    assert {r.id: r.outcome for r in result.records} == {base + "cv.pdf": ERASED, base + "old.txt": ERASED}
    assert all_versions(store, bucket, base) == []
    assert len(all_versions(store, bucket, bob_key)) == 2

    again = connector.erase(ALICE)
    assert again.records == [] and again.overall == NOT_FOUND


def test_erase_reports_object_lock_as_retention_and_never_as_erased(moto_s3, store):
    bucket = f"locked-{uuid.uuid4().hex[:12]}"
    store.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    base = "organizations/org-7/users/alice@example.com/"
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    store.put_object(Bucket=bucket, Key=base + "invoice.pdf", Body=b"kept by law",
                     ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    store.put_object(Bucket=bucket, Key=base + "avatar.png", Body=b"free to go")

    result = make(moto_s3, bucket).erase(ALICE)
    assert {r.id: r.outcome for r in result.records} == {base + "invoice.pdf": BLOCKED_BY_RETENTION,
                                                        base + "avatar.png": ERASED}
    assert result.overall == BLOCKED_BY_RETENTION
    assert keys(store, bucket) == {base + "invoice.pdf"}


def _one_object_bucket(delete_error: str):
    """A scripted S3 that lists one object of Alice's and refuses to delete it."""
    key = "organizations/org-7/users/alice@example.com/a.txt"

    def answer(method, path):
        if method == "GET" and "versioning" in path:
            return 200, '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
        if method == "GET" and "list-type=2" in path:
            return 200, ('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b1x</Name>'
                         f"<KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>{key}</Key>"
                         "<Size>3</Size><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"
                         "</ListBucketResult>")
        if method == "POST" and "delete" in path:
            return 200, ('<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Error>'
                         f"<Key>{key}</Key>{delete_error}</Error></DeleteResult>")
        return 400, error_xml("InvalidRequest", "unexpected")
    return ScriptedS3(answer)


def test_an_object_s3_refuses_to_delete_fails_the_task_without_claiming_erasure():
    server = _one_object_bucket("<Code>AccessDenied</Code><Message>Access Denied</Message>")
    try:
        with pytest.raises(ConnectorError) as caught:
            make(server.url, "b1x").erase(ALICE)
    finally:
        server.close()
    assert "1 object(s) not deleted, 0 erased" in str(caught.value)
    assert "AccessDenied" in str(caught.value) and SECRET not in str(caught.value)


def test_an_internal_error_in_the_delete_answer_asks_for_a_retry():
    server = _one_object_bucket("<Code>InternalError</Code><Message>We encountered an internal error</Message>")
    try:
        with pytest.raises(RetryLater):
            make(server.url, "b1x").erase(ALICE)
    finally:
        server.close()


# -- tag mode --------------------------------------------------------------------------

def test_objects_found_by_tag_are_found_and_erased_across_the_bucket(moto_s3, store, bucket):
    def put(key, value=None):
        tagging = {"Tagging": f"dsar-subject={value}"} if value else {}
        store.put_object(Bucket=bucket, Key=key, Body=b"x", **tagging)

    put("uploads/2024/a.pdf", "alice@example.com")
    put("uploads/2025/b.pdf", "alice@example.com")
    put("exports/c.csv", "alice@example.com")
    put("uploads/2025/d.pdf", "bob@example.com")
    put("uploads/2025/e.pdf")
    connector = make(moto_s3, bucket, prefix=None, tag={"key": "dsar-subject", "identity": "email"})

    found = connector.access(ALICE)
    assert {r.id for r in found.records} == {"uploads/2024/a.pdf", "uploads/2025/b.pdf", "exports/c.csv"}

    narrowed = make(moto_s3, bucket, prefix=None,
                    tag={"key": "dsar-subject", "identity": "email", "scan_prefix": "uploads/"}).access(ALICE)
    assert {r.id for r in narrowed.records} == {"uploads/2024/a.pdf", "uploads/2025/b.pdf"}

    erased = connector.erase(ALICE)
    assert {r.id for r in erased.records if r.outcome == ERASED} == {
        "uploads/2024/a.pdf", "uploads/2025/b.pdf", "exports/c.csv"}
    assert keys(store, bucket) == {"uploads/2025/d.pdf", "uploads/2025/e.pdf"}


def test_prefix_and_tag_together_find_each_object_once(moto_s3, store, bucket):
    inside = "organizations/org-7/users/alice@example.com/a.pdf"
    store.put_object(Bucket=bucket, Key=inside, Body=b"1", Tagging="dsar-subject=alice@example.com")
    store.put_object(Bucket=bucket, Key="shared/b.pdf", Body=b"2", Tagging="dsar-subject=alice@example.com")
    connector = make(moto_s3, bucket, tag={"key": "dsar-subject", "identity": "email"})
    assert sorted(r.id for r in connector.access(ALICE).records) == [inside, "shared/b.pdf"]


def test_tag_mode_in_a_versioned_bucket_erases_the_tagged_objects_history(moto_s3, store, bucket):
    store.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    store.put_object(Bucket=bucket, Key="u/a.pdf", Body=b"1", Tagging="dsar-subject=org-7")
    store.put_object(Bucket=bucket, Key="u/a.pdf", Body=b"2", Tagging="dsar-subject=org-7")
    store.delete_object(Bucket=bucket, Key="u/a.pdf")
    store.put_object(Bucket=bucket, Key="u/b.pdf", Body=b"3", Tagging="dsar-subject=org-8")
    connector = make(moto_s3, bucket, prefix=None, tag={"key": "dsar-subject", "identity": "customer_id"})

    result = connector.erase(ALICE)
    assert [(r.id, r.outcome) for r in result.records] == [("u/a.pdf", ERASED)]
    assert [key for key, _ in all_versions(store, bucket)] == ["u/b.pdf"]


# -- discover and errors -----------------------------------------------------------------

def test_discover_says_whether_the_subject_has_objects(moto_s3, store, bucket):
    seed_people(store, bucket)
    connector = make(moto_s3, bucket)
    assert connector.discover(ALICE.identities) is True
    assert connector.discover({"email": ["carol@example.com"], "customer_id": ["org-7"]}) is False
    assert connector.discover({"email": ["alice@example.com"]}) is False


def test_a_missing_bucket_is_a_connector_error_naming_it(moto_s3):
    with pytest.raises(ConnectorError) as caught:
        make(moto_s3, "no-such-bucket-here").access(ALICE)
    message = str(caught.value)
    assert "no-such-bucket-here" in message and "does not exist" in message
    assert SECRET not in message and not isinstance(caught.value, NotConfigured)


def test_access_denied_is_a_connector_error_without_the_secret():
    server = ErrorServer(403, "AccessDenied", "Access Denied")
    try:
        with pytest.raises(ConnectorError) as caught:
            make(server.url, "b1x").access(ALICE)
    finally:
        server.close()
    assert "access denied" in str(caught.value) and SECRET not in str(caught.value)


def test_slow_down_is_retried_by_botocore_then_becomes_retry_later():
    server = ErrorServer(503, "SlowDown", "Please reduce your request rate.")
    try:
        with pytest.raises(RetryLater) as caught:
            make(server.url, "b1x", max_attempts=2).access(ALICE)
    finally:
        server.close()
    assert len(server.requests) == 2
    assert "SlowDown" in str(caught.value)


def test_an_unreachable_endpoint_is_retry_later():
    with pytest.raises(RetryLater):
        make(f"http://127.0.0.1:{free_port()}", "b1x", max_attempts=1, timeout=1).access(ALICE)


def test_a_bucket_in_another_region_says_so():
    server = ErrorServer(400, "AuthorizationHeaderMalformed",
                         "the region 'us-east-1' is wrong; expecting 'eu-west-3'")
    try:
        with pytest.raises(ConnectorError) as caught:
            make(server.url, "b1x").access(ALICE)
    finally:
        server.close()
    assert "not in region 'us-east-1'" in str(caught.value) and "eu-west-3" in str(caught.value)


def test_without_keys_in_the_register_the_environments_credentials_are_used(moto_s3, store, bucket, monkeypatch):
    seed_people(store, bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "role-secret")
    connector = make(moto_s3, bucket, access_key_id=None, secret_access_key=None)
    assert len(connector.access(ALICE).records) == 5


def test_an_unset_secret_is_not_configured(moto_s3, bucket, monkeypatch):
    monkeypatch.delenv("TEST_S3_SECRET")
    with pytest.raises(NotConfigured) as caught:
        make(moto_s3, bucket).access(ALICE)
    assert "TEST_S3_SECRET" in str(caught.value)


def test_connectors_of_one_store_share_a_client(moto_s3, bucket):
    first, second = make(moto_s3, bucket), make(moto_s3, bucket)
    assert first.client() is second.client()
    assert make(moto_s3, bucket, region="eu-west-3").client() is not first.client()
