"""Watching the clocks: the SLA dashboard, its CSV export, and the alert digests (`dsar tick`)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the dashboard pages and the tick command."""
