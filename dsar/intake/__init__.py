"""Inbound email: one pipeline for IMAP, Postmark's webhook and imported files."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the webhook, the messages API and the intake commands."""
