"""Normalising subject identities so the same person matches across requests and systems."""
from __future__ import annotations

import re

IDENTITY_KINDS = ("email", "phone", "name", "customer_id", "ip_address")


def normalize(kind: str, value: str) -> str:
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "phone":
        # Keep a leading + (international form) and the digits; drop spaces, dots, dashes.
        digits = re.sub(r"\D", "", value)
        return ("+" + digits) if value.startswith("+") else digits
    if kind == "name":
        return " ".join(value.lower().split())
    return value
