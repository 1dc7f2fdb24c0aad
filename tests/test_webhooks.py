"""Signed webhook deliveries: the operator's signature, and POSTs retried until they land."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from dsar.answers import signing


def test_a_signature_verifies_with_our_certificate_and_not_on_a_tampered_body(app):
    with app.app_context():
        body = b'{"request_status":"completed"}'
        headers = signing.headers(body)
        certificate = signing.certificate_pem()
        assert headers["X-OpenGDPR-Processor-Domain"] == "127.0.0.1"
        assert signing.verify(body, headers["X-OpenGDPR-Signature"], certificate)
        assert not signing.verify(b'{"request_status":"cancelled"}', headers["X-OpenGDPR-Signature"], certificate)
        assert not signing.verify(body, "not base64!", certificate)
        assert not signing.verify(body, headers["X-OpenGDPR-Signature"], b"not a certificate")


def test_the_generated_key_is_private_and_reused(app):
    from pathlib import Path

    with app.app_context():
        first = signing.certificate_pem()
        key_file = Path(app.instance_path) / signing.GENERATED_KEY
        assert key_file.stat().st_mode & 0o077 == 0
        app.extensions.pop("dsar_signing")  # as a new process would
        assert signing.certificate_pem() == first


def _rsa_pair(folder, domain="dsar.example"):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    start = datetime.now(timezone.utc) - timedelta(minutes=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + timedelta(days=1))
            .sign(key, hashes.SHA256()))
    key_file, cert_file = folder / "key.pem", folder / "cert.pem"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def test_an_operator_set_rsa_pair_signs(app, tmp_path):
    key_file, cert_file = _rsa_pair(tmp_path)
    app.config.update(SIGNING_KEY_FILE=str(key_file), SIGNING_CERT_FILE=str(cert_file),
                      PUBLIC_BASE_URL="https://dsar.example")
    with app.app_context():
        assert signing.certificate_pem() == cert_file.read_bytes()
        headers = signing.headers(b"{}")
        assert headers["X-OpenGDPR-Processor-Domain"] == "dsar.example"
        assert signing.verify(b"{}", headers["X-OpenGDPR-Signature"], cert_file.read_bytes())


def test_a_certificate_that_does_not_match_the_key_is_refused(app, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    key_file, _ = _rsa_pair(tmp_path / "a")
    _, other_cert = _rsa_pair(tmp_path / "b")
    app.config.update(SIGNING_KEY_FILE=str(key_file), SIGNING_CERT_FILE=str(other_cert))
    with app.app_context(), pytest.raises(RuntimeError, match="does not certify"):
        signing.sign(b"{}")


# --- deliveries -------------------------------------------------------------------------

@pytest.fixture
def receiver():
    from callback_server import CallbackServer

    server = CallbackServer().start()
    yield server
    server.stop()


def _owe(app, url, payload=None, request_id=None) -> int:
    from dsar.answers import webhooks
    from dsar.extensions import db

    with app.app_context():
        delivery = webhooks.owe(request_id, "test", url, payload or {"request_status": "completed", "n": 1})
        db.session.commit()
        return delivery.id


def _delivery(app, delivery_id):
    from dsar.extensions import db
    from dsar.models import WebhookDelivery

    with app.app_context():
        row = db.session.get(WebhookDelivery, delivery_id)
        db.session.expunge(row)
        return row


def _deliver(app, now=None) -> int:
    from dsar.answers import webhooks

    with app.app_context():
        return webhooks.deliver_due(now or datetime.now(timezone.utc))


def test_a_delivery_arrives_signed_as_compact_json(app, receiver):
    delivery_id = _owe(app, receiver.url("/hook?k=1"), {"b": "é", "a": [1, 2]})
    assert _deliver(app) == 1
    [got] = receiver.received
    assert got.path == "/hook?k=1"
    assert got.body == '{"a":[1,2],"b":"é"}'.encode()
    assert got.headers["Content-Type"] == "application/json"
    with app.app_context():
        certificate = signing.certificate_pem()
    assert got.headers["X-OpenGDPR-Processor-Domain"] == "127.0.0.1"
    assert signing.verify(got.body, got.headers["X-OpenGDPR-Signature"], certificate)
    row = _delivery(app, delivery_id)
    assert (row.status, row.attempts, row.response_status, row.last_error) == ("delivered", 1, 200, None)
    assert row.delivered_at is not None
    assert _deliver(app) == 0  # delivered once, never again


def test_a_500_is_retried_after_a_backoff_then_delivered(app, receiver):
    receiver.respond(500, 200)
    delivery_id = _owe(app, receiver.url())
    start = datetime.now(timezone.utc)
    assert _deliver(app, start) == 1
    row = _delivery(app, delivery_id)
    assert (row.status, row.attempts, row.response_status) == ("pending", 1, 500)
    assert row.last_error.startswith("HTTP 500")
    assert start + timedelta(seconds=30) <= row.next_attempt_at <= start + timedelta(seconds=60)
    assert _deliver(app, start + timedelta(seconds=10)) == 0  # not due yet
    assert _deliver(app, start + timedelta(minutes=2)) == 1
    row = _delivery(app, delivery_id)
    assert (row.status, row.attempts, row.response_status) == ("delivered", 2, 200)
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body


def test_an_unreachable_receiver_fails_after_the_last_attempt(app):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    delivery_id = _owe(app, f"http://127.0.0.1:{port}/hook?token=secret")
    at = datetime.now(timezone.utc)
    for attempt in (1, 2, 3):
        assert _deliver(app, at) == 1
        row = _delivery(app, delivery_id)
        assert row.attempts == attempt
        at += timedelta(days=1)
    assert (row.status, row.response_status, row.next_attempt_at) == ("failed", None, None)
    assert row.last_error == "could not connect"
    assert "secret" not in row.last_error
    assert _deliver(app, at) == 0


def test_a_redirect_is_not_followed(app, receiver):
    receiver.respond(302)
    delivery_id = _owe(app, receiver.url())
    _deliver(app)
    row = _delivery(app, delivery_id)
    assert (row.status, row.response_status) == ("pending", 302)
    assert "redirect" in row.last_error
    assert len(receiver.received) == 1  # the Location was not visited


def test_a_later_delivery_waits_for_an_earlier_one_to_the_same_url(app, receiver, file_request, token):
    from dsar.extensions import db
    from dsar.models import Request

    reference = file_request(token("operator_admin"))["reference"]
    with app.app_context():
        request_id = db.session.scalar(sa.select(Request.id).where(Request.reference == reference))
    receiver.respond(503)
    first = _owe(app, receiver.url(), {"request_status": "in_progress"}, request_id)
    second = _owe(app, receiver.url(), {"request_status": "completed"}, request_id)
    at = datetime.now(timezone.utc)
    assert _deliver(app, at) == 1  # the second waits behind the first
    assert _delivery(app, second).attempts == 0
    assert _deliver(app, at + timedelta(hours=1)) == 1  # the first lands...
    assert _deliver(app, at + timedelta(hours=1)) == 1  # ...then the second
    assert [r.json["request_status"] for r in receiver.received] == ["in_progress", "in_progress", "completed"]
    assert _delivery(app, first).status == _delivery(app, second).status == "delivered"


def test_a_claimed_delivery_is_not_claimed_twice(app, receiver):
    from dsar.answers import webhooks

    _owe(app, receiver.url())
    at = datetime.now(timezone.utc)
    with app.app_context():
        assert len(webhooks._claim(at)) == 1
        assert webhooks._claim(at) == []  # another sweeper, meanwhile, finds nothing due


def test_concurrent_sweepers_send_each_delivery_once(app, receiver):
    import threading

    ids = [_owe(app, receiver.url(f"/hook/{n}"), {"n": n}) for n in range(30)]
    at = datetime.now(timezone.utc)
    errors = []

    def sweeper():
        try:
            with app.app_context():
                from dsar.answers import webhooks
                from dsar.extensions import db

                while webhooks.deliver_due(at):
                    pass
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.path for r in receiver.received) == sorted(f"/hook/{n}" for n in range(30))
    assert {_delivery(app, i).attempts for i in ids} == {1}


def test_a_delivery_claimed_by_a_sweeper_that_died_is_sent_after_the_lease(app, receiver):
    from dsar.answers import webhooks

    delivery_id = _owe(app, receiver.url())
    at = datetime.now(timezone.utc)
    with app.app_context():
        assert len(webhooks._claim(at)) == 1  # ...and the sweeper dies before sending
    assert _deliver(app, at + timedelta(minutes=5)) == 0
    assert _deliver(app, at + webhooks.LEASE + timedelta(seconds=1)) == 1
    assert _delivery(app, delivery_id).status == "delivered" and len(receiver.received) == 1


@pytest.mark.parametrize(("public", "url", "problem"), [
    ("http://127.0.0.1:5000", "http://127.0.0.1:8080/cb", None),
    ("http://127.0.0.1:5000", "http://localhost/cb", None),
    ("http://127.0.0.1:5000", "https://controller.example/cb", None),
    ("http://127.0.0.1:5000", "http://controller.example/cb", "https"),
    ("https://dsar.example", "http://127.0.0.1:8080/cb", "https"),
    ("https://dsar.example", "https://127.0.0.1/cb", "loopback"),
    ("https://dsar.example", "https://10.1.2.3/cb", "private"),
    ("https://dsar.example", "https://169.254.169.254/latest", "link-local"),
    ("https://dsar.example", "https://controller.example/cb", None),
    ("https://dsar.example", "https://user:pw@controller.example/cb", "credentials"),
    ("https://dsar.example", "ftp://controller.example/cb", "https"),
    ("https://dsar.example", "https://controller.example:x/cb", "valid"),
])
def test_which_urls_we_post_to(app, public, url, problem):
    from dsar.answers import webhooks

    app.config["PUBLIC_BASE_URL"] = public
    with app.app_context():
        found = webhooks.url_problem(url)
    assert (found is None) if problem is None else (problem in found)


def test_a_refused_url_fails_at_once_saying_why(app):
    app.config["PUBLIC_BASE_URL"] = "https://dsar.example"
    delivery_id = _owe(app, "http://controller.example/cb")
    _deliver(app)
    row = _delivery(app, delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == "refused: the URL must be an https:// URL"
