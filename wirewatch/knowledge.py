"""Actor-coding knowledge shipped with wirewatch: countries, organisations and titles.

Lookups normalise the text (accents, curly apostrophes, dots, hyphens, a leading
"the", a trailing possessive) and then cost one dict hit. The JSON files in
``wirewatch/data`` are read once per process, on first use.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "Country",
    "Igo",
    "all_country_names",
    "all_igo_names",
    "countries",
    "country",
    "country_by_code",
    "country_of_capital",
    "country_of_demonym",
    "country_of_metonym",
    "igo",
    "igo_by_id",
    "igos",
    "is_title_word",
    "normalise",
    "organisation",
    "title_sector",
]

DATA = Path(__file__).with_name("data")

SECTORS = frozenset(
    "GOV MIL POL REB OPP LEG JUD PTY IGO NGO BUS MED CVL REL EDU".split()
)


@dataclass(frozen=True, slots=True)
class Country:
    """A country or territory of ISO 3166-1 (plus Kosovo, XKX)."""

    iso3: str
    iso2: str
    name: str
    names: tuple[str, ...]
    demonyms: tuple[str, ...]
    capital: str | None
    lat: float | None  # population-weighted representative point (a real city)
    lon: float | None
    geonameid: int | None
    official_name: str | None = None
    capitals: tuple[str, ...] = ()  # other spellings of the capital and other seats of government
    metonyms: tuple[tuple[str, str], ...] = ()  # ("White House", "GOV"), ("Pentagon", "MIL"), ...
    capital_lat: float | None = None
    capital_lon: float | None = None
    population: int | None = None
    continent: str | None = None
    neighbours: tuple[str, ...] = ()  # ISO3 codes


@dataclass(frozen=True, slots=True)
class Igo:
    """An international organisation (or a well-known NGO / armed group).

    ``code`` is what goes in a record's ``country`` field for IGOs ("UN" for
    every UN body, "EU" for every EU institution); for NGOs and armed groups
    it is the organisation's own short code and ``country`` says what to code.
    """

    code: str
    name: str
    aliases: tuple[str, ...]
    sector: str
    id: str = ""  # unique key: "UNHCR", "MONUSCO", "NATO", "ICRC"
    country: str | None = None  # value for the record's `country` field (None: no country)
    kind: str = "igo"  # igo | ngo | armed_group
    parent: str | None = None  # id of the parent organisation ("UN" for UNHCR)
    members: tuple[str, ...] = ()  # ISO3 codes where useful
    note: str | None = None


# --- normalisation --------------------------------------------------------

_CHAR_MAP = str.maketrans(
    {
        "\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
        "\u00f8": "o", "\u00d8": "o", "\u0142": "l", "\u0141": "l", "\u0111": "d", "\u0110": "d",
        "\u00e6": "ae", "\u00c6": "ae", "\u0153": "oe", "\u0152": "oe", "\u0131": "i", "\u00df": "ss",
        "\u00fe": "th", "\u00f0": "d", "\u00a0": " ",
    }
)
# Dots and apostrophes vanish ("U.S." -> "us", "N'Djamena" -> "ndjamena"); other punctuation splits words.
_PUNCT_MAP = str.maketrans(
    {**{c: " " for c in "!#$%()*+,-/:;<=>?@[\\]^_{|}~"}, ".": None, "'": None, '"': None, "&": " and "}
)
_SIMPLE = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*").fullmatch
_SPLITTERS = b"!#$%()*+,-/:;<=>?@[\\]^_{|}~"
_BYTE_MAP = bytes.maketrans(_SPLITTERS, b" " * len(_SPLITTERS))
# Acronyms that are also everyday words match only when written in capitals.
_STRICT_ACRONYMS = frozenset({"us", "is", "who", "car", "it", "am", "an", "or", "pa", "gb", "sco", "oas"})


def normalise(text: str) -> str:
    """Lookup key: lowercase, no accents, no dots/apostrophes, '-' and '&' unified, no leading 'the'."""
    low = text.lower()
    if _SIMPLE(low) and not low.startswith("the ") and "saint" not in low:
        return low  # the common case: plain words, single spaces
    # str.translate with a dict is slow; most text is ASCII and takes the bytes path.
    if text.isascii():
        t = text.replace("`", "'") if "`" in text else text
    else:
        t = text.translate(_CHAR_MAP)
        t = "".join(c for c in unicodedata.normalize("NFKD", t) if not unicodedata.combining(c))
    t = t.lower().strip()
    if t.endswith("'s"):  # possessive: "Russia's", "the U.N.'s"
        t = t[:-2]
    elif t.endswith("'"):  # "the Philippines'"
        t = t[:-1]
    if "&" in t:
        t = t.replace("&", " and ")
    if t.isascii():
        words = t.encode().translate(_BYTE_MAP, b".'\"").decode().split()
    else:
        words = t.translate(_PUNCT_MAP).split()
    if words and words[0] == "the":
        del words[0]
    if "saint" in t:
        words = ["st" if w == "saint" else "ste" if w == "sainte" else w for w in words]
    return " ".join(words)


def _acronym_key(alias: str) -> str | None:
    """The key of an alias that is an acronym ("U.S.", "NATO", "DRC"), else None."""
    if len(alias) > 12 or not alias.isupper():
        return None
    letters = alias.replace(".", "").replace(" ", "")
    if 2 <= len(letters) <= 6 and letters.isalpha() and letters.isascii():
        return letters.lower()
    return None


def _acronym_ok(text: str, key: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if key in _STRICT_ACRONYMS:
        return all(c.isupper() for c in letters)
    return not all(c.islower() for c in letters)


class _Index:
    """A normalised-name index where acronyms need the caller's capitals."""

    __slots__ = ("plain", "acronyms")

    def __init__(self) -> None:
        self.plain: dict[str, Any] = {}
        self.acronyms: dict[str, Any] = {}

    def add(self, alias: str, value: Any) -> str:
        """Index an alias; returns its normalised key."""
        akey = _acronym_key(alias)
        if akey is not None:
            self.acronyms.setdefault(akey, value)
            return akey
        key = normalise(alias)
        if key:
            self.plain.setdefault(key, value)
        return key

    def get(self, text: str, key: str | None = None) -> Any:
        if key is None:
            key = normalise(text)
        hit = self.plain.get(key)
        if hit is None:
            hit = self.acronyms.get(key)
            if hit is not None and not _acronym_ok(text, key):
                return None
        return hit

    def __contains__(self, key: str) -> bool:
        return key in self.plain or key in self.acronyms


