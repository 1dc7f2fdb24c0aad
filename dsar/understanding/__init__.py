"""Understanding a data-subject request: which rights it asks for, in which language, who
the subject is, whether it chases an earlier request, and how sure we are.

    understand(text, subject=…, sender=…, sender_name=…) -> Understanding
    understand_email(parse_email(raw)) -> Understanding

The pipeline: `text.split_reply` keeps only the new text (quoted replies and the
signature go), `language.detect` names its language, `rights.analyse` weighs the cues of
that language's lexicon (and English's) into rights, a chaser score and evidence, and
`identities.extract` collects the subject's identities. `confident` is False whenever a
human should look: evidence for a right that is neither clear nor absent, a right both
asked for and refused ("delete … don't delete"), a chaser we cannot tie to a request,
or a text with no language to read (empty, garbage, or a scanned letter attached).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass, replace
from email.utils import parseaddr

from dsar.requests.references import REFERENCE_PATTERN, is_reference

from . import identities as _identities
from .language import decide as decide_language, detect, scores as language_scores, supported
from .lexicon import LEXICONS
from .rights import RIGHTS, Analysis, analyse
from .text import fold, forwarded_message, sentences, split_reply

__all__ = ["RIGHTS", "Understanding", "understand", "understand_email"]

_REFERENCE = re.compile(REFERENCE_PATTERN.pattern, re.IGNORECASE)
# "Re:", "AW:", "Fwd:" … : the subject of a reply is usually ours, so it says nothing
# about what the sender asks for (it may well name the right of *our* message).
_REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|fw|fwd|wg|tr|rv|r|sv|vs|odp|ant|πρ|ha)\s*(?:\[\d+\])?\s*:", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|tr|wg|rv|i|doorst|enc|vs|pr)\s*:", re.IGNORECASE)
_CORRECTION_INTRO = re.compile(r":\s*$")
# The first this many characters of the new text are read: a request is said at the top,
# and the cost of reading stays bounded for a pasted log or a huge HTML newsletter.
MAX_READ = 30_000
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


@dataclass
class Understanding:
    is_request: bool
    rights: list[str]
    language: str | None
    identities: list[tuple[str, str]]
    chaser: bool
    references: list[str]
    confident: bool
    reasons: list[str]
    new_text: str
    corrections: str | None = None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["identities"] = [{"kind": k, "value": v} for k, v in self.identities]
        return data


def understand(text: str, *, subject: str = "", sender: str = "", sender_name: str = "") -> Understanding:
    """What `text` (a message's body as plain text) asks for; the subject line counts
    too unless it is a reply's, and the sender's address and name are identities."""
    text = text or ""
    subject = " ".join((subject or "").split())
    split = split_reply(text)
    result = _understand(split, text, subject, sender, sender_name)
    if not result.is_request and split.below and (split.forward or _FORWARD_SUBJECT.match(subject)):
        # A forwarded request ("please handle the request below"): a controller passing on
        # what its customer wrote, or a subject forwarding an earlier request of theirs.
        return _forwarded(split.below, result) or result
    return result


def _forwarded(below: str, outer: Understanding) -> Understanding | None:
    """The understanding of the forwarded message, with the outer message's identities
    and references added; None when the forwarded message is not a request either."""
    from_value, subject, body = forwarded_message(below)
    name, address = parseaddr(from_value.replace("[mailto:", "<").replace("]", ">"))
    inner = understand(body, subject=subject, sender=address, sender_name=name if name != address else "")
    if not inner.is_request:
        return None
    return replace(inner,
                   identities=list(dict.fromkeys(inner.identities + outer.identities)),
                   references=list(dict.fromkeys(outer.references + inner.references)),
                   reasons=["forwarded: the request is the forwarded message"] + inner.reasons)


def _understand(split, text: str, subject: str, sender: str, sender_name: str) -> Understanding:
    new = split.new
    read = new[:MAX_READ]
    folded = fold(read)
    ranked = language_scores(read, folded)
    language = decide_language(read, ranked) or detect(subject)
    # English cues too when some English shows (senders mix it in), or every lexicon
    # when the language is unknown (a short text: the cues themselves will tell).
    langs = list(LEXICONS) if not supported(language) else [language] + (
        ["en"] if language != "en" and ranked.get("en", 0) >= max(1.0, 0.3 * ranked.get(language, 0)) else [])

    spans = sentences(read, folded)
    analysis = analyse(read, folded, spans, langs)
    if subject and not _REPLY_SUBJECT.match(subject):
        folded_subject = fold(subject)
        # A subject line is a title: "Erasure request", "Auskunftsersuchen": its nouns ask.
        analysis.absorb(analyse(subject, folded_subject, [(0, len(subject))], langs, always_asks=True))

    if language is None and analysis.by_language:
        # Too few known words to tell ("unsubscribe me"): the lexicon whose cues matched knows.
        code, found = max(analysis.by_language.items(), key=lambda kv: kv[1])
        language = code if found > 0 else None
    rights = analysis.rights
    references = _references(subject, text)
    # A reminder that quotes one of our references chases that request, whatever else.
    chaser = analysis.is_chaser or (analysis.chaser > 0 and bool(references))
    is_request = bool(rights) or chaser
    confident, doubts = _confidence(analysis, rights, is_request, chaser, references, language, read)
    return Understanding(
        is_request=is_request,
        rights=rights,
        language=language,
        identities=_identities.extract(read, split.signature[:MAX_READ], sender, sender_name),
        chaser=chaser,
        references=references,
        confident=confident,
        reasons=_reasons(analysis, rights, chaser) + doubts,
        new_text=new,
        corrections=_corrections(read, spans, analysis) if "rectification" in rights else None,
    )


def understand_email(parsed) -> Understanding:
    """Understand a `dsar.mail.parse.ParsedEmail`. Automatic replies and bounces are not
    requests, and we are sure of it (their headers say so)."""
    if parsed.auto:
        split = split_reply(parsed.text or "")
        return Understanding(is_request=False, rights=[], language=detect(split.new) or detect(parsed.subject),
                             identities=[], chaser=False, references=_references(parsed.subject, parsed.text or ""),
                             confident=True, reasons=[f"automatic message ({parsed.auto})"], new_text=split.new)
    return understand(parsed.text, subject=parsed.subject, sender=parsed.sender, sender_name=parsed.sender_name)


def _references(subject: str, text: str) -> list[str]:
    found: list[str] = []
    for m in _REFERENCE.finditer(f"{subject}\n{text}"):
        ref = m.group().upper()
        if is_reference(ref) and ref not in found:
            found.append(ref)
    return found


def _unreadable(text: str) -> bool:
    """More than a tenth control characters or replacement marks."""
    if not text:
        return False
    return len(_UNREADABLE.findall(text)) * 10 > len(text)


def _confidence(analysis: Analysis, rights, is_request, chaser, references, language,
                text: str) -> tuple[bool, list[str]]:
    doubts = [f"unsure: {r} (evidence {analysis.scores[r]:.1f} of {1.0:.1f})" for r in analysis.ambiguous]
    doubts += [f"conflict: {r} both asked for and negated" for r in rights if r in analysis.negated]
    if is_request and not rights and not references:
        doubts.append("chaser: no right and no reference to tie it to a request")
    if language is not None and not supported(language):
        doubts.append(f"written in a language we have no cues for ({language}): a human must read it")
    if _unreadable(text):
        doubts.append("much of the text is unreadable (binary data or a broken encoding)")
    if not is_request:
        if language is None:
            doubts.append("no language recognised: nothing to read")
        elif analysis.gdpr:
            doubts.append("mentions data protection, but asks for no clear right")
        elif analysis.negated:
            doubts.append("only negated requests")
        elif analysis.chaser > 0:
            doubts.append("looks like a reminder, but not clearly")
    return not doubts, doubts


def _reasons(analysis: Analysis, rights: list[str], chaser: bool) -> list[str]:
    reasons = []
    for right in rights:
        ev = analysis.best.get(right)
        quote = f"'{_short(ev.quote)}'" if ev else ""
        art = analysis.articles.get(right)
        reasons.append(f"{right}: {quote}" + (f" (Art. {art})" if art else ""))
    if chaser:
        reasons.append(f"chaser: '{_short(analysis.chaser_quote)}'")
    for right, ev in analysis.negated.items():
        reasons.append(f"negated: '{_short(ev.quote)}'")
    if not rights and not chaser:
        reasons.append("no request for a data-subject right found")
    return reasons


def _short(quote: str, limit: int = 80) -> str:
    return quote if len(quote) <= limit else quote[:limit - 1] + "…"


def _corrections(text: str, spans, analysis: Analysis) -> str | None:
    """The passage that says what to correct: the sentences holding rectification
    phrases ("my address is wrong, it should be …"), and the line after one that
    announces the changes ("Please make the following changes:")."""
    starts = [s for s, _ in spans]
    picked: list[tuple[int, int]] = []
    for ev in sorted(analysis.evidence, key=lambda e: e.start):
        if ev.right != "rectification" or ev.kind != "phrase" or ev.in_subject:
            continue
        i = bisect.bisect_right(starts, ev.start) - 1
        if i < 0 or ev.start >= spans[i][1]:
            continue
        if _CORRECTION_INTRO.search(text[spans[i][0]:spans[i][1]]) and i + 1 < len(spans):
            i += 1
        if spans[i] not in picked:
            picked.append(spans[i])
        if len(picked) >= 10:
            break
    passage = "\n".join(text[s:e].strip() for s, e in sorted(picked)).strip()
    return passage or None
