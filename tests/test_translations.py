"""The French, Spanish and German catalogs are complete, current and compiled.

Complete: no entry untranslated or fuzzy, placeholders intact. Current: every message of
the public pages and emails (extracted as babel.cfg says) is in every catalog, and no
catalog keeps a message the code no longer has. Compiled: the committed .mo is the .po
compiled now — a .po edited without recompiling would otherwise show English.
"""
from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import dsar

PROJECT = Path(dsar.__file__).parent.parent
CATALOGS = Path(dsar.__file__).parent / "translations"
LANGUAGES = ("fr", "es", "de")
# `_l` is lazy_gettext (strings translated when rendered); see README for the extract command.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None}


def _po(language: str):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def _hashable(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _messages(catalog) -> dict:
    return {_hashable(m.id): _hashable(m.string) for m in catalog if m.id}


@pytest.fixture(scope="module")
def extracted() -> set:
    with open(PROJECT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT), method_map, options_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message[:2]))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    catalog = _po(language)
    assert not catalog.fuzzy, "the catalog's header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
    # Placeholders (%(name)s…) match the English, and plural forms are all there.
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalog.check()]
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_committed_mo_is_the_po_compiled(language):
    compiled = BytesIO()
    write_mo(compiled, _po(language))
    compiled.seek(0)
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        committed = read_mo(f)
    assert _messages(committed) == _messages(read_mo(compiled)), \
        f"recompile: pybabel compile -d dsar/translations -l {language}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_holds_exactly_the_messages_of_the_pages_and_emails(extracted, language):
    in_catalog = set(_messages(_po(language)))
    assert extracted - in_catalog == set(), "new messages to translate (see README: pybabel extract/update)"
    assert in_catalog - extracted == set(), "messages the code no longer uses"