# --- loading --------------------------------------------------------------


def _load(name: str) -> Any:
    with open(DATA / name, encoding="utf-8") as f:
        return json.load(f)


@dataclass(frozen=True, slots=True)
class _Countries:
    by_code: dict[str, Country]
    names: _Index
    demonyms: _Index
    capitals: _Index
    metonyms: _Index
    surface: tuple[tuple[str, str], ...]


@cache
def _countries() -> _Countries:
    raw = _load("countries.json")["countries"]
    by_code: dict[str, Country] = {}
    names, demonyms, capitals, metonyms = _Index(), _Index(), _Index(), _Index()
    surface: list[tuple[str, str]] = []
    for r in raw:
        c = Country(
            iso3=r["iso3"],
            iso2=r["iso2"],
            name=r["name"],
            names=tuple(r["names"]),
            demonyms=tuple(r["demonyms"]),
            capital=r.get("capital"),
            lat=r.get("lat"),
            lon=r.get("lon"),
            geonameid=r.get("geonameid"),
            official_name=r.get("official_name"),
            capitals=tuple(r.get("capitals", ())),
            metonyms=tuple((k, v) for k, v in r.get("metonyms", {}).items()),
            capital_lat=r.get("capital_lat"),
            capital_lon=r.get("capital_lon"),
            population=r.get("population"),
            continent=r.get("continent"),
            neighbours=tuple(r.get("neighbours", ())),
        )
        by_code[c.iso3] = c
        by_code[c.iso2] = c
        for n in (c.name, *c.names):
            names.add(n, c)
            surface.append((n, c.iso3))
        for d in c.demonyms:
            demonyms.add(d, c)
        # Only capitals the generator found unambiguous are listed in "capital_index".
        for cap in r.get("capital_index", ()):
            capitals.add(cap, c)
        for m, sector in c.metonyms:
            metonyms.add(m, (c, sector))
    return _Countries(by_code, names, demonyms, capitals, metonyms, tuple(surface))


@dataclass(frozen=True, slots=True)
class _Igos:
    by_id: dict[str, Igo]
    names: _Index
    prefixes: dict[str, tuple[Igo, bool]]  # normalised alias -> (organisation, is an acronym), for "UN X"
    max_words: int
    surface: tuple[tuple[str, str], ...]


