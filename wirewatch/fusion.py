"""Event fusion: the reports of one real-world event, across articles, become one fused event.

Two extracted events are reports of the same event when they are in the same
story (within one article: carry the same date or a shared named actor), have the same PLOVER
type and status class, their actors and targets are
compatible (a shared name or surname, or a shared country code; a side that is
missing is compatible with anything), their places are within `PLACE_KM` (or one
is a country/region containing the other) and their dates within `DATE_DAYS`. A report that
names no actor ("Tuesday's shootout, which killed five") decides nothing: once the named reports
are clustered it joins the fused event it fits best (both dated, within `DATE_DAYS`, places
compatible), and both directions of a reciprocal one; undated, it stays apart.

A fused event keeps every supporting mention (article, event, sentence span),
counts mentions, articles (wire copies recorded by the store included) and
*independent* sources, and keeps every claimed value of the fields reports
disagree on - casualty and arrest figures read from the quantities of the
supporting sentences, dates and places - each with its sources, flagging a
conflict instead of silently picking one.

Independence: reports are one source when they are the same outlet, when one
article credits the other's agency in its dateline ("HAVANA (Meridian) —" in a
Valley Courier article), when their texts are near-duplicates (4-word-shingle
Jaccard >= `NEAR_DUP`), or when the store recorded one as a copy of the other.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from .models import ArticleRecord, Entity, Event, Place
from .nlp.events import HUMAN_GROUPS

if TYPE_CHECKING:
    from .store.base import Duplicate, Store

__all__ = ["Claim", "FusedEvent", "Support", "fuse_records", "fuse_store", "fuse_story", "list_fused"]

# Reports of one event place it at most a district apart: 100 km covers a village vs the
# nearest town or the province capital a wire names, and keeps two towns' attacks apart.
PLACE_KM = 100.0
# Reports date an event within a day or two of each other ("late on Tuesday" vs "overnight").
DATE_DAYS = 2
# Edited wire copies measure 0.6-1.0 on 4-word shingles, independent reports under 0.1
# (the sample corpus: 0.82 vs 0.01); 0.5 sits in the wide gap.
NEAR_DUP = 0.5

STATUS_CLASS = {"occurred": "real", "planned": "future", "expected": "future",
                "negated": "negated", "hypothetical": "hypothetical"}
COARSE = {"country", "region", "continent", "admin1"}

# Which figure a quantity in an event sentence is: the nearest of these words around it.
FIGURES: dict[str, tuple[str, ...]] = {
    "killed": ("killed", "killing", "dead", "died", "death toll", "deaths", "bodies", "buried", "massacred"),
    "wounded": ("wounded", "injured", "injuring", "wounding", "hurt"),
    "arrested": ("arrested", "detained", "arrests", "held"),
    "missing": ("missing",),
    "abducted": ("abducted", "kidnapped"),
    "displaced": ("displaced", "homeless", "fled"),
}
FIGURE_SPAN = 60  # characters either side of a quantity searched for its figure word


@dataclass(frozen=True, slots=True)
class Support:
    """One report of the event: an extracted event in one article."""

    article_id: str
    event_id: str
    source: str | None
    published: str | None
    sentence: tuple[int, int]
    sentence_text: str
    trigger: str
    source_group: int  # reports with the same number are one independent source
    copies: tuple[str, ...] = ()  # duplicate copies the store recorded for this article (source ids)


@dataclass(frozen=True, slots=True)
class Claim:
    """One value a field was given, and the reports that gave it."""

    value: Any
    articles: tuple[str, ...]
    sources: tuple[str | None, ...]
    texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FusedEvent:
    id: str
    story_id: int | None
    type: str
    mode: str | None
    status: str
    actors: list[str]
    targets: list[str]
    actor_countries: list[str]
    target_countries: list[str]
    date: str | None  # the date every dated report agrees on, else None (see claims["date"])
    place: str | None  # the most specific place reported, when the reports do not conflict
    n_mentions: int
    n_articles: int
    n_sources: int
    earliest: str | None  # published date of the earliest report
    earliest_article: str | None
    confidence: float
    supports: list[Support] = field(default_factory=list)
    claims: dict[str, list[Claim]] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- compatibility -------------------------------------------------------------

def _norm(s: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFKD", s.lower())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"^the\s+|['’]s$", "", s.strip())
    return re.sub(r"[^\w]+", " ", s).strip()


def _generic(e: Entity) -> bool:
    """An unnamed group ("gunmen", "attackers", "police officers"): its word says nothing about
    which group it is, so only its country and sector take part in matching."""
    return e.type == "NORP" and (e.name.islower() or e.name.lower() in HUMAN_GROUPS)


def _keys(e: Entity) -> set[str]:
    n = _norm(e.name)
    keys = {n}
    if e.type == "PERSON" and " " in n:
        keys.add(n.rsplit(" ", 1)[1])  # "Andrés Rivera" ~ "Rivera"
    return keys


@dataclass(slots=True)
class _Side:
    """The actors (or targets) of one report: name keys, and (country, sector, type) codes per entity."""

    keys: set[str]
    codes: list[tuple[str, str | None, str]]

    def compatible(self, other: _Side) -> bool:
        """A shared name, or a shared country with compatible sectors: Colombia's government ~
        'the Colombian government', but a Nigerien rebel group is not the Nigerien army."""
        if not (self.keys or self.codes) or not (other.keys or other.codes):
            return True
        if self.keys & other.keys:
            return True
        return any(_codes_match(x, y) for x in self.codes for y in other.codes)


STATE_SECTORS = frozenset({"GOV", "MIL", "POL", "LEG", "JUD"})


def _codes_match(x: tuple[str, str | None, str], y: tuple[str, str | None, str]) -> bool:
    """Whether two differently named entities of one country can be the same side.

    A country stands for its state ("Colombia" ~ its peace commissioner ~ its army), and an unnamed
    group for whoever fits its sector; two named people, or two named bodies, are the same side only
    in the same known sector - a senator is not the rebel group, President Tinubu is not the governor.
    """
    (c1, s1, t1), (c2, s2, t2) = x, y
    if c1 != c2:
        return False
    if "PLACE" in (t1, t2):
        return True
    if "GPE" in (t1, t2):
        other = s2 if t1 == "GPE" else s1
        return t1 == t2 or other is None or other in STATE_SECTORS
    if "NORP" in (t1, t2):
        return s1 is None or s2 is None or s1 == s2
    if t1 == "PERSON" and t2 == "PERSON":
        return False  # different names (shared keys were checked first)
    return s1 is not None and s1 == s2


def dateline_entity(rec: ArticleRecord) -> str | None:
    """The entity of the article's dateline place ("HAVANA, Cuba —"): it is where the reporter
    was, so when an event names it as actor or target that is an extraction slip, and it is
    left out of matching."""
    if not rec.article.dateline:
        return None
    p = next((p for p in rec.places if p.id == rec.article.dateline), None)
    return p.entity if p else None


def _side(rec: ArticleRecord, ids: Sequence[str]) -> _Side:
    ents = {e.id: e for e in rec.entities}
    keys: set[str] = set()
    codes: list[tuple[str, str | None, str]] = []
    skip = dateline_entity(rec)
    local = {p.entity for p in rec.places if p.feature not in {"country", "continent"}}
    for i in ids:
        if i == skip:
            continue
        e = ents.get(i)
        if e is None:
            continue
        if not _generic(e):
            keys |= _keys(e)
        if e.country:
            # a town as a side is its people ("stormed Kawuri" ~ "killed villagers"), not the state
            codes.append((e.country, e.sector, "PLACE" if e.type == "GPE" and e.id in local else e.type))
    return _Side(keys, codes)


def km(a: Place, b: Place) -> float | None:
    if None in (a.lat, a.lon, b.lat, b.lon):
        return None
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def places_compatible(a: Place | None, b: Place | None) -> bool:
    """Within PLACE_KM, or one is a coarse area (country, province) of the other's country, or a
    province whose point is within PLACE_KM of a town across its border."""
    if a is None or b is None:
        return True
    if a.feature in COARSE or b.feature in COARSE:
        if a.country and b.country and a.country != b.country:
            # A province on a border and a town just across it ("near Batken", read as Batken
            # region, and Isfara in Tajikistan, 18 km away) can be one place; countries cannot.
            coarse, fine = (a, b) if a.feature in COARSE else (b, a)
            if coarse.feature == "admin1" and fine.feature not in COARSE:
                d = km(a, b)
                return d is not None and d <= PLACE_KM
            return False
        if a.feature == "admin1" and b.feature == "admin1" and a.admin1 != b.admin1:
            return False
        return True
    d = km(a, b)
    if d is None:
        return _norm(a.name) == _norm(b.name) or not (a.country and b.country) or a.country == b.country
    return d <= PLACE_KM


def _day(v: str | None) -> date | None:
    if not v or not re.match(r"\d{4}-\d{2}-\d{2}", v):
        return None
    try:
        return date.fromisoformat(v[:10])
    except ValueError:
        return None


# -- the reports ---------------------------------------------------------------

@dataclass(slots=True)
class _Report:
    rec: ArticleRecord
    ev: Event
    order: int
    actors: _Side
    targets: _Side
    place: Place | None
    day: date | None
    dateline_place: Place | None = None

    @property
    def status_class(self) -> str:
        return STATUS_CLASS.get(self.ev.status, self.ev.status)

    @property
    def unnamed(self) -> bool:
        """The report names no actor ("Tuesday's shootout, which killed five")."""
        return not self.ev.actors


def _reports(records: Sequence[ArticleRecord]) -> list[_Report]:
    out: list[_Report] = []
    for rec in records:
        places = {p.id: p for p in rec.places}
        for ev in rec.events:
            # A place inferred from the dateline is where the reporter was, not evidence of where
            # the event was: it neither blocks a match nor makes a conflict.
            clause = ev.place_source != "dateline"
            out.append(_Report(rec, ev, len(out), _side(rec, ev.actors), _side(rec, ev.targets),
                               places.get(ev.place) if ev.place and clause else None, _day(ev.date),
                               places.get(ev.place) if ev.place and not clause else None))
    return out


def _unnamed_recap(a: _Report, b: _Report) -> bool:
    """"Gunmen attacked a village ... The attackers opened fire on villagers": an unnamed group
    described twice in one article, with no date telling the mentions apart."""
    return bool(a.actors.codes and b.actors.codes) and not (a.actors.keys or b.actors.keys) \
        and not (a.day and b.day and a.day != b.day) and a.actors.compatible(b.actors)


def same_event(a: _Report, b: _Report) -> bool:
    """Whether two reports can be of one real-world event (story membership is checked by the caller)."""
    if a.ev.type != b.ev.type or a.status_class != b.status_class:
        return False
    if a.day and b.day and abs((a.day - b.day).days) > DATE_DAYS:
        return False
    if (a.unnamed or b.unnamed) and not (a.day and b.day):
        # A report that names no actor ("a car bomb killed 12") is told apart from the story's other
        # events of its type only by its date and place: without a date on both sides it stays apart.
        return False
    if a.rec is b.rec and not (a.day and a.day == b.day) and not (a.actors.keys & b.actors.keys) \
            and not _unnamed_recap(a, b):
        # Within one article a second mention of the same type is as often background ("violence
        # has killed 40,000 since 2009") as a recap; a shared date or a shared named actor
        # ("Colombia's government ... signed", "Colombia's peace commissioner ... signed") makes it
        # the same event.
        return False
    return (a.actors.compatible(b.actors) and a.targets.compatible(b.targets)
            and places_compatible(a.place, b.place))


# -- independence --------------------------------------------------------------

_AGENCY = re.compile(r"^[^\n(]{0,80}\(([^)]{2,40})\)\s*(?:—|–|--|-|:)")
_SHINGLE = re.compile(r"\w+")


def _shingles(text: str, k: int = 4) -> set[str]:
    w = _SHINGLE.findall(text.lower())
    return {" ".join(w[i:i + k]) for i in range(max(1, len(w) - k + 1))}


def outlet_keys(rec: ArticleRecord) -> set[str]:
    keys = set()
    for s in (rec.article.source, rec.article.author):
        if s:
            keys.add(outlet_key(s))
    m = _AGENCY.match(rec.article.text)
    if m:
        keys.add(outlet_key(m.group(1)))
    return {k for k in keys if k}


GENERIC_OUTLET_WORDS = frozenset("""the by news agency press staff wire service daily weekly times post herald
    courier tribune journal gazette chronicle telegraph observer mail express star sun report reports
    online media network international world""".split())


def outlet_key(name: str) -> str:
    """'The Harbour Times' -> 'harbour', 'Meridian News Agency' -> 'meridian': the distinctive words."""
    words = [w for w in _norm(name).split() if w not in GENERIC_OUTLET_WORDS]
    return " ".join(words) if words else _norm(name)


def source_groups(records: Sequence[ArticleRecord]) -> dict[str, int]:
    """article id -> independent-source group number (union-find over outlet, credit and text)."""
    ids = [r.article.id for r in records]
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    outlets = {r.article.id: outlet_keys(r) for r in records}
    sh = {r.article.id: _shingles(r.article.text) for r in records}
    for a, b in ((x, y) for i, x in enumerate(ids) for y in ids[i + 1:]):
        if outlets[a] & outlets[b]:
            union(a, b)
            continue
        sa, sb = sh[a], sh[b]
        if sa and sb and len(sa & sb) / len(sa | sb) >= NEAR_DUP:
            union(a, b)
    roots = sorted({find(i) for i in ids}, key=ids.index)
    number = {r: n for n, r in enumerate(roots, 1)}
    return {i: number[find(i)] for i in ids}


# -- figures -------------------------------------------------------------------

def _figure_of(text: str, start: int, end: int) -> str | None:
    """The figure word nearest to a quantity span, within FIGURE_SPAN characters."""
    best: tuple[int, str] | None = None
    lo, hi = max(0, start - FIGURE_SPAN), min(len(text), end + FIGURE_SPAN)
    window = text[lo:hi].lower()
    for name, words in FIGURES.items():
        for w in words:
            for m in re.finditer(rf"\b{re.escape(w)}\b", window):
                pos = lo + m.start()
                dist = pos - end if pos >= end else start - (lo + m.end())
                if best is None or dist < best[0]:
                    best = (max(dist, 0), name)
    return best[1] if best else None


def _figures(rep: _Report) -> dict[str, tuple[float | int, str]]:
    """Figures stated in the event's sentence: name -> (value, the quantity's text)."""
    text = rep.rec.article.text
    s, e = rep.ev.sentence.start, rep.ev.sentence.end
    out: dict[str, tuple[float | int, str]] = {}
    for q in rep.rec.quantities:
        if q.start < s or q.end > e or q.currency or q.unit in {"percent", "km", "kilometres", "years"}:
            continue
        fig = _figure_of(text, q.start, q.end)
        if fig and fig not in out:
            out[fig] = (q.value, q.text)
    return out


# -- fusing --------------------------------------------------------------------

def fuse_records(records: Sequence[ArticleRecord], *, story_id: int | None = None,
                 copies: dict[str, list[Duplicate]] | None = None) -> list[FusedEvent]:
    """Fuse the events of one story's records (pass the store's duplicates as `copies`)."""
    copies = copies or {}
    records = sorted(records, key=lambda r: (r.article.published or "9999", _pos(records, r)))
    groups_of = source_groups(records)
    reports = _reports(records)
    clusters: list[list[_Report]] = []
    # Reports that name an actor are clustered first; a report naming none then joins the cluster it
    # fits best, so it can support an event (and carry its casualty figure) but never decide which
    # reports of named actors belong together.
    for rep in [r for r in reports if not r.unnamed]:
        for cl in clusters:
            if _fits(cl, rep):
                cl.append(rep)
                break
        else:
            clusters.append([rep])
    for rep in [r for r in reports if r.unnamed]:
        fitting = [cl for cl in clusters if _fits(cl, rep)]
        if not fitting:
            clusters.append([rep])
            continue
        # the best fit: most reports of the same day, then most independent sources, then the first
        # formed (`max` keeps the first of equals, and `fitting` is in the order clusters formed)
        best = max(fitting, key=lambda cl: (sum(x.day == rep.day for x in cl),
                                            len({groups_of[x.rec.article.id] for x in cl})))
        mentions = _mentions(best)
        for cl in fitting:
            # the two directions of one reciprocal report ("A and B exchanged fire": A on B, B on A)
            # are one event: what supports one supports the other
            if cl is best or _mentions(cl) == mentions:
                cl.append(rep)
    for cl in clusters:
        cl.sort(key=lambda x: x.order)  # supports in report order; the earliest report names the event
    clusters.sort(key=lambda cl: cl[0].order)
    return [_fused(cl, story_id, groups_of, copies) for cl in clusters]


def _fits(cl: list[_Report], rep: _Report) -> bool:
    return all(same_event(x, rep) for x in cl) and all(abs((x.day - rep.day).days) <= DATE_DAYS
                                                       for x in cl if x.day and rep.day)


def _mentions(cl: list[_Report]) -> set[tuple[str, int]]:
    return {(x.rec.article.id, x.ev.sentence.start) for x in cl}


def _pos(records: Sequence[ArticleRecord], r: ArticleRecord) -> int:
    return next(i for i, x in enumerate(records) if x is r)


def _names(rec: ArticleRecord, ids: Iterable[str]) -> list[tuple[str, str | None, set[str]]]:
    ents = {e.id: e for e in rec.entities}
    skip = dateline_entity(rec)
    return [(ents[i].name, ents[i].country, _keys(ents[i])) for i in ids if i in ents and i != skip]


def _merge_names(cl: list[_Report], role: str) -> tuple[list[str], list[str]]:
    names: list[str] = []
    seen: list[set[str]] = []
    countries: list[str] = []
    for rep in cl:
        for name, country, keys in _names(rep.rec, getattr(rep.ev, role)):
            if not any(keys & k for k in seen):
                # Prefer the longest form: "Andrés Rivera" over "Rivera".
                names.append(name)
                seen.append(set(keys))
            else:
                i = next(i for i, k in enumerate(seen) if keys & k)
                if len(name) > len(names[i]):
                    names[i] = name
                seen[i] |= keys
            if country and country not in countries:
                countries.append(country)
    return names, countries


def _claims(values: list[tuple[Any, _Report, str]]) -> list[Claim]:
    by: dict[Any, list[tuple[_Report, str]]] = {}
    for v, rep, text in values:
        by.setdefault(v, []).append((rep, text))
    out = []
    for v, reps in by.items():
        arts: list[str] = []
        srcs: list[str | None] = []
        texts: list[str] = []
        for rep, text in reps:
            if rep.rec.article.id not in arts:
                arts.append(rep.rec.article.id)
                srcs.append(rep.rec.article.source)
                texts.append(text)
        out.append(Claim(v, tuple(arts), tuple(srcs), tuple(texts)))
    return out


def _fused(cl: list[_Report], story_id: int | None, groups_of: dict[str, int],
           copies: dict[str, list[Duplicate]]) -> FusedEvent:
    first = cl[0]
    supports = []
    for rep in cl:
        a = rep.rec.article
        s, e = rep.ev.sentence.start, rep.ev.sentence.end
        supports.append(Support(a.id, rep.ev.id, a.source, a.published, (s, e), a.text[s:e].strip(),
                                rep.ev.trigger.text, groups_of[a.id],
                                tuple(d.source_id for d in copies.get(a.id, []))))
    article_ids = list(dict.fromkeys(s.article_id for s in supports))
    n_copies = sum(len(copies.get(a, [])) for a in article_ids)
    groups = sorted({s.source_group for s in supports})

    claims: dict[str, list[Claim]] = {}
    conflicts: list[str] = []
    dated = [(rep.ev.date[:10], rep, rep.ev.date) for rep in cl if _day(rep.ev.date)]
    if dated:
        claims["date"] = _claims(dated)
        if len(claims["date"]) > 1:
            conflicts.append("date")
    placed = [(rep.place.name, rep, rep.place.name) for rep in cl if rep.place is not None]
    if placed:
        claims["place"] = _claims(placed)
        ps = [rep.place for rep in cl if rep.place is not None]
        if any(not places_compatible(p, q) for i, p in enumerate(ps) for q in ps[i + 1:]):
            conflicts.append("place")
    figs: dict[str, list[tuple[Any, _Report, str]]] = {}
    for rep in cl:
        for name, (value, text) in _figures(rep).items():
            figs.setdefault(name, []).append((value, rep, text))
    for name in sorted(figs):
        claims[name] = _claims(figs[name])
        if len(claims[name]) > 1:
            conflicts.append(name)

    actors, actor_countries = _merge_names(cl, "actors")
    targets, target_countries = _merge_names(cl, "targets")
    date_value = claims["date"][0].value if "date" in claims and "date" not in conflicts else None
    place = None
    if placed and "place" not in conflicts:
        fine = [rep.place for rep in cl if rep.place is not None and rep.place.feature not in COARSE]
        place = (fine or [rep.place for rep in cl if rep.place is not None])[0].name  # type: ignore[union-attr]
    elif not placed:
        guesses = [rep.dateline_place.name for rep in cl if rep.dateline_place is not None]
        place = guesses[0] if len(set(guesses)) == 1 else None
    earliest = min(cl, key=lambda r: (r.rec.article.published or "9999", r.order))
    # Noisy-or over independent sources: a copy adds no confidence, a second outlet does.
    best = {g: max(rep.ev.confidence for rep in cl if groups_of[rep.rec.article.id] == g) for g in groups}
    conf = 1.0 - math.prod(1.0 - min(c, 0.99) for c in best.values())
    fid = hashlib.sha1(f"{first.rec.article.id}:{first.ev.id}".encode()).hexdigest()[:12]
    return FusedEvent(
        id=fid, story_id=story_id, type=first.ev.type, mode=first.ev.mode, status=first.ev.status,
        actors=actors, targets=targets, actor_countries=actor_countries, target_countries=target_countries,
        date=date_value, place=place, n_mentions=len(supports), n_articles=len(article_ids) + n_copies,
        n_sources=len(groups), earliest=earliest.rec.article.published, earliest_article=earliest.rec.article.id,
        confidence=round(conf, 3), supports=supports, claims=claims, conflicts=conflicts,
    )


# -- the store side ------------------------------------------------------------

DDL = (
    """CREATE TABLE IF NOT EXISTS fused_events (
        id TEXT PRIMARY KEY, story_id INTEGER, type TEXT NOT NULL, date TEXT, n_sources INTEGER NOT NULL,
        conflict INTEGER NOT NULL, data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS fused_events_story ON fused_events (story_id)",
)


