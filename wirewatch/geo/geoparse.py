"""Document-aware toponym resolution (and recognition) on raw text + character spans.

Each toponym's candidates (from the gazetteer) are scored in log10-population
units: a prior (population, feature class, primary-name match) plus evidence
from the document: an admin/country qualifier next to it ("Alexandria, Va."),
a kind word ("Carabobo state", "Batken region"), the dateline, demonyms, the
countries and first-level divisions the other toponyms resolve to, the
distance to the other resolved places, and the other items of a list the
toponym is in ("Ohio, New York and Texas": states with states). Resolution is iterated a few times so
that confident toponyms (countries, qualified towns) pull the ambiguous ones
into the same country and neighbourhood.

Constants were set on the project's dev articles and classes of errors seen on
public benchmarks (never on single toponyms); each says why it has its value.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from .gazetteer import Candidate, Gazetteer, gazetteer, normalise

if TYPE_CHECKING:
    from spacy.tokens import Doc

# Feature-class prior, added to log10(population). Countries outrank same-named
# states and towns in news (Georgia, Luxembourg) unless the document says
# otherwise: 1.5 lets a 3.7M-people country beat a ~5M-people US state on
# priors alone, while two or three US places in the text (+2.5 share) flip it.
FEATURE_PRIOR = {"country": 1.5, "continent": 1.5, "admin1": 0.3, "admin2": 0.0, "region": 0.5, "sea": 0.5,
                 "city": 0.0, "landmark": 0.0}
CAPITAL = 1.0         # national capitals are named in news far beyond their population share ("Washington")
PRIMARY_NAME = 0.7    # the text spells the place's main name, not one of its many alternates
KIND_MATCH = 2.0      # "X state", "X province": the kind word decides between a state and its capital
QUALIFIER = 4.0       # "Alexandria, Va.": the writer disambiguated explicitly; near-decisive
QUALIFIER_MISS = -1.5
SAME_COUNTRY = 2.5    # x share of the document's other toponyms/demonyms in the candidate's country
DATELINE_COUNTRY = 2.0  # weight of the dateline country in that share (the story's location)
DEMONYM_WEIGHT = 0.5  # each demonym mention counts half a toponym ("Venezuelan officials")
ADMIN1_MENTIONED = 1.5  # "Pandi, Bulacan ... Bulacan farm": the candidate's state/province is named
NEAR = 1.5            # x exp(-d / NEAR_KM) for the nearest other resolved local place
NEAR_KM = 300.0
ROUNDS = 3
# "California, Texas, Kansas and New York", "Mexico, China, Japan and Brazil": items of one list are
# peers of one kind (states with states, countries with countries, towns with towns). x share of
# the toponym's resolved list neighbours whose class the candidate shares.
PEER_FEATURE = 1.5
# ... and listed states or towns are mostly of one country ("British Columbia, Alberta, Manitoba,
# Ontario and New Brunswick" are Canadian even in a story that lists twenty US states elsewhere).
PEER_COUNTRY = 1.0
# "Brooklyn, New York", "Queens, New York": a town this close to the big city named like a state
# lies inside that city, so it is no evidence for the state reading (Buffalo, 470 km off, is).
METRO_KM = 50.0
# A hamlet matched only through one of its alternate names, in a country the document never
# mentions, is more likely a gazetteer gap ("Vake", a Tbilisi district, vs. German "Waake"): no answer.
DOUBTFUL_POP = 5000
LOCAL = ("city", "admin1", "admin2", "region")

KIND_WORDS = {
    "state": "admin1", "province": "admin1", "region": "admin1", "oblast": "admin1", "governorate": "admin1",
    "prefecture": "admin1", "department": "admin1", "territory": "admin1", "canton": "admin1",
    "county": "admin2",
    "city": "city", "town": "city", "village": "city", "district": "city",
    "municipality": "city", "township": "city", "borough": "city", "neighbourhood": "city",
}
# Trailing words that name a feature at a place ("Heglig oil field", "Azovstal steelworks").
FEATURE_WORDS = ("oil field", "oilfield", "refinery", "steelworks", "plant", "airport", "international airport",
                 "camp", "border crossing", "crossing", "port", "area", "valley", "river", "mountains", "hills",
                 "island", "islands", "delta", "bay", "canal", "coast", "peninsula", "basin", "metropolitan area")
_MODIFIER = re.compile(r"(?:north|south|east|west|northern|southern|eastern|western|central|greater|upper|lower|"
                       r"north[- ]?east|north[- ]?west|south[- ]?east|south[- ]?west|"
                       r"north[- ]?eastern|north[- ]?western|south[- ]?eastern|south[- ]?western|lake|mount)\s+",
                       re.I)
# AP-style state abbreviations, only ever read as a qualifier after a town ("Austin, Texas" / "Austin, Tex.").
US_ABBREV = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO", "conn": "CT", "del": "DE",
    "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS", "ky": "KY", "la": "LA",
    "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO", "mont": "MT",
    "neb": "NE", "nebr": "NE", "nev": "NV", "nh": "NH", "nj": "NJ", "nm": "NM", "ny": "NY", "nc": "NC",
    "nd": "ND", "okla": "OK", "ore": "OR", "pa": "PA", "ri": "RI", "sc": "SC", "sd": "SD", "tenn": "TN",
    "tex": "TX", "vt": "VT", "va": "VA", "wash": "WA", "wva": "WV", "wis": "WI", "wyo": "WY", "dc": "DC",
}

# "Alexandria, Va.", and the spelled-out forms "Fulton County located in Illinois", "Pandi in
# Bulacan province": only a division or country that contains a candidate counts (see `_make`).
_QUAL = re.compile(r"(?:,\s*(?:(?:located|situated)\s+in\s+)?|,?\s+(?:located\s+|situated\s+)?in\s+)"
                   r"(?:the\s+)?(?:(?:state|province|region|county)\s+of\s+)?"
                   r"([A-Z][\w.'’\-]*(?:\s+(?:of\s+)?[A-Z][\w.'’\-]*){0,3})")
_KIND_AFTER = re.compile(r"\s+(" + "|".join(KIND_WORDS) + r")\b", re.I)
_KIND_BEFORE = re.compile(r"\b(" + "|".join(KIND_WORDS) + r")\s+of\s+$", re.I)
# Words that only a first-level division takes: "New York Governor", "New York's governor",
# "governor of New York", "upstate New York". Not after "of" ("Bank of Georgia governor": a bank's).
_ADMIN_AFTER = re.compile(r"(?:['’]s)?\s+(?:(?:lieutenant|lt\.?)\s+)?(?:governor|gov\.|legislature|"
                          r"state\s+(?:legislature|senate|assembly|capitol|line))\b", re.I)
_ADMIN_BEFORE = re.compile(r"\b(?:governor\s+of|upstate|downstate)\s+(?:the\s+state\s+of\s+)?$", re.I)
_OF_BEFORE = re.compile(r"\bof\s+(?:the\s+)?$", re.I)
# What separates the items of a list: "A, B and C", "A or B", "A/B", and the tallies of news
# ("nine in Ontario, eight in Alberta, and one in Quebec": a count or two lowercase words + "in").
_LIST_GAP = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or|&)\s+|/)\s*"
                       r"|,\s*(?:and\s+)?(?:[a-z0-9][\w-]*\s+){1,2}in\s+")


@dataclass(slots=True)
class _Top:
    start: int
    end: int
    key: str
    cands: list[Candidate]
    kind: str | None = None
    qual: list[Candidate] = field(default_factory=list)
    res: Candidate | None = None
    peers: list[_Top] = field(default_factory=list)  # its neighbours in a list of places
    priors: list[float] = field(default_factory=list)  # `Resolver.prior` of each candidate


# Nationality words the country table lacks or spells differently (it has one demonym per country).
EXTRA_DEMONYMS = {
    "Kyrgyz": "KGZ", "Tajik": "TJK", "Uzbek": "UZB", "Kazakh": "KAZ", "Turkmen": "TKM", "Afghan": "AFG",
    "Emirati": "ARE", "Burkinabe": "BFA", "Filipino": "PHL", "Filipinos": "PHL", "Britons": "GBR", "Briton": "GBR",
    "Kiwi": "NZL", "Saudi": "SAU", "Saudis": "SAU", "Israeli": "ISR", "Palestinian": "PSE", "Kenyan": "KEN",
    "Sudanese": "SDN", "Congolese": "COD", "Somali": "SOM", "Ivorian": "CIV", "Czech": "CZE", "Dutch": "NLD",
    "Swiss": "CHE", "Chinese": "CHN", "Japanese": "JPN", "Vietnamese": "VNM", "Lebanese": "LBN",
}


@lru_cache(maxsize=1)
def demonyms() -> dict[str, str]:
    """Demonym (normalised, singular and plural) -> ISO3, from the shipped country table."""
    from .build import COUNTRIES_TSV

    out: dict[str, str] = {normalise(k): v for k, v in EXTRA_DEMONYMS.items()}
    with COUNTRIES_TSV.open(encoding="utf-8") as f:
        for r in csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter="\t"):
            d = (r.get("demonym") or "").strip()
            if d and " " not in d:
                for form in (d, d + "s"):
                    out.setdefault(normalise(form), r["iso3"])
    return out


def km(a: Candidate, b: Candidate) -> float:
    """Great-circle distance in km."""
    return haversine(a.lat, a.lon, b.lat, b.lon)


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742.0 * math.asin(math.sqrt(min(1.0, h)))


_LEADING_THE = re.compile(r"^(?:the)\s+", re.I)
_POSSESSIVE = re.compile(r"['’]s?$")
# (kind, "X state", "state of X") patterns of each kind word, compiled once
_KIND_AFFIXES = [(kind, re.compile(rf"\s+{w}$", re.I), re.compile(rf"^{w}\s+of\s+", re.I))
                 for w, kind in KIND_WORDS.items()]
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:s)?\b")


def _strip(surface: str) -> str:
    s = _LEADING_THE.sub("", surface.strip())
    return _POSSESSIVE.sub("", s).strip()


def _lookup(surface: str, gaz: Gazetteer) -> tuple[list[Candidate], str, str | None]:
    """Candidates for a mention, trying it bare of kind/feature words if needed: (cands, key, kind)."""
    s = _strip(surface)
    cands = gaz.candidates(s)
    if cands:
        return cands, normalise(s), None
    low = s.lower()
    for kind, after, before in _KIND_AFFIXES:
        for pat in (after, before):
            bare = pat.sub("", s)
            if bare != s and (c := gaz.candidates(bare)):
                return c, normalise(bare), kind
    for w in FEATURE_WORDS:
        if low.endswith(" " + w) and (c := gaz.candidates(s[: -len(w) - 1])):
            return c, normalise(s[: -len(w) - 1]), None
    # "North Dallas", "Greater Mumbai", "Eastern Mediterranean", "Lake Erie": the part of / near the base
    m = _MODIFIER.match(s)
    if m and (c := gaz.candidates(s[m.end():])):
        return c, normalise(s[m.end():]), None
    return [], normalise(s), None


def _qualifier(text: str, end: int, gaz: Gazetteer) -> list[Candidate]:
    """Admin1/country candidates named right after a toponym: 'Alexandria, Va.', 'Pandi, Bulacan'."""
    m = _QUAL.match(text, end)
    if not m:
        return []
    words = m.group(1)
    # try the longest leading run of words first ("New South Wales" before "New")
    parts = words.split()
    for n in range(len(parts), 0, -1):
        q = " ".join(parts[:n])
        k = normalise(q)
        if k.replace(" ", "") in US_ABBREV:
            code = US_ABBREV[k.replace(" ", "")]
            c = [c for c in gaz.candidates(code) if c.feature == "admin1" and c.country_iso3 == "USA"]
            if c:
                return c
        c = [c for c in gaz.candidates(q) if c.feature in ("admin1", "country", "region")]
        if c:
            return c
    return []


def _within(c: Candidate, q: Candidate) -> bool:
    if c.geonameid == q.geonameid:
        return False
    if q.feature == "country":
        return c.country_iso3 == q.country_iso3
    if q.feature == "admin1":
        return c.country_iso3 == q.country_iso3 and (c.admin1 or "") == (q.admin1 or q.name)
    return q.country_iso3 is not None and c.country_iso3 == q.country_iso3


class Resolver:
    """Scores candidates against the document; one instance per process (holds only the gazetteer)."""

    def __init__(self, gaz: Gazetteer | None = None):
        self.gaz = gaz or gazetteer()

    def prior(self, t: _Top, c: Candidate) -> float:
        s = math.log10(max(c.population, 0) + 10) + FEATURE_PRIOR.get(c.feature, 0.0)
        if normalise(c.name) == t.key:
            s += PRIMARY_NAME
        if c.capital:
            s += CAPITAL
        if t.kind:
            s += KIND_MATCH if (t.kind == c.feature or (t.kind == "admin1" and c.feature == "region")) else 0.0
        if t.qual:
            s += QUALIFIER if any(_within(c, q) for q in t.qual) else QUALIFIER_MISS
        return s

    def resolve(self, text: str, toponyms: Sequence[tuple[int, int]], *,
                dateline: tuple[int, int] | None = None) -> list[Candidate | None]:
        """Resolve each (start, end) span of `text` to a place, or None when nothing fits."""
        tops = [self._make(text, s, e) for s, e in toponyms]
        dl: _Top | None = None
        if dateline is not None:
            head = text[dateline[0]:dateline[1]].split(",")[0].split("(")[0].rstrip(" -—:")
            dl = self._make(text, dateline[0], dateline[0] + len(head))
            if not dl.cands:
                dl = None
            else:
                dl.kind = dl.kind or "city"  # datelines name towns: "WASHINGTON" is the capital, not the state
                for t in tops:  # a toponym on the dateline head is the dateline
                    if t.start == dl.start:
                        t.kind = dl.kind
        allt = tops + ([dl] if dl else [])
        _link_peers(text, tops)
        # one sense per discourse: a name the text once calls a state ("New York state") is the
        # state in its other mentions too, unless they say otherwise
        states = {t.key for t in allt if t.kind == "admin1"}
        dem: Counter[str] = Counter()
        dmap = demonyms()
        for m in _CAPITALISED.finditer(text):
            iso = dmap.get(normalise(m.group(0)))
            if iso:
                dem[iso] += 1
        for t in allt:  # a candidate's prior never changes: score it once, not once per round
            t.priors = [self.prior(t, c) for c in t.cands]
            t.res = _first_best(t.cands, t.priors) if t.cands else None
        for _ in range(ROUNDS):
            changed = False
            for t in allt:
                if len(t.cands) < 2:
                    continue
                context = self._context(t, allt, dl, dem)
                best = _first_best(t.cands, [p + context(c) for p, c in zip(t.priors, t.cands, strict=True)])
                best = _prefer_city(t, best, allt, t.key in states)
                changed |= best != t.res
                t.res = best
            if not changed:
                break
        for t in allt:
            if t.res is not None and self._doubtful(t, t.res, allt, dem):
                rest = [(p, c) for p, c in zip(t.priors, t.cands, strict=True)
                        if not self._doubtful(t, c, allt, dem)]
                context = self._context(t, allt, dl, dem)
                t.res = _first_best([c for _, c in rest], [p + context(c) for p, c in rest]) if rest else None
        return [t.res for t in tops]

    def _doubtful(self, t: _Top, c: Candidate, allt: list[_Top], dem: Counter[str]) -> bool:
        if c.feature != "city" or c.population >= DOUBTFUL_POP or normalise(c.name) == t.key or t.qual:
            return False
        countries = {o.res.country_iso3 for o in allt if o.key != t.key and o.res is not None} | set(dem)
        return bool(countries) and c.country_iso3 not in countries

    def _make(self, text: str, s: int, e: int) -> _Top:
        cands, key, kind = _lookup(text[s:e], self.gaz)
        if kind is None:
            m = _KIND_AFTER.match(text, e)
            if m:
                kind = KIND_WORDS[m.group(1).lower()]
            elif (b := _KIND_BEFORE.search(text[max(0, s - 20):s])):
                kind = KIND_WORDS[b.group(1).lower()]
            elif (_ADMIN_AFTER.match(text, e) and not _OF_BEFORE.search(text[max(0, s - 8):s])) \
                    or _ADMIN_BEFORE.search(text[max(0, s - 40):s]):
                kind = "admin1"
        qual = _qualifier(text, e, self.gaz) if cands else []
        # "Illinois, Indiana and Ohio", "Iraq, Iran": a list of peers, not a town and its state
        if qual and (not any(_within(c, q) for c in cands for q in qual)
                     or {c.feature for c in cands if normalise(c.name) == key} & {q.feature for q in qual}):
            qual = []
        return _Top(s, e, key, cands, kind, qual)

    def _context(self, t: _Top, allt: list[_Top], dl: _Top | None,
                 dem: Counter[str]) -> Callable[[Candidate], float]:
        """Document evidence for `t`'s candidates. What the other toponyms resolve to is gathered
        once per toponym and round; the returned function scores one candidate against it."""
        weights: Counter[str] = Counter()
        admins: set[tuple[str | None, str]] = set()
        local: list[Candidate] = []  # the other toponyms' local places, one per name
        seen: set[str] = set()
        for o in allt:
            if o is t or o.res is None or o.key == t.key:
                continue
            r = o.res
            if r.feature == "admin1":
                admins.add((r.country_iso3, r.name))
            if o.key in seen:
                continue
            seen.add(o.key)
            if r.country_iso3:
                weights[r.country_iso3] += DATELINE_COUNTRY if o is dl else 1.0
            if r.feature in LOCAL:
                local.append(r)
        for iso, n in dem.items():
            weights[iso] += DEMONYM_WEIGHT * min(n, 4)
        total = sum(weights.values())
        peers = [o.res for o in t.peers if o.res is not None and o.key != t.key]
        local_peers = [r for r in peers if r.feature in LOCAL and r.country_iso3]

        def score(c: Candidate) -> float:
            s = SAME_COUNTRY * weights[c.country_iso3] / total if total and c.country_iso3 else 0.0
            if c.admin1 and c.feature in ("city", "admin2") and (c.country_iso3, c.admin1) in admins:
                s += ADMIN1_MENTIONED
            if c.feature in LOCAL:
                nearest = math.inf
                for r in local:
                    # a state is as near as can be to the towns inside it (its centre may be far from them)
                    inside = c.feature == "admin1" and r.country_iso3 == c.country_iso3 and r.admin1 == c.name
                    # a town inside a named state already gets ADMIN1_MENTIONED for it: the state's
                    # nearness is the same evidence, not a second vote ("NY" once made Rome, N.Y. beat Rome)
                    if r.feature == "admin1" and c.feature in ("city", "admin2") \
                            and r.country_iso3 == c.country_iso3 and c.admin1 == r.name:
                        continue
                    nearest = min(nearest, 0.0 if inside else km(c, r))
                if nearest < math.inf:
                    s += NEAR * math.exp(-nearest / NEAR_KM)
            if peers:
                s += PEER_FEATURE * sum(_same_class(r.feature, c.feature) for r in peers) / len(peers)
                if local_peers and c.feature in LOCAL:
                    same = sum(r.country_iso3 == c.country_iso3 for r in local_peers)
                    s += PEER_COUNTRY * same / len(local_peers)
            return s

        return score


def _first_best(cands: Sequence[Candidate], scores: list[float]) -> Candidate:
    """The highest-scoring candidate; ties go to the first (the most populous), as with max()."""
    return cands[scores.index(max(scores))]


def _same_class(a: str, b: str) -> bool:
    """Feature classes that make peers in a list (a region is listed with states, a county with towns)."""
    group = {"admin1": "admin1", "region": "admin1", "city": "city", "admin2": "city", "landmark": "city"}
    return group.get(a, a) == group.get(b, b)


def _link_peers(text: str, tops: list[_Top]) -> None:
    """Neighbours in a list of places ("Ohio, Oregon and Washington"), in text order. A town followed
    by its state ("Buffalo, New York": the town has that qualifier) is not a list."""
    order = sorted((t for t in tops if t.cands), key=lambda t: t.start)
    for a, b in zip(order, order[1:], strict=False):
        gap = text[a.end:b.start]
        if a.key == b.key or a.qual or len(gap) > 30 or not _LIST_GAP.fullmatch(gap):
            continue
        a.peers.append(b)
        b.peers.append(a)


def _prefer_city(t: _Top, best: Candidate, allt: list[_Top], called_state: bool = False) -> Candidate:
    """A state named like its main city ('New York', 'Kyiv') means the city, unless the text says
    'state' (here or in another mention of the name), lists it with other states, or names other
    towns of that state (Buffalo and Albany make 'New York' the state; Brooklyn, inside the city,
    does not)."""
    if best.feature != "admin1" or t.kind == "admin1" or called_state:
        return best
    peers = [o.res for o in t.peers if o.res is not None and o.key != t.key]
    if peers and sum(_same_class(r.feature, "admin1") for r in peers) * 2 >= len(peers):
        return best
    city = next((c for c in t.cands if c.feature == "city" and c.country_iso3 == best.country_iso3
                 and c.admin1 == best.name and c.population >= 100_000
                 and normalise(c.name) in (t.key, normalise(best.name), t.key + " city")), None)
    if city is None:
        return best
    if any(o.key != t.key and o.res is not None and o.res.feature in ("city", "admin2")
           and o.res.country_iso3 == best.country_iso3 and o.res.admin1 == best.name
           and km(o.res, city) > METRO_KM for o in allt):
        return best
    return city


_resolver: Resolver | None = None


def resolver() -> Resolver:
    global _resolver
    if _resolver is None:
        _resolver = Resolver()
    return _resolver


def resolve(text: str, toponyms: Sequence[tuple[int, int]], *,
            dateline: tuple[int, int] | None = None) -> list[Candidate | None]:
    """Resolve toponym spans of `text` using the whole document (see `Resolver`)."""
    return resolver().resolve(text, toponyms, dateline=dateline)


# ---- recognition ----------------------------------------------------------------------------

# Words spaCy tags GPE/LOC that are not places (months and weekdays are also towns: March, Cambs).
NOT_PLACES = {"west", "east", "north", "south", "earth", "world", "globe", "heaven", "republic", "state",
              "nation", "country", "homeland", "kingdom", "union", "capital",
              "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
              "sunday"}


def recognise(doc: Doc, gaz: Gazetteer | None = None) -> list[tuple[int, int]]:
    """Toponym spans from spaCy's GPE/LOC (and FAC when the gazetteer knows the name), 'the' stripped."""
    gaz = gaz or gazetteer()
    dmap = demonyms()
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("GPE", "LOC", "FAC"):
            continue
        toks = list(ent)
        while toks and (toks[0].lower_ == "the" or toks[0].is_punct):
            toks = toks[1:]
        while toks and (toks[-1].is_punct or toks[-1].tag_ == "POS"):
            toks = toks[:-1]
        if not toks:
            continue
        s, e = toks[0].idx, toks[-1].idx + len(toks[-1].text)
        surface = doc.text[s:e]
        key = normalise(surface)
        if not surface[:1].isupper() or key in NOT_PLACES or key in dmap or len(key) < 2:
            continue
        if ent.label_ == "FAC" and not gaz.candidates(surface):
            continue
        out.append((s, e))
    return out
