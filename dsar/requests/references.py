"""Public references (quoted in emails) and unguessable status tokens."""
from __future__ import annotations

import hashlib
import re
import secrets

# Crockford's base32: no I, L, O, U, so a reference read aloud or retyped survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(f"DSR-[{_ALPHABET}]{{4}}-[{_ALPHABET}]{{4}}")


def is_reference(text: str) -> bool:
    return REFERENCE_PATTERN.fullmatch(text) is not None


def new_reference() -> str:
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"DSR-{chars[:4]}-{chars[4:]}"


def new_status_token() -> tuple[str, str]:
    """Return (token for the subject, hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
