"""Is an article English? A cheap stop-word test, so other languages get a record, not garbage."""

from __future__ import annotations

import re
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


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[:5000])]


def is_english(text: str, doc: Any = None) -> bool:
    """False only on positive evidence of another language: short English headlines and
    sentences with few function words must still be analysed."""
    if sum(1 for ch in text[:3000] if ord(ch) > 0x24F) > 0.3 * min(len(text), 3000):
        return False  # mostly non-Latin script
    words = _words(text)
    if len(words) < 8:
        return True
    en = sum(w in _EN for w in words) / len(words)
    other = guess(text)
    if other is None:
        return True
    ratio = sum(w in _OTHER[other] for w in words) / len(words)
    return en >= ratio


def guess(text: str) -> str | None:
    """ISO 639-1 code of the most likely language among a few, or None."""
    words = _words(text)
    if not words:
        return None
    scores = {lang: sum(w in sw for w in words) for lang, sw in _OTHER.items()}
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    return lang if best / len(words) >= 0.05 else None
