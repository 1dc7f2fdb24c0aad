"""Which language a page or an email is in.

Pages: the visitor's explicit choice (`?lang=fr`, remembered in the session), else the
language of the request the page is about (the status page), else the browser's
Accept-Language, else English. Emails: the request's language, else its controller's,
else English — always one we have translations for.
"""
from __future__ import annotations

from flask import g, has_request_context, request, session
from flask_babel import Babel, get_locale, refresh

from dsar.models import Request

# Each language named in itself, for the switch (a French speaker looks for "Français").
LANGUAGES = {"en": "English", "fr": "Français", "es": "Español", "de": "Deutsch"}
DEFAULT = "en"

babel = Babel()


def select_locale() -> str:
    """Flask-Babel's locale selector for the current HTTP request."""
    if not has_request_context():
        return DEFAULT
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    if g.get("subject_language") in LANGUAGES:
        return g.subject_language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def remember_choice() -> None:
    """Keep a `?lang=` choice for the visitor's next pages (before each public page)."""
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and session.get("lang") != chosen:
        session["lang"] = chosen


def prefer_language(language: str | None) -> None:
    """The page is about a request: show it in that request's language, unless the
    visitor picked one."""
    g.subject_language = language
    refresh()  # the locale may already be cached for this request


def page_language() -> str:
    return get_locale().language if get_locale() else DEFAULT


def language_of(request_row: Request) -> str:
    """The language to write to the subject of `request_row` in."""
    for candidate in (request_row.language,
                      request_row.controller.language if request_row.controller else None):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT
