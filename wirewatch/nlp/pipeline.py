"""The extraction pipeline: one spaCy parse, then pure stages that build the record.

    Article -> nlp.pipe -> Doc -> entities -> actors -> places -> times
            -> quantities -> quotes -> events -> ArticleRecord

Each stage is a function of (Analysis) that adds its part; none keeps state
between articles, so the same `analyse` runs in one process, a pool or on Dask.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..models import Article, ArticleRecord
from ..read.files import text_id
from ..settings import Settings, load_settings
from . import actors, entities, events, language, lemmas, places, quantities, quotes, times
from .context import Analysis

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

# The lemmatizer is needed (events match lemmas); nothing else is disabled.
DISABLE: tuple[str, ...] = ()


PARAGRAPHS = "wirewatch_paragraphs"


def paragraph_breaks(doc: Doc) -> Doc:
    """A line break always ends a sentence. The parser otherwise runs a headline into the
    dateline below it ("... demands recount\nBLANTYRE, Malawi -") and reads one clause."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if "\n" in prev.whitespace_ or (prev.is_space and "\n" in prev.text):
            tok.is_sent_start = True
    return doc


@lru_cache(maxsize=4)
def load_model(name: str) -> Language:
    """Load a spaCy pipeline once per process, with `paragraph_breaks` before its parser and
    spaCy's lemmatizer memoised (`lemmas.py`: the same lemmas, faster)."""
    import spacy
    from spacy.language import Language

    if not Language.has_factory(PARAGRAPHS):
        Language.component(PARAGRAPHS, func=paragraph_breaks)
    try:
        nlp = spacy.load(name, disable=list(DISABLE))
    except OSError as e:
        raise ConfigError(
            f"spaCy model {name!r} is not installed: install it (see README) or set WIREWATCH_MODEL"
        ) from e
    if PARAGRAPHS not in nlp.pipe_names:
        anchor = {"before": "parser"} if "parser" in nlp.pipe_names else {}
        nlp.add_pipe(PARAGRAPHS, **anchor)  # type: ignore[arg-type]
    lemmas.memoise(nlp)
    return nlp


def analyse(doc: Doc, article: Article) -> ArticleRecord:
    """Run every stage over one parsed article and return its record."""
    if not article.id:
        article.id = text_id(article.text)
    a = Analysis(doc=doc, article=article)
    if not language.is_english(article.text, doc):
        article.language = language.guess(article.text)
        return a.record()
    entities.extract(a)
    actors.code(a)
    places.resolve(a)
    actors.fill_place_countries(a)
    times.extract(a)
    quantities.extract(a)
    quotes.extract(a)
    events.extract(a)
    prune_groups(a)
    return a.record()


def prune_groups(a: Analysis) -> None:
    """Groups ("Turkish troops") are indexed as actors only when they act, speak or are acted on;
    a group merely counted or described stays text, so the entity list holds what an analyst indexes."""
    used = {x for v in a.events for x in (*v.actors, *v.targets)} | {q.speaker for q in a.quotes}
    drop = {eid for eid in a.group_of if eid not in used}
    if not drop:
        return
    a.entities = [e for e in a.entities if e.id not in drop]
    for q in a.quantities:
        if q.entity in drop:
            q.entity = None


class Extractor:
    """Holds the loaded model; `extract_many` streams records through `nlp.pipe`."""

    def __init__(self, settings: Settings | None = None, *, nlp: Language | None = None):
        self.settings = settings or load_settings()
        self._nlp = nlp

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            self._nlp = load_model(self.settings.model)
        return self._nlp

    def extract(self, article: Article) -> ArticleRecord:
        return next(self.extract_many([article]))

    def extract_many(self, articles: Iterable[Article], *, batch_size: int | None = None) -> Iterator[ArticleRecord]:
        pairs = ((a.text, a) for a in articles)
        for doc, art in self.nlp.pipe(pairs, as_tuples=True, batch_size=batch_size or self.settings.batch_size):
            yield analyse(doc, art)


@lru_cache(maxsize=1)
def default_extractor() -> Extractor:
    return Extractor()


def extract(text: str, *, title: str | None = None, published: str | None = None,
            source: str | None = None, url: str | None = None,
            extractor: Extractor | None = None) -> ArticleRecord:
    """Analyse one article body and return its `wirewatch/article-1` record."""
    from ..read.files import article_from_parts, normalise_text

    art = article_from_parts({"title": title, "text": normalise_text(text), "source": source, "url": url},
                             "<text>", published)
    return (extractor or default_extractor()).extract(art)


def extract_many(articles: Iterable[Article], *, extractor: Extractor | None = None,
                 batch_size: int | None = None) -> Iterator[ArticleRecord]:
    """Stream records for many articles, loading the model once and batching the parse."""
    return (extractor or default_extractor()).extract_many(articles, batch_size=batch_size)
