"""The operator's signature on what dsar sends to controllers (OpenGDPR 1.0 §8, webhooks).

A signature is FIPS 186-4 ECDSA (or RSA PKCS#1 v1.5 for an RSA key) over the SHA-256 of
the exact bytes sent, base64-encoded (standard alphabet, DER for ECDSA). Receivers check
it against the X.509 certificate we publish at `GET /v1/certificate.pem` (and name in
`/v1/discovery`), before parsing the JSON.

Key and certificate come from the config's SIGNING_KEY_FILE and SIGNING_CERT_FILE (PEM,
DSAR_SIGNING_KEY_FILE / DSAR_SIGNING_CERT_FILE). When they are unset, dsar generates once
an ECDSA P-256 key and a self-signed certificate for the processor domain (the host of
PUBLIC_BASE_URL) in the instance folder (`signing-key.pem`, mode 0600, and
`signing-cert.pem`) and reuses them after. That is for development and the demo only:
OpenGDPR forbids self-signed certificates, so in production an operator sets a pair
issued by a trusted CA whose subject alternative name is the processor domain. The pair
is read once per process: restart the web and worker processes after replacing it.
"""
from __future__ import annotations

import base64
import binascii
import fcntl
import ipaddress
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from flask import current_app

from dsar.timeutil import now

DOMAIN_HEADER = "X-OpenGDPR-Processor-Domain"
SIGNATURE_HEADER = "X-OpenGDPR-Signature"
GENERATED_KEY = "signing-key.pem"
GENERATED_CERT = "signing-cert.pem"


@dataclass(frozen=True)
class _Material:
    key: object  # an EC or RSA private key
    certificate_pem: bytes


def processor_domain() -> str:
    """The host of PUBLIC_BASE_URL: the domain our certificate and headers name."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def sign(body: bytes) -> str:
    """Base64 signature over the SHA-256 of `body` with the operator's key."""
    key = _material().key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.sign(body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode("ascii")


def headers(body: bytes) -> dict[str, str]:
    """The OpenGDPR headers for a response or callback whose raw body is `body`."""
    return {DOMAIN_HEADER: processor_domain(), SIGNATURE_HEADER: sign(body)}


def certificate_pem() -> bytes:
    """Our X.509 certificate (PEM), as receivers need it to verify."""
    return _material().certificate_pem


def verify(body: bytes, signature_b64: str, cert_pem: bytes) -> bool:
    """True when `signature_b64` is a valid signature of `body` by the certificate's key.

    Checks the signature only, not the certificate's chain, expiry or domain: a
    receiver does those against its own trust store and whitelist.
    """
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key = x509.load_pem_x509_certificate(cert_pem).public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, body, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, binascii.Error):
        return False
    return True


def _material() -> _Material:
    """The key and certificate, loaded once per app (they are read on every signature)."""
    cache = current_app.extensions.setdefault("dsar_signing", {})
    key_file = current_app.config.get("SIGNING_KEY_FILE")
    cert_file = current_app.config.get("SIGNING_CERT_FILE")
    slot = (key_file, cert_file, current_app.instance_path)
    if slot not in cache:
        if bool(key_file) != bool(cert_file):
            raise RuntimeError("set both DSAR_SIGNING_KEY_FILE and DSAR_SIGNING_CERT_FILE, or neither")
        if not key_file:
            key_file, cert_file = _generated_pair(Path(current_app.instance_path))
        cache[slot] = _load(Path(key_file), Path(cert_file))
    return cache[slot]


def _load(key_file: Path, cert_file: Path) -> _Material:
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise RuntimeError(f"{key_file}: the signing key must be an EC or RSA private key")
    cert_pem = cert_file.read_bytes()
    certificate = x509.load_pem_x509_certificate(cert_pem)
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if certificate.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) != public:
        raise RuntimeError(f"{cert_file} does not certify the key in {key_file}")
    return _Material(key, cert_pem)


def _generated_pair(folder: Path) -> tuple[Path, Path]:
    """The instance folder's generated key and certificate, made on first use.

    Web workers, the fulfilment worker and `dsar tick` may all start at once: an
    exclusive lock makes one of them generate while the others wait and then read.
    """
    key_file, cert_file = folder / GENERATED_KEY, folder / GENERATED_CERT
    if key_file.exists() and cert_file.exists():
        return key_file, cert_file
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "signing.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (key_file.exists() and cert_file.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            _write(key_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()), mode=0o600)
            _write(cert_file, _self_signed(key, processor_domain()).public_bytes(serialization.Encoding.PEM),
                   mode=0o644)
    return key_file, cert_file


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write `data` to `path` created with `mode` from the start (never briefly world-readable)."""
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(temporary, mode)  # O_CREAT's mode is masked by the umask
    os.replace(temporary, path)


def _alternative_name(domain: str) -> x509.GeneralName:
    try:  # the demo's PUBLIC_BASE_URL is http://127.0.0.1:5000
        return x509.IPAddress(ipaddress.ip_address(domain))
    except ValueError:
        return x509.DNSName(domain)


def _self_signed(key: ec.EllipticCurvePrivateKey, domain: str) -> x509.Certificate:
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, domain),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dsar (self-signed: not for production)"),
    ])
    start = now() - timedelta(minutes=5)
    return (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([_alternative_name(domain)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
