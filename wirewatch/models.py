"""Typed records that flow between stages: the `wirewatch/article-1` record.

Every stage takes and returns these plain dataclasses; `ArticleRecord.to_dict`
gives exactly the JSON shape of RECORD.md and `from_dict` reads it back, so
the store, the exports and the API all speak the same record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA = "wirewatch/article-1"

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
STATUSES = ("occurred", "planned", "expected", "negated", "hypothetical")
SECTORS = (
    "GOV", "MIL", "LEG", "JUD", "POL", "REB", "OPP", "PTY", "IGO", "NGO", "BUS", "MED", "CVL",
    "REL", "EDU",
)
ENTITY_TYPES = ("PERSON", "ORG", "GPE", "LOC", "NORP", "EVENT", "LAW")


@dataclass(slots=True)
class Mention:
    start: int
    end: int
    text: str


@dataclass(slots=True)
class Span:
    start: int
    end: int


@dataclass(slots=True)
class Article:
    """An article as read, before analysis. `text` is what every offset points into."""

    text: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    language: str | None = "en"
    dateline: str | None = None  # place id once resolved; the raw dateline text is `dateline_text`
    id: str = ""
    author: str | None = None
    dateline_text: str | None = None
    dateline_span: Span | None = None
    path: str | None = None  # where it was read from (not part of the record's article block)

    def record_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "language": self.language,
            "dateline": self.dateline,
            "text": self.text,
            "author": self.author,
        }


@dataclass(slots=True)
class Role:
    title: str
    country: str | None = None
    sector: str | None = None


@dataclass(slots=True)
class Entity:
    id: str
    name: str
    type: str
    country: str | None = None
    sector: str | None = None
    roles: list[Role] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)


@dataclass(slots=True)
class Place:
    id: str
    name: str
    geonameid: int | None = None
    country: str | None = None
    admin1: str | None = None
    lat: float | None = None
    lon: float | None = None
    feature: str | None = None
    entity: str | None = None  # the GPE/LOC entity this place resolves
    mentions: list[Mention] = field(default_factory=list)


@dataclass(slots=True)
class Time:
    id: str
    text: str
    start: int
    end: int
    type: str  # DATE, TIME, DURATION, SET
    value: str | None


@dataclass(slots=True)
class Quantity:
    id: str
    text: str
    start: int
    end: int
    value: float | int
    approximate: bool = False
    unit: str | None = None
    of: str | None = None
    entity: str | None = None
    currency: str | None = None
    range_end: float | int | None = None


@dataclass(slots=True)
class Quote:
    id: str
    text: str
    start: int
    end: int
    speaker: str | None
    speaker_text: str | None
    cue: str | None
    direct: bool


@dataclass(slots=True)
class Event:
    id: str
    type: str
    mode: str | None
    actors: list[str]
    targets: list[str]
    place: str | None
    time: str | None
    date: str | None
    status: str
    trigger: Mention
    sentence: Span
    confidence: float
    date_source: str | None = None  # clause | context | None
    place_source: str | None = None  # clause | dateline | None


@dataclass(slots=True)
class ArticleRecord:
    article: Article
    entities: list[Entity] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    times: list[Time] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "article": self.article.record_dict(),
            "entities": [asdict(e) for e in self.entities],
            "places": [asdict(p) for p in self.places],
            "times": [asdict(t) for t in self.times],
            "quantities": [asdict(q) for q in self.quantities],
            "quotes": [asdict(q) for q in self.quotes],
            "events": [asdict(v) for v in self.events],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArticleRecord:
        if d.get("schema") != SCHEMA:
            raise ValueError(f"schema: expected {SCHEMA!r}, got {d.get('schema')!r}")
        a = d["article"]
        article = Article(**{k: a.get(k) for k in
                             ("id", "title", "source", "url", "published", "language",
                              "dateline", "text", "author")})
        return cls(
            article=article,
            entities=[
                Entity(**{**e, "roles": [Role(**r) for r in e.get("roles", [])],
                          "mentions": [Mention(**m) for m in e.get("mentions", [])]})
                for e in d.get("entities", [])
            ],
            places=[Place(**{**p, "mentions": [Mention(**m) for m in p.get("mentions", [])]})
                    for p in d.get("places", [])],
            times=[Time(**t) for t in d.get("times", [])],
            quantities=[Quantity(**q) for q in d.get("quantities", [])],
            quotes=[Quote(**q) for q in d.get("quotes", [])],
            events=[
                Event(**{**v, "trigger": Mention(**v["trigger"]), "sentence": Span(**v["sentence"])})
                for v in d.get("events", [])
            ],
        )


def field_names(cls: type) -> list[str]:
    return [f.name for f in fields(cls)]
