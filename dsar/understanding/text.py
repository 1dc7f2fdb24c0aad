"""Text plumbing: folding for matching, sentence spans, separating the new text of an
email from the quoted reply and the signature below it, and reading the header block
of a forwarded message.

`fold` keeps the string's length, so a match found in the folded text quotes the
original text at the same offsets (the evidence shown to a human keeps its accents).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .lexicon import LEXICONS


class _FoldTable(dict):
    """str.translate table, filled lazily: each character to one lower-case, accent-free
    character (or itself when that would change the length)."""

    _SPECIAL = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'",
                "\u00a0": " ", "\u200b": " ", "\u200c": " ", "\u200d": " ", "\ufeff": " ",
                "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u00ad": "-",
                "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'}

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        out = self._SPECIAL.get(ch)
        if out is None:
            low = ch.lower()
            low = low if len(low) == 1 else ch
            base = "".join(c for c in unicodedata.normalize("NFKD", low) if not unicodedata.combining(c))
            out = base if len(base) == 1 else low
        self[code] = out
        return out


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, strip accents, plain apostrophes/dashes/spaces; same length as `text`."""
    low = text.lower()  # whole-string lower() gets Greek final sigma right
    if len(low) != len(text):
        low = text
    return low.translate(_FOLD)


# -- sentences ------------------------------------------------------------------------
# Abbreviations after which a full stop does not end a sentence (folded).
_ABBREVIATIONS = frozenset("""art arts abs nr no nos lit vgl bzw ca dr mr mrs ms st cf z b e g i p ex ej
    tel odst cl str bod ggf usw etc inkl sog sr sra srta pag al par let vs resp ph jr sen
    bspw evtl ggfs zb dh ua pp""".split())
_END = re.compile(r"[.!?;]+(?=\s)|\n")


def sentences(text: str, folded: str) -> list[tuple[int, int]]:
    """Spans of the sentences of `text`: a line break always ends one; . ! ? ; end one
    unless the full stop follows an abbreviation ("Art. 15", "z. B.") or a number
    ("Article 15. GDPR"), or the next word starts in lower case."""
    spans, start = [], 0
    for m in _END.finditer(text):
        end = m.end()
        if m.group() != "\n" and m.group() == ".":
            before = re.search(r"(\w+)\.$", folded[max(0, m.start() - 12):m.end()])
            word = before.group(1) if before else ""
            nxt = text[end:end + 3].lstrip()[:1]
            if word in _ABBREVIATIONS or word.isdigit() or (nxt and not (nxt.isupper() or nxt in "\"'(«")):
                continue
        if text[start:end].strip():
            spans.append((start, end))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


# -- new text / quote / signature ------------------------------------------------------
def _alternation(attr: str) -> re.Pattern:
    parts = [f"(?:{p})" for lex in LEXICONS.values() for p in getattr(lex, attr)]
    return re.compile("|".join(parts))


_ATTRIBUTION = _alternation("attribution")
_CLOSING = re.compile(r"^\W*(?:" + "|".join(f"(?:{p})" for lex in LEXICONS.values() for p in lex.closings)
                      + r")\W*$")
# An Outlook-style header block: "From: …" followed closely by "Sent:"/"To:"/"Subject:".
_HEADER_FROM = re.compile(r"^\*?(?:from|de|von|van|da|od|fran|απο|de la|fra|от)\s*:\*?\s*\S")
_HEADER_NEXT = re.compile(r"^\*?(?:sent|date|to|subject|cc|envoye|a|objet|gesendet|datum|an|betreff|enviado|fecha|"
                          r"para|asunto|inviato|data|oggetto|verzonden|aan|onderwerp|enviada|assunto|odeslano|"
                          r"komu|predmet|poslano|za|skickat|till|amne|σταλθηκε|προς|θεμα|trimis|catre|subiect)\s*:")
_SIGNATURE_DELIMITER = re.compile(r"^(?:--|-- |__+|—)\s*$")
_MOBILE = re.compile(r"^(?:sent from my|envoye de mon|von meinem \w+ gesendet|enviado desde mi|inviato da|"
                     r"verzonden (?:vanaf|met) mijn|enviado do meu|odeslano z|poslano s|skickat fran min)\b")
# A line of prose (a sentence, not a name or a phone number) cannot be part of a signature.
_PROSE = re.compile(r"(?:\w+\W+){7,}\w|\w+\W+\w+\W+\w+[.!?]$")
_SIGNATURE_LINES = 6      # a closing is followed by at most this many short lines ...
_SIGNATURE_WIDTH = 80     # ... each at most this long


def _header_block(folded: list[str], i: int) -> bool:
    """Does line i start an Outlook-style header block ("From: …" then "Sent:", "To:" …)?"""
    return i < len(folded) and bool(_HEADER_FROM.match(folded[i])) and any(
        _HEADER_NEXT.match(g) for g in folded[i + 1:i + 6])


def _maybe_attribution(line: str) -> bool:
    """Cheap test before the attribution regexes: they all end in ':' or hold dashes."""
    return line.endswith(":") or "--" in line or line.startswith("begin forwarded")


