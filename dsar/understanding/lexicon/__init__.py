"""Per-language cue tables for understanding data-subject requests, and their compiler.

Each language lives in its own module (`en.py`, `fr.py`, …) as a readable `Lexicon`
table: the words that make a sentence a request, negate it or make it conditional, and
for every right the phrases, verbs and nouns that express it. The classifier
(`rights.py`) owns the logic; these modules own only data, so adding a language or a
cue never touches code.

Patterns are regular expressions over *folded* text (lower case, accents removed,
typographic apostrophes made plain: see `text.fold`), so they are written without
accents: "supprim\\w*" matches "Supprimez" and "supprimé". A tiny notation keeps them
short and generic:

- a space stands for any run of spaces/punctuation *inside* a sentence (not . ! ? ; or
  a line break; the full stop of "3." or "Art." does not count), so "delete my
  account" also matches "delete, my account";
- " ~ " is a gap of up to three words: "delete ~ {ME} {DATA}" matches "delete all of my
  personal data";
- {ME} is the language's first-person words ("my", "me"), {DATA} its words for the
  things a subject asks about (data, account, profile …).

Every pattern is anchored on word boundaries at both ends; a stem that should match
longer words says so with "\\w*".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

# Inside a sentence: anything but letters/digits and sentence ends. (The full stops of
# "3." and "Art." are blanked before matching: see rights.analyse.)
_SPACE = r"[^\w.!?;\n]+"
_GAP = _SPACE + r"(?:\w+" + _SPACE + r"){0,3}?"
# One lookbehind in front of a whole alternation, not one per branch: the regex engine
# then rejects a position inside a word at once (7x faster on a one-page letter).
_WORD_START = r"(?<!\w)"
PRIORITY = ("restriction", "automated_decision", "objection", "portability", "rectification",
            "erasure", "access")


@dataclass(frozen=True)
class Cues:
    """How one right is expressed in one language.

    phrases: self-sufficient expressions of the request ("delete my account", "unsubscribe
        me"): they count fully wherever they stand (unless negated or conditional).
    verbs: the right's action verbs ("delete", "löschen Sie"): they count fully next to a
        first-person word ({ME}) or in a sentence that asks for something, weakly alone.
    nouns: the right's names ("erasure", "Löschung"): they count fully in a sentence that
        asks for something ("I am requesting erasure"), weakly alone (a mention).
    """

    phrases: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    nouns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Everything the classifier knows about one language. See the module docstring."""

    code: str                          # ISO 639-1
    words: str                         # frequent words, for language identification
    me: str                            # first-person words, the {ME} macro
    data: str                          # data/account/profile words, the {DATA} macro
    request: tuple[str, ...]           # a sentence that asks for something ("please", "I request")
    negation: tuple[str, ...]          # single words that negate what follows ("not", "ne")
    negation_after: tuple[str, ...] = ()  # words that negate what precedes (German "nicht")
    conditional: tuple[str, ...] = ()  # clause openers that make a cue hypothetical ("if")
    contrast: tuple[str, ...] = ()     # words that start a new clause ("but", "just")
    rights: dict[str, Cues] = field(default_factory=dict)
    negated: dict[str, tuple[str, ...]] = field(default_factory=dict)  # negated verb forms (Czech "nemažte")
    chaser: tuple[tuple[str, float], ...] = ()   # (pattern, weight): a reminder about an earlier request
    gdpr: tuple[str, ...] = ()         # words that show the text is about data protection
    closings: tuple[str, ...] = ()     # letter closings ("Best regards"), whole line
    attribution: tuple[str, ...] = ()  # the line that introduces a quoted reply ("On … wrote:")
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # identity kind -> field labels
    name_intro: tuple[str, ...] = ()   # "my name is"

    # -- compiled forms (computed once per process) ---------------------------------
    def expand(self, pattern: str) -> str:
        """Apply the notation of the module docstring to one pattern."""
        p = pattern.replace("{ME}", f"(?:{self.me})").replace("{DATA}", f"(?:{self.data})")
        p = p.replace(" ~ ", _GAP).replace(" ", _SPACE)
        return rf"(?:{p})(?!\w)"   # the leading word boundary is added once per regex

    def alternation(self, patterns, flags: int = 0) -> re.Pattern | None:
        patterns = [self.expand(p) for p in patterns]
        return re.compile(_WORD_START + "(?:" + "|".join(patterns) + ")", flags) if patterns else None

    def grouped(self, kind: str) -> re.Pattern | None:
        """One regex for all rights' cues of `kind`, each right in its own named group
        (the group's name is the right), so one scan of the text finds them all."""
        parts = []
        # Where two rights' cues start at the same place the more specific wins:
        # "stop processing my data while you check" is restriction, not objection;
        # "remove me from your list" is objection, not erasure.
        for right in sorted(self.rights, key=PRIORITY.index):
            patterns = getattr(self.rights[right], kind)
            if patterns:
                parts.append(f"(?P<{right}>" + "|".join(self.expand(p) for p in patterns) + ")")
        return re.compile(_WORD_START + "(?:" + "|".join(parts) + ")") if parts else None

    @cached_property
    def compiled(self) -> "Compiled":
        return Compiled(self)


class Compiled:
    """The regexes of one Lexicon, built once."""

    def __init__(self, lex: Lexicon):
        self.phrases = lex.grouped("phrases")
        self.verbs = lex.grouped("verbs")
        self.nouns = lex.grouped("nouns")
        self.request = lex.alternation(lex.request)
        self.me = re.compile(rf"(?<!\w)(?:{lex.me})(?!\w)")
        self.data = re.compile(rf"(?<!\w)(?:{lex.data})(?!\w)")
        self.conditional = lex.alternation(lex.conditional)
        self.contrast = lex.alternation(lex.contrast)
        self.negation = frozenset(lex.negation)
        self.negation_after = frozenset(lex.negation_after)
        self.negated = [(right, lex.alternation(p)) for right, p in lex.negated.items()]
        chasers = "|".join(f"(?P<c{i}>{lex.expand(p)})" for i, (p, _) in enumerate(lex.chaser))
        self.chaser = re.compile(_WORD_START + "(?:" + chasers + ")") if chasers else None
        self.chaser_weights = {f"c{i}": w for i, (_, w) in enumerate(lex.chaser)}
        self.gdpr = lex.alternation(lex.gdpr)


def _load() -> dict[str, Lexicon]:
    from . import cs, de, el, en, es, fr, hr, it, nl, pt, ro, sv
    return {m.LEXICON.code: m.LEXICON for m in (en, fr, de, es, it, nl, pt, cs, hr, el, ro, sv)}


LEXICONS: dict[str, Lexicon] = _load()
