"""Is an article English? A cheap stop-word test, so other languages get a record, not garbage."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_EN = {"the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "with", "as", "was", "said", "by", "at"}
_OTHER = {
    "fr": {"le", "la", "les", "des", "et", "est", "une", "dans", "pour", "qui", "du", "au"},
    "es": {"el", "la", "los", "las", "y", "es", "una", "en", "para", "que", "del", "por"},
    "de": {"der", "die", "das", "und", "ist", "ein", "eine", "nicht", "mit", "den", "von", "zu"},
    "pt": {"o", "os", "as", "e", "um", "uma", "não", "com", "para", "que", "do", "da"},
    "it": {"il", "di", "che", "è", "per", "una", "sono", "gli", "della", "non", "con", "le"},
}
_WORD = re.compile(r"[^\W\d_]+")
_NON_LATIN = re.compile("[^\x00-\u024f]")  # beyond Latin Extended-B


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[:5000])]


def _hits(counts: Counter[str], stopwords: set[str]) -> int:
    """How many of the words are stop words (counted per stop word: there are far fewer of those)."""
    return sum(counts[w] for w in stopwords)


def is_english(text: str, doc: Any = None) -> bool:
    """False only on positive evidence of another language: short English headlines and
    sentences with few function words must still be analysed."""
    head = text[:3000]
    if not head.isascii() and len(_NON_LATIN.findall(head)) > 0.3 * min(len(text), 3000):
        return False  # mostly non-Latin script
    words = _words(text)
    if len(words) < 8:
        return True
    counts = Counter(words)
    en = _hits(counts, _EN) / len(words)
    other = _guess(counts, len(words))
    if other is None:
        return True
    ratio = _hits(counts, _OTHER[other]) / len(words)
    return en >= ratio


def guess(text: str) -> str | None:
    """ISO 639-1 code of the most likely language among a few, or None."""
    words = _words(text)
    if not words:
        return None
    return _guess(Counter(words), len(words))


def _guess(counts: Counter[str], n: int) -> str | None:
    scores = {lang: _hits(counts, sw) for lang, sw in _OTHER.items()}
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    return lang if best / n >= 0.05 else None