def fuse_story(store: Store, story_id: int) -> list[FusedEvent]:
    """Fuse one stored story's events (not saved; `fuse_store` saves)."""
    from .stories import story_records

    records = list(story_records(store, story_id))
    copies = {r.article.id: store.duplicates_of(r.article.id) for r in records}
    return fuse_records(records, story_id=story_id, copies=copies)


def fuse_store(store: Store, *, story_ids: Iterable[int] | None = None) -> list[FusedEvent]:
    """Fuse every story (or the given ones) and save the results in `fused_events`, replacing old ones."""
    _ensure(store)
    ids = list(story_ids) if story_ids is not None else [int(r[0]) for r in
                                                           store.execute("SELECT id FROM stories ORDER BY id")]
    out: list[FusedEvent] = []
    for sid in ids:
        fused = fuse_story(store, sid)
        with store.transaction() as run:
            run("DELETE FROM fused_events WHERE story_id = ?", (sid,))
            for f in fused:
                run("INSERT INTO fused_events (id, story_id, type, date, n_sources, conflict, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (f.id, sid, f.type, f.date, f.n_sources, int(bool(f.conflicts)),
                     json.dumps(f.to_dict(), ensure_ascii=False)))
        out.extend(fused)
    return out


def _ensure(store: Store) -> None:
    from .stories import ensure_tables

    ensure_tables(store)
    with store.transaction() as run:
        for sql in DDL:
            run(sql, ())


def list_fused(store: Store, story_id: int | None = None) -> list[dict[str, Any]]:
    """Saved fused events (as dicts), of one story or all, by date."""
    _ensure(store)
    if story_id is None:
        rows = store.execute("SELECT data FROM fused_events ORDER BY date, id")
    else:
        rows = store.execute("SELECT data FROM fused_events WHERE story_id = ? ORDER BY date, id", (story_id,))
    return [json.loads(r[0]) for r in rows]
