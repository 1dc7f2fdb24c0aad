"""The identities a message gives for its data subject: (kind, value) pairs of the kinds
the API accepts (`dsar/identities.py`): email, name, phone, customer_id.

Sources, in order: the sender's address and display name; labelled fields in the new
text and the signature ("Customer number: 40017-22", "Kd.-Nr. 123", "Nom : …",
"Phone: …" in the lexicon languages); "my name is …"; any e-mail address; phone numbers
in international form; the name under the closing formula. Quoted replies are not
read: they hold our own addresses and other people's. Values are deduplicated by the
same normalisation that matching uses.
"""
from __future__ import annotations

import re

from dsar.identities import normalize

from .lexicon import LEXICONS
from .text import fold

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])")
_PHONE_INTL = re.compile(r"(?<![\w+])(?:\+|00)[1-9][\d \-./()]{6,20}\d(?!\w)")
_PHONE_ANY = re.compile(r"(?<![\w+])\+?\d[\d \-./()]{5,20}\d(?!\w)")
_CUSTOMER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-_/.]{1,40}")
_NAME_WORD = r"[^\W\d_][^\W\d_'’.\-]*(?:[-'’][^\W\d_]+)*\.?"
_NAME = re.compile(rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,4}}")
_NOT_NAMES = frozenset({"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "admin", "info",
                        "support", "root", "daemon", "mail delivery subsystem", "mail delivery system"})
_LINKING = re.compile(r"(?:is|est|ist|es|e|è|je|ar|är|este|είναι)\s+", re.IGNORECASE)
_SEPARATOR = re.compile(r"\s*(?:[:#=]|n[o°º]\.?)?\s*")


def _label_regex() -> re.Pattern:
    """One regex for the field labels of every language, a named group per kind (a
    German customer number in an English e-mail is common, and the labels are specific
    enough not to fire on prose). Customer ids first: "user name" is one, not a name."""
    kinds = ("customer_id", "email", "phone", "name")
    groups = []
    for kind in kinds:
        labels = [label for lex in LEXICONS.values() for label in lex.labels.get(kind, ())]
        groups.append(f"(?P<{kind}>" + "|".join(labels) + ")")
    return re.compile(r"^[\s\-*•>]{0,4}(?:" + "|".join(groups) + r")(?=[\s:#=.]|$)")


_LABEL = _label_regex()
_FIELD_LINE = re.compile(r"[:\d]")     # every labelled field has a colon or a number
_HAS_DIGIT = re.compile(r"\d")
# A customer number may also stand in a sentence: "my customer number is 40017-22".
_CUSTOMER_IN_PROSE = re.compile(r"(?<!\w)(?:" + "|".join(
    label for lex in LEXICONS.values() for label in lex.labels.get("customer_id", ())) + r")(?=[\s:#=.])")
# "my name is", "je m'appelle", "ich heiße" … in one regex.
_INTRO = re.compile(r"(?<!\w)(?:" + "|".join(lex.expand(p) for lex in LEXICONS.values() for p in lex.name_intro) + ")")


def _digits(value: str) -> int:
    return len(_HAS_DIGIT.findall(value))


def looks_like_name(value: str) -> bool:
    value = value.strip()
    if not value or "@" in value or _HAS_DIGIT.search(value) or value.lower() in _NOT_NAMES:
        return False
    m = _NAME.fullmatch(value)
    return bool(m) and len(value) <= 80


def _field_value(kind: str, rest: str) -> str | None:
    """The value after a label, if it has the shape of that kind. A name needs a
    separator ("Name: Jana Novák"), or "name of the processing" would be one."""
    sep = _SEPARATOR.match(rest)
    if kind == "name" and not (sep and sep.group().strip()):
        return None
    rest = rest[sep.end():] if sep else rest
    rest = _LINKING.sub("", rest, count=1) if _LINKING.match(rest) else rest
    rest = rest.strip().rstrip(".,;")
    if kind == "email":
        m = EMAIL.search(rest)
        return m.group() if m else None
    if kind == "phone":
        m = _PHONE_ANY.match(rest)
        return m.group().strip() if m and 6 <= _digits(m.group()) <= 15 else None
    if kind == "customer_id":
        m = _CUSTOMER_ID.match(rest)
        value = m.group().rstrip(".-/") if m else ""
        return value if value and _digits(value) >= 2 else None
    if kind == "name":
        return rest if looks_like_name(rest) else None
    return None


def extract(text: str, signature: str, sender: str = "", sender_name: str = "") -> list[tuple[str, str]]:
    """Identities in the order found, deduplicated."""
    found: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, value: str) -> None:
        value = " ".join(value.split())
        if not value:
            return
        key = (kind, normalize(kind, value))
        if key not in seen:
            seen.add(key)
            found.append((kind, value.lower() if kind == "email" else value))

    sender = (sender or "").strip()
    if sender and EMAIL.fullmatch(sender):
        add("email", sender)
    name = " ".join((sender_name or "").replace('"', " ").split())
    if looks_like_name(name) and " " in name:
        add("name", name)

    body = f"{text}\n{signature}"
    folded_body = fold(body)
    for line, folded in zip(body.split("\n"), folded_body.split("\n")):
        if not _FIELD_LINE.search(line):
            continue
        m = _LABEL.match(folded)
        if m:
            value = _field_value(m.lastgroup, line[m.end():])
            if value:
                add(m.lastgroup, value)
    for m in _CUSTOMER_IN_PROSE.finditer(folded_body):
        value = _field_value("customer_id", body[m.end():m.end() + 60].split("\n", 1)[0])
        if value:
            add("customer_id", value)
    for m in _INTRO.finditer(folded_body):
        # "My name is Oliver Bennett and …": the capitalised words right after.
        words = []
        for word in body[m.end():m.end() + 80].split():
            word = word.strip(",.;:!?")
            if not word[:1].isupper() or len(words) == 4:
                break
            words.append(word)
        candidate = " ".join(words)
        if len(words) >= 2 and looks_like_name(candidate):
            add("name", candidate)
    for m in EMAIL.finditer(body):
        add("email", m.group())
    for m in _PHONE_INTL.finditer(body):
        if 8 <= _digits(m.group()) <= 15:
            add("phone", m.group().strip())
    _signature_name(signature, add)
    return found


def _signature_name(signature: str, add) -> None:
    """The first line under the closing formula, when it is a name ("Jana Novák")."""
    lines = [ln.strip() for ln in signature.splitlines() if ln.strip()]
    for line in lines[1:3]:
        line = line.rstrip(",")
        words = line.split()
        if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and looks_like_name(line):
            add("name", line)
            return