@cache
def _igos() -> _Igos:
    raw = _load("igos.json")["organisations"]
    by_id: dict[str, Igo] = {}
    names = _Index()
    prefixes: dict[str, tuple[Igo, bool]] = {}
    surface: list[tuple[str, str]] = []
    for r in raw:
        kind = r.get("kind", "igo")
        o = Igo(
            code=r["code"],
            name=r["name"],
            aliases=tuple(r.get("aliases", ())),
            sector=r.get("sector", "IGO"),
            id=r["id"],
            country=r.get("country", r["code"] if kind == "igo" else None),
            kind=kind,
            parent=r.get("parent"),
            members=tuple(r.get("members", ())),
            note=r.get("note"),
        )
        by_id[o.id] = o
        exact = set(r.get("exact_aliases", ()))
        ids = (o.id,) if _acronym_key(o.id) else ()  # "UNHCR", not "AL_QAEDA"
        prefix = r.get("prefix", False)
        for a in (o.name, *ids, *o.aliases):
            key = names.add(a, o)
            surface.append((a, o.id))
            if prefix and a not in exact:
                prefixes.setdefault(key, (o, _acronym_key(a) is not None))
    max_words = max(len(k.split()) for k in prefixes) if prefixes else 0
    return _Igos(by_id, names, prefixes, max_words, tuple(surface))


@dataclass(frozen=True, slots=True)
class _Title:
    sector: str | None
    depends_on_org: bool
    kind: str  # person | group | org


@dataclass(frozen=True, slots=True)
class _Titles:
    entries: dict[str, _Title]
    max_words: int
    words: frozenset[str]


def _plural(phrase: str) -> str:
    head, _, last = phrase.rpartition(" ")
    if last.endswith("man"):
        p = last[:-3] + "men"
    elif last == "person":
        p = "people"
    elif last == "chief" or last.endswith(("s", "ff")):
        p = last + ("s" if not last.endswith("s") else "")
    elif last.endswith(("sh", "ch", "x")):
        p = last + "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "o", "u"):
        p = last[:-1] + "ies"
    else:
        p = last + "s"
    return f"{head} {p}" if head else p


_TITLE_SECTORS = frozenset({"GOV", "MIL", "POL", "REB", "OPP", "LEG", "JUD", "PTY", "REL"})
_PREPOSITIONS = frozenset({"of", "for", "at", "to", "with", "in", "from", "on"})
_STOP = frozenset({"of", "the", "for", "and", "to", "on", "in", "de", "du", "des", "la", "le"})


@cache
def _titles() -> _Titles:
    raw = _load("titles.json")
    entries: dict[str, _Title] = {}
    words: set[str] = set()
    shared: dict[tuple[str | None, bool, str], _Title] = {}

    def put(title: str, entry: _Title, *, pluralise: bool) -> None:
        entry = shared.setdefault((entry.sector, entry.depends_on_org, entry.kind), entry)
        key = normalise(title)
        entries.setdefault(key, entry)
        if pluralise:
            entries.setdefault(_plural(key), entry)

    # Organisation-dependent titles first: "NATO troops" is IGO, not the plain MIL of "troops".
    for t, sector in raw["org_dependent"].items():
        put(t, _Title(sector, True, "person"), pluralise=True)
        words.update(normalise(t).split())
    for kind in ("person", "group", "org"):
        for sector, titles in raw[kind].items():
            for t in titles:
                put(t, _Title(sector, False, kind), pluralise=kind != "group")
                # Descriptions ("farmer", "young man") are not titles written before a name.
                if kind == "person" and sector in _TITLE_SECTORS:
                    words.update(normalise(t).split())
    for t in raw["honorifics"]:
        words.update(normalise(t).split())
    words -= _STOP
    return _Titles(entries, max(len(k.split()) for k in entries), frozenset(words))


# --- public API -----------------------------------------------------------


def country(text: str) -> Country | None:
    """The country a name, short form or alias denotes: "U.S.", "the United States", "Türkiye", "DRC"."""
    return _countries().names.get(text)


def country_by_code(code: str) -> Country | None:
    """The country of an ISO 3166-1 alpha-3 or alpha-2 code (any case)."""
    return _countries().by_code.get(code.strip().upper())


def country_of_demonym(text: str) -> Country | None:
    """The country of a demonym, adjective or group noun: "Turkish", "Turks", "Congolese", "Americans"."""
    return _countries().demonyms.get(text)


def country_of_capital(text: str) -> Country | None:
    """The country whose capital or seat of government this is ("Kinshasa" -> COD), for metonymy.

    Also answers for government-seat metonyms ("White House", "Kremlin"); see
    :func:`country_of_metonym` for the sector they stand for.
    """
    key = normalise(text)
    c = _countries()
    hit = c.capitals.get(text, key)
    if hit is None:
        m = c.metonyms.get(text, key)
        hit = m[0] if m else None
    return hit


def country_of_metonym(text: str) -> tuple[Country, str | None] | None:
    """(country, sector) for a place that stands for an institution.

    "White House" -> (USA, GOV), "Pentagon" -> (USA, MIL), "Kinshasa" -> (COD, GOV).
    """
    c = _countries()
    key = normalise(text)
    m = c.metonyms.get(text, key)
    if m is not None:
        return m
    cap = c.capitals.get(text, key)
    return (cap, "GOV") if cap is not None else None


