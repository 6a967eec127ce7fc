"""Small string helpers shared by the stages: accent folding and name keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_POSS = re.compile(r"(?:['’]s|['’])$")
_NONWORD = re.compile(r"[^\w\s-]")
_SPACE = re.compile(r"\s+")
ARABIC_PARTICLES = ("al-", "el-", "al ", "el ")


@lru_cache(maxsize=65536)
def fold(s: str) -> str:
    """Lowercase, strip accents and dotted-letter variants: 'Çavuşoğlu' -> 'cavusoglu'."""
    s = unicodedata.normalize("NFKD", s.replace("ı", "i").replace("ł", "l").replace("ø", "o"))
    return "".join(ch for ch in s if not unicodedata.combining(ch)).lower()


def strip_possessive(s: str) -> str:
    return _POSS.sub("", s.strip())


@lru_cache(maxsize=65536)
def name_key(s: str) -> str:
    """Key for comparing names: folded, no possessive, no punctuation, no leading 'the'."""
    s = fold(strip_possessive(s)).replace("’", "'")
    s = _NONWORD.sub(" ", s)
    s = _SPACE.sub(" ", s).strip()
    if s.startswith("the "):
        s = s[4:]
    return s


def name_tokens(s: str) -> list[str]:
    """Folded name parts with Arabic article prefixes dropped ('al-Sisi' -> 'sisi')."""
    out = []
    for w in name_key(s).replace("-", " - ").split():
        if w == "-":
            continue
        out.append(w)
    return [w for w in out if w not in {"al", "el", "bin", "ibn", "de", "da", "van", "von", "der"}] or out


def smart_title(s: str) -> str:
    """'BRUSSELS' -> 'Brussels', 'NEW YORK' -> 'New York'; leaves mixed case alone."""
    if s.isupper() and len(s) > 3:
        return " ".join(w.capitalize() for w in s.split())
    return s
