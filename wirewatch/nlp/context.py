"""The working state of one article's analysis, shared by the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..models import Article, ArticleRecord, Entity, Event, Place, Quantity, Quote, Time

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token


def clause_head(tok: Token) -> Token:
    """The nearest verb at or above `tok` in the parse, else the sentence root: the clause a
    noun belongs to. Compared by index: spaCy builds a new Token on every access, so `t.head is t`
    never holds and an identity test never stops at the root."""
    while tok.pos_ not in ("VERB", "AUX") and tok.head.i != tok.i:
        tok = tok.head
    return tok


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
    # Per-doc caches: doc[i], doc[a:b] and char_span build new Token/Span objects on every call,
    # and the stages ask for the same tokens many times over.
    _tokens: list[Token] | None = field(default=None, init=False, repr=False)
    _bounds: tuple[dict[int, int], dict[int, int]] | None = field(default=None, init=False, repr=False)

    @property
    def tokens(self) -> list[Token]:
        """The doc's tokens, built once: `a.tokens[i]` is `doc[i]`."""
        if self._tokens is None:
            self._tokens = list(self.doc)
        return self._tokens

    def char_bounds(self, start: int, end: int) -> tuple[int, int]:
        """(start_char, end_char) of `doc[start:end]` (a non-empty range) without building the Span."""
        toks = self.tokens
        last = toks[end - 1]
        return toks[start].idx, last.idx + len(last)

    def span_text(self, start: int, end: int) -> str:
        """`doc[start:end].text` without building the Span: the article text is the doc's text."""
        end = min(end, len(self.tokens))
        if start >= end:
            return ""
        s, e = self.char_bounds(start, end)
        return self.article.text[s:e]

    def token_range(self, start_char: int, end_char: int, alignment_mode: str = "expand") -> tuple[int, int] | None:
        """(start, end) of `doc.char_span(start_char, end_char, alignment_mode=...)`. Offsets on token
        boundaries (mentions always are) give the same tokens in every mode: a dict hit answers them
        without building the Span."""
        if self._bounds is None:
            starts: dict[int, int] = {}
            ends: dict[int, int] = {}
            for i, t in enumerate(self.tokens):
                idx = t.idx
                starts[idx] = i
                ends[idx + len(t)] = i + 1
            self._bounds = starts, ends
        s = self._bounds[0].get(start_char)
        e = self._bounds[1].get(end_char)
        if s is not None and e is not None and s < e:
            return s, e
        span = self.doc.char_span(start_char, end_char, alignment_mode=alignment_mode)
        return None if span is None else (span.start, span.end)

    def add_entity(self, ent: Entity) -> Entity:
        self.entities.append(ent)
        self.by_id[ent.id] = ent
        return ent

    def index_mentions(self) -> None:
        """Rebuild the token -> entity map from the entities' mentions."""
        self.tok_ent.clear()
        for ent in self.entities:
            for m in ent.mentions:
                rng = self.token_range(m.start, m.end)
                if rng is None:
                    continue
                for i in range(*rng):
                    self.tok_ent.setdefault(i, ent.id)

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