@dataclass
class Split:
    new: str          # what the sender wrote now
    signature: str    # closing formula and what follows it
    quoted: str       # replies and forwards below (or interleaved)
    below: str = ""   # the text from the reply/forward marker down (not ">"-quoted)
    forward: bool = False   # `below` is a forwarded message, by its marker or header block


# The words of a forward marker ("---------- Forwarded message ---------", "Begin
# forwarded message:", "-------- Message transféré --------") or of a forwarded
# header block's subject ("Subject: Fwd: …", "Objet : TR : …", "Betreff: WG: …").
_FORWARD = re.compile(r"forward|transfere|weitergeleitet|reenviado|inoltrato|doorgestuurd|encaminhad|preposlan|"
                      r"proslijeden|προωθ|redirectionat|vidarebefordrat|^(?:fwd?|tr|wg|rv|i|doorst|enc|vs)\s*:")
_FROM_NAMES = r"from|de|von|van|da|od|fran|απο|de la|fra"
_SUBJECT_NAMES = r"subject|objet|betreff|asunto|oggetto|onderwerp|assunto|predmet|amne|θεμα|subiect"
_HEADER_LINE = re.compile(r"^\*?([^\W\d][\w -]{0,20}?)\s*:\*?\s*(.*)$")


def split_reply(text: str) -> Split:
    """Separate new text, signature and quoted material (see the module docstring)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    folded = [line.strip() for line in fold(text).split("\n")]
    keep: list[int] = []
    quoted: list[str] = []
    cut = len(lines)   # everything from here on is quoted (a forward or an unprefixed reply)
    forward = False
    sig_at = None
    i = 0
    while i < len(lines):
        f = folded[i]
        if f.startswith(">"):
            quoted.append(lines[i])
            i += 1
            continue
        two = f + " " + folded[i + 1] if i + 1 < len(lines) else f
        if (_maybe_attribution(f) or _maybe_attribution(two)) and (_ATTRIBUTION.match(f) or (
                i + 1 < len(lines) and f and _ATTRIBUTION.match(two) and not folded[i + 1].startswith(">"))):
            span = 1 if _ATTRIBUTION.match(f) else 2
            following = next((g for g in folded[i + span:] if g), "")
            if following.startswith(">"):
                i += span      # an attribution above ">" lines: the text below may answer inline
                continue
            cut, forward = i, bool(_FORWARD.search(f))
            break
        if _header_block(folded, i) or (_SIGNATURE_DELIMITER.match(f) and _header_block(folded, i + 1)):
            cut, forward = i, False       # Outlook: "From: … Sent: …", maybe under a line of "_"
            break
        if _SIGNATURE_DELIMITER.match(lines[i].rstrip("\n")) or _MOBILE.match(f):
            sig_at = len(keep)
            keep.extend(range(i, len(lines)))
            break
        keep.append(i)
        i += 1
    quoted.extend(lines[cut:])
    if sig_at is None:
        sig_at = _closing_index([folded[k] for k in keep], [lines[k] for k in keep])
    new = "\n".join(lines[k] for k in keep[:sig_at]).strip()
    signature = "\n".join(lines[k] for k in keep[sig_at:]).strip()
    below = "\n".join(lines[cut:]).strip()
    if below and not forward:       # an Outlook block is a forward when its subject says so
        subject = forwarded_message(below)[2]
        forward = bool(_FORWARD.search(fold(subject).strip()))
    return Split(new=new, signature=signature, quoted="\n".join(quoted).strip(), below=below, forward=forward)


def forwarded_message(below: str) -> tuple[str, str, str]:
    """(From value, Subject value, body) of a forwarded or quoted message: the header
    block under the marker ("From: …", "Subject: …", in the lexicon languages), then
    the text."""
    lines = below.split("\n")
    i = 0
    while i < len(lines) and (not lines[i].strip() or _ATTRIBUTION.match(fold(lines[i]).strip())
                              or _SIGNATURE_DELIMITER.match(lines[i].strip())):
        i += 1      # the marker, the separator line, blank lines
    sender = subject = ""
    while i < len(lines) and lines[i].strip():
        m = _HEADER_LINE.match(fold(lines[i]).strip())
        if not m:
            break
        value = lines[i].split(":", 1)[1].strip().strip("*").strip()
        if re.fullmatch(_FROM_NAMES, m.group(1)):
            sender = sender or value
        elif re.fullmatch(_SUBJECT_NAMES, m.group(1)):
            subject = subject or value
        i += 1
    return sender, subject, "\n".join(lines[i:]).strip()


def _closing_index(folded: list[str], lines: list[str]) -> int:
    """Index of the closing formula that starts the signature (len(lines) if none): the
    earliest closing line followed only by closings and a few short lines."""
    best = len(lines)
    others = 0
    for k in range(len(lines) - 1, -1, -1):
        f = folded[k]
        if not f:
            continue
        if _CLOSING.match(f):
            best = k
            continue
        others += 1
        if others > _SIGNATURE_LINES or len(lines[k]) > _SIGNATURE_WIDTH or _PROSE.search(f):
            break
    if not any(folded[:best]):
        return len(lines)      # nothing above the closing: "Thanks for your help!" is the message
    return best
