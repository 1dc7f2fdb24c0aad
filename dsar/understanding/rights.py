"""Which rights a text asks for, how sure we are, and why.

The text is scanned, per language (the detected one, plus English, which many senders
mix in), for the cues of `lexicon/`. Every cue found is *evidence* with a weight:

| evidence | weight |
|---|---|
| a phrase ("delete my account", "unsubscribe me") | 1.0 |
| a verb in a sentence that asks or next to a first-person word, with a data-like object near ("please erase my data") | 1.0 |
| the same without such an object ("please remove the item from my cart") | 0.6 |
| a verb alone | 0.4 |
| a noun after a request marker in its sentence ("I request … erasure") | 1.0 |
| a noun before the marker | 0.5 |
| a noun alone (a mention: "you have to confirm the erasure") | 0.3 |
| an article number ("Art. 17") in a sentence that asks, or that chases an earlier request | 1.0 |
| an article number alone (a citation: "the exception of Article 17(3)") | 0.2 |

and then weighed by its context:

- negated (a negation word shortly before it in its clause, or after it in German,
  Dutch and Swedish: "bitte löschen Sie mein Konto nicht"): it counts 0 and is reported;
- hypothetical (after "if"/"si"/"falls" in its clause, with no request marker in
  between: "If you object to the requested erasure, …", "tell me if the objection
  will result in the deletion of an account"): it counts 0;
- an article number in a sentence where another right's cue stands and none of its own
  ("I request access to information on automated decisions, Art. 22"): it counts 0,
  because it qualifies that other right. (The access letters' "referred to in Article
  22(1) and (4)" stands in a list item that asks nothing: 0.2, no request for human
  review either way.)

A right is asked for when its evidence adds up to 1.0; evidence between 0.5 and 1.0
is *ambiguous* and makes the result not confident.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from dsar.models.rights import RIGHT_NAMES as RIGHTS

from .lexicon import LEXICONS, Lexicon

THRESHOLD = 1.0        # evidence for a right to count as asked for
AMBIGUOUS = 0.5        # evidence from here to THRESHOLD: a human must look
CHASER_THRESHOLD = 1.0

W_PHRASE, W_VERB_CONTEXT, W_VERB_NO_OBJECT, W_VERB = 1.0, 1.0, 0.6, 0.4
W_NOUN_GOVERNED, W_NOUN_BEFORE, W_NOUN = 1.0, 0.5, 0.3
W_ARTICLE_CONTEXT, W_ARTICLE = 1.0, 0.2
_NEGATION_WINDOW = 3   # words before (or after) a cue that a negation reaches
_REACH = 80            # characters around a cue that are read for its negation

# GDPR articles that grant the rights (Art. 15-22; 19 is a notification duty).
ARTICLE_RIGHTS = {15: "access", 16: "rectification", 17: "erasure", 18: "restriction",
                  20: "portability", 21: "objection", 22: "automated_decision"}
# "Article 17", "Art. 17", "Artikel 17", "artículo 17", "článku 17", "članka 17.",
# "άρθρο 17", "Articolul 17", "§ 17" (folded forms).
_ARTICLE = re.compile(r"(?<!\w)(?:art(?:icles?|ikel|iculo|icolo|igo|icolul|icle|s)?\.?|cl(?:anek|anku|ankem|anak|anka"
                      r"|ankom|\.)|αρθρ(?:ο|ου|α)|§)\s*(\d{1,3})(?!\d)")
_WORD = re.compile(r"\w+")
_INNER_STOP = re.compile(r"(?<!\w)(art|abs|nr|cl|lit|odst|\d+)\.(?=[ \t])")


@dataclass
class Evidence:
    right: str
    weight: float
    start: int
    end: int
    kind: str            # phrase, verb, noun, article
    article: int | None = None
    quote: str = ""      # the words in the original text, for the reasons shown to a human
    in_subject: bool = False


@dataclass
class Analysis:
    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys(RIGHTS, 0.0))
    evidence: list[Evidence] = field(default_factory=list)
    best: dict[str, Evidence] = field(default_factory=dict)        # strongest evidence per right
    articles: dict[str, int] = field(default_factory=dict)         # right -> article cited for it
    negated: dict[str, Evidence] = field(default_factory=dict)
    chaser: float = 0.0
    chaser_quote: str = ""
    gdpr: bool = False
    by_language: dict[str, float] = field(default_factory=dict)  # evidence found by each lexicon

    def add(self, ev: Evidence) -> None:
        self.evidence.append(ev)
        self.scores[ev.right] += ev.weight
        if ev.kind == "article" and ev.weight >= W_ARTICLE_CONTEXT:
            self.articles.setdefault(ev.right, ev.article)
        if ev.right not in self.best or ev.weight > self.best[ev.right].weight:
            self.best[ev.right] = ev

    def absorb(self, other: "Analysis") -> None:
        """Add another text's evidence (the subject line's) to this one."""
        for ev in other.evidence:
            ev.in_subject = True
            self.add(ev)
        for right, ev in other.negated.items():
            self.negated.setdefault(right, ev)
        self.chaser += other.chaser
        self.chaser_quote = self.chaser_quote or other.chaser_quote
        self.gdpr = self.gdpr or other.gdpr

    @property
    def rights(self) -> list[str]:
        return [r for r in RIGHTS if self.scores[r] >= THRESHOLD]

    @property
    def ambiguous(self) -> list[str]:
        return [r for r in RIGHTS if AMBIGUOUS <= self.scores[r] < THRESHOLD]

    @property
    def is_chaser(self) -> bool:
        return self.chaser >= CHASER_THRESHOLD


class _Context:
    """Where the sentences, clauses and request markers of one text are, for one language."""

    def __init__(self, text: str, folded: str, spans: list[tuple[int, int]], lex: Lexicon, always_asks: bool):
        self.text, self.folded, self.spans, self.c = text, folded, spans, lex.compiled
        self.starts = [s for s, _ in spans]
        self.markers: dict[int, list[int]] = {}           # sentence -> request marker positions
        if self.c.request:
            for m in self.c.request.finditer(folded):      # in order: each list stays sorted
                self.markers.setdefault(self.sentence(m.start()), []).append(m.start())
        self.always_asks = always_asks                   # a subject line "Erasure request"
        bounds = [m.start() for m in re.finditer(r"[,;:()\[\]\"]| - ", folded)]
        if self.c.contrast:
            bounds += [m.start() for m in self.c.contrast.finditer(folded)]
        self.bounds = sorted(bounds)
        self.conditionals = [m.start() for m in self.c.conditional.finditer(folded)] if self.c.conditional else []

    def sentence(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def clause(self, start: int, end: int) -> tuple[int, int]:
        s_start, s_end = self.spans[self.sentence(start)] if self.spans else (0, len(self.folded))
        i = bisect.bisect_right(self.bounds, start) - 1
        c_start = max(s_start, self.bounds[i] + 1) if i >= 0 else s_start
        j = bisect.bisect_left(self.bounds, end)
        c_end = min(s_end, self.bounds[j]) if j < len(self.bounds) else s_end
        return c_start, c_end

    def asks(self, pos: int) -> bool:
        return self.always_asks or self.sentence(pos) in self.markers

    def add_marker(self, pos: int) -> None:
        bisect.insort(self.markers.setdefault(self.sentence(pos), []), pos)

    def marker_between(self, lo: int, hi: int) -> bool:
        """A request marker in the sentence of `hi`, strictly between lo and hi."""
        markers = self.markers.get(self.sentence(hi), ())
        i = bisect.bisect_right(markers, lo)
        return i < len(markers) and markers[i] < hi

    def asks_before(self, pos: int) -> bool:
        return self.always_asks or self.marker_between(-1, pos)

    def negated(self, start: int, end: int, right: str = "") -> bool:
        # Every window is bounded (_REACH characters): a long text of repeated cues stays linear.
        c_start, c_end = self.clause(start, end)
        before = _WORD.findall(self.folded[max(c_start, start - _REACH):start])[-_NEGATION_WINDOW:]
        if any(w in self.c.negation for w in before):
            return True
        if self.c.negation_after:
            after = _WORD.findall(self.folded[end:min(c_end, end + _REACH)])[:_NEGATION_WINDOW + 1]
            # Where the negation follows the verb it may fall inside a phrase ("radera inte
            # mitt konto"); objection is spared: its phrases negate on purpose ("vill inte ha").
            inside = _WORD.findall(self.folded[start:end])[1:_NEGATION_WINDOW] if right != "objection" else []
            return any(w in self.c.negation_after for w in after + inside)
        return False

    def evidence(self, right: str, weight: float, start: int, end: int, kind: str,
                 article: int | None = None, negated: bool = False) -> Evidence:
        """Evidence quoting the original text (from the clause start when negated, so the
        negation shows)."""
        q_start, q_end = start, end
        if negated:
            c_start, c_end = self.clause(start, end)
            q_start, q_end = max(c_start, start - 30), (min(c_end, end + 30) if self.c.negation_after else end)
        quote = " ".join(self.text[q_start:q_end].split())
        return Evidence(right, weight, start, end, kind, article, quote)

    def hypothetical(self, start: int, whole_sentence: bool = False) -> bool:
        """A conditional word earlier in the clause (in the sentence, for a noun: "tell me
        if the objection will result in the deletion of an account, the cancellation of
        a contract"), and no request marker after it."""
        c_start = self.spans[self.sentence(start)][0] if whole_sentence and self.spans else self.clause(start, start)[0]
        i = bisect.bisect_left(self.conditionals, start) - 1     # the last conditional before the cue
        if i < 0 or self.conditionals[i] < c_start:
            return False
        return not self.marker_between(self.conditionals[i], start)


def analyse(text: str, folded: str, spans: list[tuple[int, int]], langs: list[str],
            always_asks: bool = False) -> Analysis:
    """The evidence for each right in `text` (already folded and split into sentences)."""
    # The full stop of a number or an abbreviation does not end a phrase: "Ich habe am
    # 3. März eine Anfrage nach Art. 15 gestellt" (same length: offsets still hold).
    folded = _INNER_STOP.sub(lambda m: m.group(1) + " ", folded)
    result: Analysis | None = None
    for code in langs:
        lex = LEXICONS[code]
        ctx = _Context(text, folded, spans, lex, always_asks)
        chaser = Analysis()
        _chaser(ctx, chaser)         # first: a sentence that chases asks again ("my erasure request of …")
        part = _cues(ctx)
        part.chaser, part.chaser_quote = chaser.chaser, chaser.chaser_quote
        _articles(ctx, part)
        if lex.compiled.gdpr and lex.compiled.gdpr.search(folded):
            part.gdpr = True
        found = sum(part.scores.values()) + part.chaser
        result = part if result is None else _max(result, part)
        result.by_language[code] = found
    return result or Analysis()


def _max(a: Analysis, b: Analysis) -> Analysis:
    """Combine the analyses of two lexicons: per right the stronger one (the same
    sentence must not count twice because two languages both know the word "GDPR")."""
    out = Analysis()
    for right in RIGHTS:
        src = a if a.scores[right] >= b.scores[right] else b
        out.scores[right] = src.scores[right]
        out.evidence.extend(ev for ev in src.evidence if ev.right == right)
        if right in src.best:
            out.best[right] = src.best[right]
        if right in src.articles:
            out.articles[right] = src.articles[right]
        neg = a.negated.get(right) or b.negated.get(right)
        if neg:
            out.negated[right] = neg
    out.chaser = max(a.chaser, b.chaser)
    out.chaser_quote = a.chaser_quote if a.chaser >= b.chaser else b.chaser_quote
    out.gdpr = a.gdpr or b.gdpr
    out.by_language = {**a.by_language, **b.by_language}
    return out


def _cues(ctx: _Context) -> Analysis:
    result = Analysis()
    taken_starts: list[int] = []        # phrases (found in order): a verb or noun inside one is not counted again
    taken_ends: list[int] = []
    for kind in ("phrases", "verbs", "nouns"):
        regex = getattr(ctx.c, kind)
        if regex is None:
            continue
        for m in regex.finditer(ctx.folded):
            start, end = m.span()
            if kind != "phrases":
                i = bisect.bisect_right(taken_starts, start) - 1
                if i >= 0 and start < taken_ends[i]:
                    continue
            right = m.lastgroup
            if ctx.negated(start, end, right):
                result.negated.setdefault(right, ctx.evidence(right, 0.0, start, end, kind[:-1], negated=True))
                continue
            if ctx.hypothetical(start, whole_sentence=kind == "nouns"):
                continue
            ev = ctx.evidence(right, _weight(ctx, kind, start, end), start, end, kind[:-1])
            if kind == "phrases":
                taken_starts.append(start)
                taken_ends.append(end)
            result.add(ev)
    for right, regex in ctx.c.negated:
        if regex is not None:
            m = regex.search(ctx.folded)
            if m:
                result.negated.setdefault(right, ctx.evidence(right, 0.0, m.start(), m.end(), "verb", negated=True))
    return result


def _weight(ctx: _Context, kind: str, start: int, end: int) -> float:
    if kind == "phrases":
        return W_PHRASE
    if kind == "verbs":
        # "Please erase my data" asks; "please remove the item from my cart" may not:
        # a verb counts fully only with a data-like object near it.
        c_start, c_end = ctx.clause(start, end)
        near = ctx.folded[max(c_start, start - 40):min(c_end, end + 40)]
        if ctx.asks(start) or ctx.c.me.search(near):
            return W_VERB_CONTEXT if ctx.c.data.search(near) else W_VERB_NO_OBJECT
        return W_VERB
    if ctx.asks_before(start):
        return W_NOUN_GOVERNED
    return W_NOUN_BEFORE if ctx.asks(start) else W_NOUN


def _chaser(ctx: _Context, result: Analysis) -> None:
    if ctx.c.chaser is None:
        return
    seen: set[str] = set()
    for m in ctx.c.chaser.finditer(ctx.folded):
        if m.lastgroup in seen or ctx.hypothetical(m.start()):
            continue
        seen.add(m.lastgroup)      # each kind of chaser cue counts once
        result.chaser += ctx.c.chaser_weights[m.lastgroup]
        result.chaser_quote = result.chaser_quote or " ".join(ctx.text[m.start():m.end()].split())
        # The sentence that chases asks again: "I sent you a request under Art. 17".
        ctx.add_marker(m.start())


def _articles(ctx: _Context, result: Analysis) -> None:
    cue_rights: dict[int, set[str]] = {}      # sentence -> rights with a (non-article) cue in it
    for ev in result.evidence:
        cue_rights.setdefault(ctx.sentence(ev.start), set()).add(ev.right)
    for m in _ARTICLE.finditer(ctx.folded):
        right = ARTICLE_RIGHTS.get(int(m.group(1)))
        if right is None:
            continue
        start, end = m.span()
        sentence = ctx.sentence(start)
        others = cue_rights.get(sentence, ())
        if others and right not in others:
            continue   # qualifies another right's request (see the module docstring)
        if ctx.negated(start, end) or ctx.hypothetical(start):
            continue   # "you cannot claim an exception under Art. 17(3)": a citation, not a refusal
        weight = W_ARTICLE_CONTEXT if ctx.asks(start) else W_ARTICLE
        result.add(ctx.evidence(right, weight, start, end, "article", int(m.group(1))))
