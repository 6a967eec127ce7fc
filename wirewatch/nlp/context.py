"""The working state of one article's analysis, shared by the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..models import Article, ArticleRecord, Entity, Event, Place, Quantity, Quote, Time

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


@dataclass(slots=True)
class Analysis:
    doc: Doc
    article: Article
    entities: list[Entity] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    times: list[Time] = field(default_factory=list)
    quantities: list[Quantity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    # token index -> entity id, for every token inside an entity mention
    tok_ent: dict[int, str] = field(default_factory=dict)
    # entity id -> the entity, and -> the place it resolves to
    by_id: dict[str, Entity] = field(default_factory=dict)
    place_of: dict[str, str] = field(default_factory=dict)
    # character spans that are titles/roles of an entity ("Foreign Minister"), by entity id
    role_tokens: dict[int, str] = field(default_factory=dict)
    # entity id -> group head for institutions found as "<demonym> army/police/..."
    group_of: dict[str, str] = field(default_factory=dict)
    # the entity id of the dateline place, if any
    dateline_entity: str | None = None

    def add_entity(self, ent: Entity) -> Entity:
        self.entities.append(ent)
        self.by_id[ent.id] = ent
        return ent

    def index_mentions(self) -> None:
        """Rebuild the token -> entity map from the entities' mentions."""
        self.tok_ent.clear()
        for ent in self.entities:
            for m in ent.mentions:
                span = self.doc.char_span(m.start, m.end, alignment_mode="expand")
                if span is None:
                    continue
                for t in span:
                    self.tok_ent.setdefault(t.i, ent.id)

    def entity_of(self, tok: Token) -> Entity | None:
        eid = self.tok_ent.get(tok.i)
        return self.by_id.get(eid) if eid else None

    def entity_in(self, span: Span) -> Entity | None:
        for t in span:
            e = self.entity_of(t)
            if e:
                return e
        return None

    def record(self) -> ArticleRecord:
        return ArticleRecord(
            article=self.article,
            entities=self.entities,
            places=self.places,
            times=self.times,
            quantities=self.quantities,
            quotes=self.quotes,
            events=self.events,
        )
