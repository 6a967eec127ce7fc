"""The actor knowledge base: who is who, learnt from the stored articles, corrected by a user file.

For every person, organisation and group the store has seen it keeps the names
and aliases, the country and sector most articles coded, each role title with
the first and last date it was reported, and the evidence spans. Identities
are merged across articles only where the text supports it:

* the same normalised name or alias (a mention text of the entity in some article);
* a bare surname ("Blinken", "Secretary Blinken" with the title stripped) joins
  the one full name with that surname - and only when exactly one exists and the
  countries do not disagree;
* two full names with the same surname whose first names are compatible
  ("Tony" / "Antony", "A." / "Antony") and whose countries agree.

A user file (TOML or JSON, `settings.kb_file`) adds or corrects entries; what it
says wins over what was learnt. `KnowledgeBase.lookup(name)` gives the
(country, sector) the extractor can use for an actor an article names without a title.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .models import ArticleRecord, Entity

if TYPE_CHECKING:
    from .store.base import Store

__all__ = ["Actor", "KnowledgeBase", "Profile", "RoleSpan", "actor_profile", "build_kb", "load_user_file"]

KB_TYPES = frozenset({"PERSON", "ORG", "NORP"})
MAX_EVIDENCE = 20  # spans kept per actor: enough to check a claim, small enough to print
TITLE_WORDS = frozenset("""president prime minister secretary general gen sen senator rep mr mrs ms dr
    foreign defence defense interior finance chancellor king queen prince sheikh ambassador envoy
    commissioner governor mayor spokesman spokeswoman spokesperson chief colonel col major maj captain
    capt lt lieutenant sergeant commander director chairman chairwoman leader judge justice pope
    cardinal bishop rev state deputy vice acting former opposition army""".split())


def norm(s: str) -> str:
    """Case, accents, punctuation and a leading 'the' / trailing possessive removed."""
    s = unicodedata.normalize("NFKD", s.lower().replace("’", "'"))
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = re.sub(r"^the\s+|'s$", "", s.strip())
    return re.sub(r"[^\w]+", " ", s).strip()


def strip_title(name: str) -> str:
    """'Secretary Blinken' -> 'blinken', 'Gen. Mark Milley' -> 'mark milley' (normalised)."""
    words = norm(name).split()
    while len(words) > 1 and words[0] in TITLE_WORDS:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class RoleSpan:
    """A role title and when it was reported: 'Foreign Minister, reported 2026-03-12 … 2026-03-12'."""

    title: str
    country: str | None
    sector: str | None
    first_reported: str | None
    last_reported: str | None
    n_articles: int


@dataclass(frozen=True, slots=True)
class Evidence:
    article_id: str
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Actor:
    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    country: str | None = None
    sector: str | None = None
    roles: list[RoleSpan] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    from_user: bool = False


@dataclass(slots=True)
class _Acc:
    """What is gathered for one identity while building."""

    names: Counter[str] = field(default_factory=Counter)
    type: Counter[str] = field(default_factory=Counter)
    country: Counter[str] = field(default_factory=Counter)
    sector: Counter[str] = field(default_factory=Counter)
    roles: dict[str, list[str | None]] = field(default_factory=dict)  # normalised title -> days
    role_articles: dict[str, set[str]] = field(default_factory=dict)
    role_codes: dict[str, Counter[tuple[str | None, str | None]]] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    articles: list[str] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    titles: Counter[str] = field(default_factory=Counter)  # display forms of role titles

    def add(self, e: Entity, article_id: str, day: str | None) -> None:
        self.names[e.name] += 1
        self.type[e.type] += 1
        if e.country:
            self.country[e.country] += 1
        if e.sector:
            self.sector[e.sector] += 1
        for r in e.roles:
            key = norm(r.title)
            self.roles.setdefault(key, []).append(day)
            self.role_articles.setdefault(key, set()).add(article_id)
            self.role_codes.setdefault(key, Counter())[(r.country, r.sector)] += 1
            self.titles[r.title] += 1
            # A title states nationality outright ("Indonesian Foreign Minister"): it outvotes
            # one article's guess from context.
            if r.country:
                self.country[r.country] += 2
            if r.sector:
                self.sector[r.sector] += 2
        for m in e.mentions:
            if len(self.evidence) < MAX_EVIDENCE:
                self.evidence.append(Evidence(article_id, m.start, m.end, m.text))
            if not m.text[:1].islower():  # pronouns and common nouns are not names
                self.aliases.add(m.text)
        if article_id not in self.articles:
            self.articles.append(article_id)

    def merge(self, other: _Acc) -> None:
        self.names.update(other.names)
        self.type.update(other.type)
        self.country.update(other.country)
        self.sector.update(other.sector)
        for k, v in other.roles.items():
            self.roles.setdefault(k, []).extend(v)
            self.role_articles.setdefault(k, set()).update(other.role_articles[k])
            self.role_codes.setdefault(k, Counter()).update(other.role_codes[k])
        self.evidence = (self.evidence + other.evidence)[:MAX_EVIDENCE]
        self.articles += [a for a in other.articles if a not in self.articles]
        self.aliases |= other.aliases
        self.titles.update(other.titles)


def _top(c: Counter[str]) -> str | None:
    return min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else None


def _first_names_compatible(a: str, b: str) -> bool:
    """'tony' ~ 'antony', 'a' ~ 'antony', equal names; not 'john' ~ 'joan'."""
    if a == b:
        return True
    if len(a) == 1 or len(b) == 1:
        return a[0] == b[0]
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and short in long_


class KnowledgeBase:
    """Actors by id, with an index from every normalised alias (and unambiguous surname) to an id."""

    def __init__(self, actors: Iterable[Actor] = ()):
        self.actors: dict[str, Actor] = {}
        self._alias: dict[str, str] = {}
        self._surname: dict[str, set[str]] = {}
        for a in actors:
            self._put(a)

    def _put(self, a: Actor) -> None:
        self.actors[a.id] = a
        for n in [a.name, *a.aliases]:
            k = strip_title(n)
            if k and (k not in self._alias or a.from_user):
                self._alias[k] = a.id
        if a.type == "PERSON" and " " in strip_title(a.name):
            self._surname.setdefault(strip_title(a.name).rsplit(" ", 1)[1], set()).add(a.id)

    def __len__(self) -> int:
        return len(self.actors)

    def __iter__(self) -> Iterator[Actor]:
        return iter(self.actors.values())

    def find(self, name: str) -> Actor | None:
        """The actor a name refers to: an alias, else a unique surname; None if unknown or ambiguous."""
        k = strip_title(name)
        if not k:
            return None
        if k in self._alias:
            return self.actors[self._alias[k]]
        if " " not in k:
            ids = self._surname.get(k, set())
            if len(ids) == 1:
                return self.actors[next(iter(ids))]
        return None

    def lookup(self, name: str) -> tuple[str | None, str | None] | None:
        """(country, sector) to code an actor the article gives no title for; None if unknown.

        For the extraction pipeline's actor stage: only answers when the name is
        known unambiguously and at least one of the two codes is known.
        """
        a = self.find(name)
        if a is None or (a.country is None and a.sector is None):
            return None
        return a.country, a.sector

    def with_user(self, entries: Iterable[Actor]) -> KnowledgeBase:
        """A copy in which user entries replace or extend the learnt ones (user wins)."""
        out = KnowledgeBase()
        for a in self.actors.values():
            out._put(a)
        for u in entries:
            hit = out.find(u.name) or next((out.find(x) for x in u.aliases if out.find(x)), None)
            if hit is not None:
                merged = Actor(hit.id, u.name, u.type or hit.type,
                               list(dict.fromkeys([*u.aliases, *hit.aliases, hit.name])),
                               u.country or hit.country, u.sector or hit.sector,
                               u.roles + hit.roles, hit.evidence, hit.articles, True)
                out._put(merged)
            else:
                out._put(u)
        return out


def _slug(name: str) -> str:
    return re.sub(r"\s+", "-", norm(name)) or "actor"


def build_kb(records: Iterable[tuple[ArticleRecord, str | None]], user: Iterable[Actor] = ()) -> KnowledgeBase:
    """Build from (record, day) pairs - the day a role was reported - then apply user entries."""
    accs: dict[str, _Acc] = {}
    for rec, day in records:
        for e in rec.entities:
            if e.type not in KB_TYPES:
                continue
            key = strip_title(e.name)
            if not key:
                continue
            accs.setdefault(key, _Acc()).add(e, rec.article.id, day)
    _merge_identities(accs)
    actors = []
    used: set[str] = set()
    for key, acc in sorted(accs.items(), key=lambda kv: (-len(kv[1].articles), kv[0])):
        # The fullest form most articles use: "Antony Blinken" over "Blinken" and "Tony Blinken".
        name = max(acc.names.items(), key=lambda kv: (len(kv[0].split()), kv[1], len(kv[0]), kv[0]))[0]
        aid = _slug(name)
        while aid in used:
            aid += "-"
        used.add(aid)
        roles = []
        for title, days in acc.roles.items():
            ds = sorted(d for d in days if d)
            codes = acc.role_codes[title]
            country = _top(Counter({c: n for (c, _), n in codes.items() if c}))
            sector = _top(Counter({s: n for (_, s), n in codes.items() if s}))
            shown = max((t for t in acc.titles if norm(t) == title),
                        key=lambda t: (acc.titles[t], t[:1].isupper(), t), default=title)
            roles.append(RoleSpan(shown, country, sector, ds[0] if ds else None, ds[-1] if ds else None,
                                  len(acc.role_articles[title])))
        roles.sort(key=lambda r: (r.first_reported or "", r.title))
        aliases = sorted({a for a in acc.aliases | set(acc.names) if a != name} | {key} - {norm(name)})
        actors.append(Actor(aid, name, _top(acc.type) or "PERSON", aliases, _top(acc.country),
                            _top(acc.sector), roles, acc.evidence, acc.articles))
    return KnowledgeBase(actors).with_user(user)


def _merge_identities(accs: dict[str, _Acc]) -> None:
    """Fold surnames and nickname variants into the full name the evidence points to (in place)."""
    def country_ok(a: _Acc, b: _Acc) -> bool:
        ca, cb = _top(a.country), _top(b.country)
        return ca is None or cb is None or ca == cb

    def is_person(a: _Acc) -> bool:
        return _top(a.type) == "PERSON"

    full = [k for k in accs if " " in k and is_person(accs[k])]
    by_surname: dict[str, list[str]] = {}
    for k in full:
        by_surname.setdefault(k.rsplit(" ", 1)[1], []).append(k)
    # Nickname / initial variants of one full name: same surname, compatible first names, same country.
    for ks in by_surname.values():
        ks.sort(key=lambda k: (-len(accs[k].articles), k))
        for i, a in enumerate(ks):
            if a not in accs:
                continue
            for b in ks[i + 1:]:
                if b in accs and len(a.split()) == len(b.split()) \
                        and _first_names_compatible(a.split()[0], b.split()[0]) and country_ok(accs[a], accs[b]) \
                        and _top(accs[a].country) is not None:
                    accs[a].merge(accs.pop(b))
    # Bare surnames: join the only full name with that surname.
    for k in [k for k in accs if " " not in k and is_person(accs[k])]:
        cands = [f for f in by_surname.get(k, []) if f in accs]
        if len(cands) == 1 and country_ok(accs[cands[0]], accs[k]):
            accs[cands[0]].merge(accs.pop(k))
    # Organisations and groups: an alias of one identity that is another's key folds into it.
    alias_of: dict[str, str] = {}
    for k, acc in accs.items():
        for al in acc.aliases:
            n = strip_title(al)
            if n != k:
                alias_of.setdefault(n, k)
    for k in list(accs):
        target = alias_of.get(k)
        if target and target in accs and k in accs and target != k and _top(accs[k].type) == _top(accs[target].type):
            accs[target].merge(accs.pop(k))


# -- the user file -------------------------------------------------------------

def load_user_file(path: str | Path) -> list[Actor]:
    """Entries from a TOML (`[[actor]]` tables) or JSON (a list, or {"actors": [...]}) file.

    Each entry: name (required), aliases, type (PERSON/ORG/NORP), country, sector,
    roles = [{title, country, sector, since, until}].
    """
    p = Path(path)
    try:
        raw = p.read_text("utf-8")
        data: Any = tomllib.loads(raw) if p.suffix.lower() == ".toml" else json.loads(raw)
    except (OSError, tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        raise ConfigError(f"{p}: cannot read the knowledge-base file ({e})") from e
    if isinstance(data, dict):
        data = data.get("actor", data.get("actors", []))
    if not isinstance(data, list):
        raise ConfigError(f"{p}: expected a list of actor entries ([[actor]] in TOML, a list in JSON)")
    out = []
    for i, d in enumerate(data):
        if not isinstance(d, dict) or not isinstance(d.get("name"), str):
            raise ConfigError(f"{p}: entry {i + 1} needs a 'name' string")
        roles = [RoleSpan(r["title"], r.get("country"), r.get("sector"), r.get("since"), r.get("until"), 0)
                 for r in d.get("roles", [])]
        out.append(Actor(_slug(d["name"]), d["name"], d.get("type", "PERSON"), list(d.get("aliases", [])),
                         d.get("country"), d.get("sector"), roles, from_user=True))
    return out


def kb_from_store(store: Store, user_file: str | Path | None = None) -> KnowledgeBase:
    """Build the knowledge base from every stored article (role dates: published, else ingest day)."""
    ingested = {r[0]: r[1] for r in store.execute("SELECT id, ingested_at FROM articles")}

    def pairs() -> Iterator[tuple[ArticleRecord, str | None]]:
        for rec in store.iter_records():
            day = rec.article.published or ingested.get(rec.article.id)
            yield rec, day[:10] if day else None

    return build_kb(pairs(), load_user_file(user_file) if user_file else ())


_DEFAULT: KnowledgeBase | None = None


def set_default(kb: KnowledgeBase | None) -> None:
    """Install the knowledge base `lookup` uses (ingest builds it once from its store)."""
    global _DEFAULT
    _DEFAULT = kb


def get_default() -> KnowledgeBase | None:
    """The installed knowledge base, to hand to worker processes (they do not share globals)."""
    return _DEFAULT


def lookup(name: str) -> tuple[str | None, str | None] | None:
    """(country, sector) of a known actor from the installed knowledge base; None without one."""
    return _DEFAULT.lookup(name) if _DEFAULT is not None else None


# -- profiles ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ProfileEvent:
    date: str | None
    role: str  # actor | target
    type: str
    status: str
    others: list[str]  # the other side's names
    sentence: str
    article_id: str


@dataclass(frozen=True, slots=True)
class ProfileQuote:
    date: str | None
    text: str
    direct: bool
    article_id: str


@dataclass(frozen=True, slots=True)
class Profile:
    actor: Actor
    events: list[ProfileEvent]
    co_actors: list[tuple[str, int]]
    quotes: list[ProfileQuote]


def actor_profile(store: Store, name: str, kb: KnowledgeBase | None = None) -> Profile | None:
    """Role history, events as actor and target over time, co-occurring actors and quotes."""
    kb = kb or kb_from_store(store)
    actor = kb.find(name)
    if actor is None:
        return None
    names = {strip_title(n) for n in [actor.name, *actor.aliases]}
    events: list[ProfileEvent] = []
    quotes: list[ProfileQuote] = []
    co: Counter[str] = Counter()
    for aid in actor.articles:
        rec = store.get_record(aid)
        if rec is None:
            continue
        mine = {e.id for e in rec.entities if e.type in KB_TYPES and
                (strip_title(e.name) in names or kb.find(e.name) is actor)}
        if not mine:
            continue
        ents = {e.id: e for e in rec.entities}
        others = set()
        for e in rec.entities:
            if e.id not in mine and e.type in KB_TYPES:
                other = kb.find(e.name)
                others.add(other.name if other else e.name)
        co.update(others - {actor.name})  # articles in which each other actor appears
        for v in rec.events:
            for role, ids, other_ids in (("actor", v.actors, v.targets), ("target", v.targets, v.actors)):
                if mine & set(ids):
                    s = rec.article.text[v.sentence.start:v.sentence.end].strip()
                    events.append(ProfileEvent(v.date or rec.article.published, role, v.type, v.status,
                                               [ents[i].name for i in other_ids if i in ents], s, aid))
        for q in rec.quotes:
            if q.speaker in mine:
                quotes.append(ProfileQuote(rec.article.published, q.text, q.direct, aid))
    events.sort(key=lambda e: (e.date or "", e.article_id))
    quotes.sort(key=lambda q: (q.date or "", q.article_id))
    return Profile(actor, events, sorted(co.items(), key=lambda kv: (-kv[1], kv[0]))[:15], quotes)
