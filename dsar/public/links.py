"""Absolute links to the public pages, for emails.

Built on the PUBLIC_BASE_URL setting, never on the current request's Host header: a
visitor controls that header, and a forged one would put someone's confirmation link on
the visitor's own site. Works outside any HTTP request too (intake jobs, commands).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
