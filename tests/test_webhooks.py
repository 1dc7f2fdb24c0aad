"""Signed webhook deliveries: the operator's signature, and POSTs retried until they land."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
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
