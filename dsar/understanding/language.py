"""Language identification among the lexicon languages, robust on one-line emails.

Two opinions, combined by `decide`:

- a character n-gram model, py3langid (langid.py's model, shipped in the package, works
  offline), restricted to the lexicon languages: it knows general text ("Mi pedido
  todavía no ha llegado"), ~0.04 ms for a line and ~0.25 ms for a one-page letter;
- word evidence (`scores`): the frequent words of each language (`Lexicon.words`,
  which include the request vocabulary; a word shared by several languages counts for
  each a share), plus letters only some of the languages write (ř, ß, ñ, å, ș, Greek
  script …), capped so that a long text is decided by its words. It is what tells the
  model's near-ties apart on very short requests, and it decides alone when py3langid
  is not installed.

None when there is nothing to go on: no letter at all, or neither opinion sure.
"""
from __future__ import annotations

import copy
import re
from collections import defaultdict

from .lexicon import LEXICONS
from .text import fold

_WORD = re.compile(r"\w+")


def _word_table() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = defaultdict(set)
    for code, lex in LEXICONS.items():
        for word in fold(lex.words).split():
            table[word].add(code)
    return {w: tuple(sorted(langs)) for w, langs in table.items()}


WORD_LANGS = _word_table()

# Letters that narrow the choice (lower case, before folding): letter -> languages.
_LETTERS = {
    "ř": "cs", "ů": "cs", "ě": "cs", "ý": "cs", "ť": "cs", "ď": "cs", "ň": "cs",
    "č": "cs hr", "š": "cs hr", "ž": "cs hr", "đ": "hr", "ć": "hr",
    "ß": "de", "ü": "de", "ä": "de sv", "ö": "de sv", "å": "sv",
    "ñ": "es", "¿": "es", "¡": "es",
    "ã": "pt", "õ": "pt", "ç": "fr pt", "ê": "fr pt", "ô": "fr pt",
    "è": "fr it", "à": "fr it pt", "ù": "fr it", "û": "fr", "œ": "fr", "ë": "fr nl", "ï": "fr nl",
    "ì": "it", "ò": "it",
    "ș": "ro", "ş": "ro", "ț": "ro", "ţ": "ro", "ă": "ro", "î": "ro fr", "â": "ro fr pt",
    "ĳ": "nl",
}
_LETTERS = {ch: tuple(langs.split()) for ch, langs in _LETTERS.items()}
_TELLING = re.compile("[" + "".join(_LETTERS) + "\u0370-\u03ff\u1f00-\u1fff]")
_LETTER_WEIGHT = 0.5
_LETTER_CAP = 4.0
_MINIMUM = 1.0     # below this score: no language
_MIN_WORDS = 0.3   # word evidence a language needs before its letters count


def scores(text: str, folded: str | None = None) -> dict[str, float]:
    """Score of each language for `text` (only languages with some evidence)."""
    result: dict[str, float] = defaultdict(float)
    for token in _WORD.findall(fold(text) if folded is None else folded):
        langs = WORD_LANGS.get(token)
        if langs:
            share = 1.0 / len(langs)
            for lang in langs:
                result[lang] += share
    letters: dict[str, float] = defaultdict(float)
    greek = 0
    for ch in _TELLING.findall(text.lower()):
        if ch in _LETTERS:
            for lang in _LETTERS[ch]:
                letters[lang] += _LETTER_WEIGHT / len(_LETTERS[ch])
        else:
            greek += 1
    if greek:
        letters["el"] += min(greek, 200) / 4   # Greek script is decisive on its own
    for lang, value in letters.items():
        # Letters only sharpen what words say: without a known word they decide nothing
        # (binary garbage decoded as windows-1252 is full of "š" and "ž"), Greek excepted.
        if lang == "el" or result.get(lang, 0) >= _MIN_WORDS:
            result[lang] += min(value, _LETTER_CAP) if lang != "el" else value
    return dict(result)


def detect(text: str, folded: str | None = None) -> str | None:
    """ISO 639-1 code of the most likely language of `text`, or None."""
    return decide(text, scores(text, folded))


def best(ranked: dict[str, float]) -> str | None:
    """The language the word evidence points to, if it is enough."""
    if not ranked:
        return None
    lang, score = max(ranked.items(), key=lambda kv: kv[1])
    return lang if score >= _MINIMUM else None


def decide(text: str, ranked: dict[str, float]) -> str | None:
    """Combine the model's opinion of `text` with the word evidence `ranked`.

    The model knows ~100 languages. When the text is clearly in one we have no lexicon
    for (a Polish or Danish request), that language is returned, so that the caller
    knows it cannot read the text (see `supported`); otherwise the best of ours."""
    by_words = best(ranked)
    if not _LETTER.search(text):
        return None
    models = _models()
    if models is None:
        return by_words
    full, ours_only = models
    sample = text[:_MODEL_CHARS]
    words_sure = by_words is not None and ranked[by_words] >= _WORDS_SURE
    if words_sure:
        # Plenty of words of one of our languages: it is one of ours, and the model
        # restricted to them is faster (0.23 ms for a page, against 0.39 ms).
        lang, probability = ours_only.classify(sample)
    else:
        probabilities: dict[str, float] = {}
        for lang, p in full.rank(sample):
            lang = _ALIASES.get(lang, lang)
            probabilities[lang] = probabilities.get(lang, 0.0) + p
        ours = {lang: p for lang, p in probabilities.items() if lang in LEXICONS}
        mass = sum(ours.values())
        top = max(probabilities, key=probabilities.get)
        words = len(_WORD.findall(sample))
        if top not in LEXICONS and ((1 - mass >= _FOREIGN and words >= _FOREIGN_MIN_WORDS)
                                    or (probabilities[top] >= _SURE and words >= 2)):
            return top
        lang = max(ours, key=ours.get)
        probability = ours[lang] / mass if mass else 0.0
    if lang == by_words or probability >= _SURE:
        return lang
    if words_sure:
        return by_words
    return lang if probability >= _LIKELY else by_words


def supported(lang: str | None) -> bool:
    """Do we have a lexicon for `lang`?"""
    return lang in LEXICONS


_LETTER = re.compile(r"[^\W\d_]")
_MODEL_CHARS = 5000    # the model reads the start of a long text: a page is plenty
_SURE, _LIKELY = 0.9, 0.5   # model probabilities, normalised over the lexicon languages
_WORDS_SURE = 2.0      # word evidence that outweighs a model that is not sure
_FOREIGN = 0.7         # the model's probability for languages without a lexicon, on a text
_FOREIGN_MIN_WORDS = 4  # long enough to trust it (or _SURE for one of them, from two words)
# Languages the model tells apart from ours by a hair, and whose requests our lexicon
# reads: Bosnian and Serbian (Latin script) are written like Croatian.
_ALIASES = {"bs": "hr", "sr": "hr"}
_MODELS = None


def _models():
    """py3langid's identifier over all its languages and a copy restricted to ours,
    loaded once (0.4 s); None when the package is not installed."""
    global _MODELS
    if _MODELS is None:
        try:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier
        except ImportError:
            _MODELS = False
        else:
            full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            ours = copy.copy(full)
            ours.set_languages(sorted(LEXICONS))
            _MODELS = (full, ours)
    return _MODELS or None