def countries() -> tuple[Country, ...]:
    """Every country and territory, in ISO3 order."""
    return tuple(sorted({c.iso3: c for c in _countries().by_code.values()}.values(), key=lambda c: c.iso3))


def all_country_names() -> Iterable[tuple[str, str]]:
    """(surface form, iso3) for every name and short form, to build matchers."""
    return _countries().surface


_IGO_KINDS = frozenset({"igo", "ngo"})


def igo(text: str) -> Igo | None:
    """The international organisation (or NGO) an alias names: "NATO", "the U.N.", "European Commission".

    Exact alias match first; failing that, a phrase that starts with an
    organisation's name ("UN peacekeeping mission", "EU delegation", "NATO
    allies") gives that organisation. Armed groups are left to
    :func:`organisation`.
    """
    o = organisation(text)
    return o if o is not None and o.kind in _IGO_KINDS else None


def organisation(text: str) -> Igo | None:
    """Like :func:`igo`, but also the armed groups of the lexicon ("M23", "al-Shabaab", "Houthis")."""
    o = _igos()
    key = normalise(text)
    hit = o.names.get(text, key)
    if hit is not None:
        return hit
    words = key.split()
    for n in range(min(len(words) - 1, o.max_words), 0, -1):
        head = " ".join(words[:n])
        p = o.prefixes.get(head)
        if p is not None:
            org, is_acronym = p
            if is_acronym:  # "who officials" is not the WHO
                first = next((w for w in text.split() if w.lower() != "the"), "")
                if not _acronym_ok(first, head):
                    return None
            return org
    return None


def igo_by_id(id: str) -> Igo | None:
    """The organisation with this unique id ("UNHCR", "NATO")."""
    return _igos().by_id.get(id.upper())


def igos() -> tuple[Igo, ...]:
    """Every organisation in the lexicon."""
    return tuple(_igos().by_id.values())


def all_igo_names() -> Iterable[tuple[str, str]]:
    """(surface form, organisation id) for every name and alias, to build matchers."""
    return _igos().surface


def _spans(words: list[str], max_n: int) -> Iterator[tuple[int, int, str]]:
    for i in range(len(words)):
        for j in range(i + 1, min(len(words), i + max_n) + 1):
            yield i, j, " ".join(words[i:j])


def title_sector(title: str) -> tuple[str | None, bool] | None:
    """(sector, depends_on_org) for a title or role phrase; None when no known title is in it.

    The longest known title in the phrase wins (the rightmost on a tie: the
    head noun comes last). When its sector depends on the organisation
    ("chief", "spokesman", "commander"), another sector word or a known
    organisation in the phrase decides it ("police spokesman" -> POL,
    "NATO chief" -> IGO, "rebel commander" -> REB); otherwise the default comes
    back with ``depends_on_org`` True so the caller can inherit the sector.
    """
    t = _titles()
    words = normalise(title).split()
    if not words:
        return None
    matches = [(j - i, j, i, t.entries[k]) for i, j, k in _spans(words, t.max_words) if k in t.entries]
    if not matches:
        return None
    # In "X of/for/to Y" the head is X ("President of the European Commission").
    prep = next((i for i, w in enumerate(words) if w in _PREPOSITIONS and i > 0), len(words))
    n, end, start, head = max(matches, key=lambda m: (m[2] < prep, m[0], m[1]))
    if not head.depends_on_org:
        return head.sector, False
    # A known organisation in the phrase ("NATO military commander": NATO, not "military";
    # "Rapid Support Forces": the whole phrase).
    o = _org_in(words)
    if o is not None:
        return o.sector, False
    # Another sector word outside the head: the nearest one before it, else after it.
    others = [m for m in matches if (m[1] <= start or m[2] >= end) and not m[3].depends_on_org and m[3].sector]
    if others:
        before = [m for m in others if m[1] <= start]
        pick = max(before, key=lambda m: (m[1], m[0])) if before else min(others, key=lambda m: (m[2], -m[0]))
        return pick[3].sector, False
    return head.sector, True


def _org_in(words: list[str]) -> Igo | None:
    o = _igos()
    best: tuple[int, Igo] | None = None
    for i, j, k in _spans(words, 8):
        hit = o.names.plain.get(k)
        if hit is None and k not in _STRICT_ACRONYMS:
            hit = o.names.acronyms.get(k)
        if hit is not None and (best is None or j - i > best[0]):
            best = (j - i, hit)
    return best[1] if best else None


def is_title_word(word: str) -> bool:
    """True for words that belong to titles and honorifics ("Secretary", "Minister", "State", "Gen.")."""
    return normalise(word) in _titles().words
