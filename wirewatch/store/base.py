"""The Store interface: one contract, two back ends (SQLite by default, PostgreSQL).

Everything above the store (ingest, REST API, dashboard, exports, story
clustering, watches) talks to this interface only; `open_store(url)` picks the
back end from the URL. The contract, tested on both back ends by
`tests/test_store.py`:

* Records are kept in normalised tables (articles, entities, roles, mentions,
  places, times, quantities, quotes, events, event actors/targets) and
  `get_record(id).to_dict()` equals the `to_dict()` that was stored.
* `put()` writes one article - record, source metadata and MinHash signature -
  in ONE transaction and is idempotent on the article id; readers never see a
  half-written article, and a process killed at any moment loses or duplicates
  nothing.
* One writer at a time is the intended use (ingest has a single writer);
  any number of readers, in any process, may read concurrently.
* Every row has an ingest sequence number (`seq`): it only grows, so
  `iter_records(after=seq)` resumes exactly and cursors stay stable while
  articles are added.

Dates (`since`, `until`, `published`, event `date`) are ISO 8601 strings and
are compared on their first 10 characters (`YYYY-MM-DD`), inclusive.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields, replace
from typing import Any, Generic, Literal, TypeVar

from ..models import ArticleRecord

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Filters:
    """Filters shared by `search_articles` and `search_events`; None means 'any'.

    actor:   case-insensitive substring of an entity name (for events: an actor
             or target of the event; for articles: any entity of the article).
    country: ISO3 / organisation code of an entity (events: an actor or target,
             or the event's place; articles: any entity or place).
    type:    PLOVER event type (`ASSAULT`); status: event status (`occurred`).
    since, until: inclusive ISO dates; events use the event date, else the
             article's published date; articles use their published date.
    place:   case-insensitive substring of a place name (events: the event's
             place; articles: any place of the article).
    source:  the article's `source` (case-insensitive, exact).
    """

    actor: str | None = None
    country: str | None = None
    type: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    place: str | None = None
    source: str | None = None

    def merged(self, **kw: Any) -> Filters:
        """A copy with the non-None keyword values applied."""
        return replace(self, **{k: v for k, v in kw.items() if v is not None})

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results; pass `next_cursor` back to get the next page (None: no more)."""

    items: list[T]
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleHit:
    """An article found by `search_articles` (without its analysis; `get_record` has that)."""

    id: str
    seq: int
    title: str | None
    source: str | None
    url: str | None
    published: str | None
    source_id: str | None
    ingested_at: str
    snippet: str  # the first ~200 characters of the text
    n_events: int


@dataclass(frozen=True, slots=True)
class EventHit:
    """An event found by `search_events`, with its names resolved for display."""

    article_id: str
    event_id: str
    seq: int  # of the article
    type: str
    mode: str | None
    status: str
    date: str | None
    confidence: float
    actors: list[str]  # entity names, in order
    targets: list[str]
    actor_countries: list[str | None]
    target_countries: list[str | None]
    place: str | None  # place name
    place_country: str | None
    trigger: str
    sentence: str  # the sentence text, cut from the article
    title: str | None
    source: str | None
    published: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class StoredMeta:
    """What the store knows about a stored article beyond its record (passed to `on_stored`)."""

    seq: int
    source_id: str | None
    fetched_at: str | None
    ingested_at: str


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A copy that was not analysed because it repeats `original_id`.

    kind: "exact" (same normalised text: `article_id == original_id`) or "near"
    (MinHash estimate >= the threshold; `article_id` is the copy's own text hash).
    The pair (article_id, source_id) is the key: recording it twice adds nothing.
    """

    article_id: str
    source_id: str
    original_id: str
    kind: Literal["exact", "near"]
    similarity: float = 1.0
    title: str | None = None
    url: str | None = None
    seen_at: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """A failure recorded by `log_error`; the same (source_id, stage, reason) only bumps `count`."""

    source_id: str
    stage: str  # read | fetch | extract | store | feed
    reason: str
    article_id: str | None
    count: int
    first_at: str
    last_at: str


@dataclass(frozen=True, slots=True)
class Feed:
    """A subscribed RSS/Atom feed and its conditional-request state."""

    url: str
    title: str | None = None
    added_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_polled: str | None = None
    last_status: str | None = None  # "200", "304", or an error message


@dataclass(slots=True)
class Stats:
    """Counts for `wirewatch stats` and dashboards; lists are (key, count), largest first
    (by_day: chronological)."""

    articles: int = 0
    entities: int = 0
    events: int = 0
    quotes: int = 0
    duplicates: int = 0
    errors: int = 0
    feeds: int = 0
    by_source: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[str, int]] = field(default_factory=list)  # published day of articles
    by_type: list[tuple[str, int]] = field(default_factory=list)  # events per PLOVER type
    by_country: list[tuple[str, int]] = field(default_factory=list)  # events per actor country

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


OnStored = Callable[[ArticleRecord, StoredMeta], None]


class Store(ABC):
    """A durable, searchable home for article records.

    Use as a context manager or call `close()`. Not safe to share one Store
    object between processes (open one per process); one object may be used
    from several threads (calls are serialised).
    """

    #: "sqlite" or "postgresql"
    dialect: str
    #: the URL it was opened with
    url: str

    def __init__(self) -> None:
        #: Called after each newly stored article is committed, in the writing
        #: process, as `callback(record, meta)`. An exception in a callback is
        #: logged and does not undo or stop the write (the article is already
        #: durable). Watches hang themselves here: an alert never names an article
        #: that could still roll back.
        self.on_stored: list[OnStored] = []
        #: Called inside each new article's write transaction, after its rows and before
        #: the commit, as `callback(record, meta)`. Writes a callback makes through
        #: `transaction()` join that transaction, so derived rows (a story membership)
        #: commit with the article or not at all, at no extra commit. A callback that
        #: raises is rolled back to a savepoint and logged; the article still commits.
        #: Story clustering hangs itself here.
        self.on_write: list[OnStored] = []

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _notify_write(self, record: ArticleRecord, meta: StoredMeta) -> None:
        """Run the `on_write` hooks; a back end calls this inside the article's transaction."""
        for cb in list(self.on_write):
            try:
                with self._savepoint():
                    cb(record, meta)
            except Exception:  # a broken hook must not cost the article
                log.exception("on_write callback %r failed for article %s", cb, record.article.id)

    def _savepoint(self) -> AbstractContextManager[None]:
        """Undo what a hook wrote if it raises; a store without nested transactions gets none."""
        return nullcontext()

    def _notify(self, record: ArticleRecord, meta: StoredMeta) -> None:
        for cb in list(self.on_stored):
            try:
                cb(record, meta)
            except Exception:  # a broken hook must not break ingest
                log.exception("on_stored callback %r failed for article %s", cb, record.article.id)

    # -- lifecycle ------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Close the connection; the store object is unusable afterwards."""

    @abstractmethod
    def schema_version(self) -> int:
        """The number of the last migration applied (migrations run on open)."""

    # -- writing --------------------------------------------------------

    @abstractmethod
    def put(self, record: ArticleRecord, *, source_id: str | None = None, fetched_at: str | None = None,
            signature: bytes | None = None) -> bool:
        """Store one record in one transaction; False (and no change) if its id is already stored.

        source_id: the stable id of where it came from (file path, URL, WARC record);
        fetched_at: when it was fetched (ISO); signature: the MinHash signature
        bytes of `wirewatch.dedup` so the near-duplicate index can be rebuilt.
        When the article is new, calls the `on_write` hooks before the commit and the
        `on_stored` hooks after it.
        """

    @abstractmethod
    def add_duplicate(self, dup: Duplicate) -> bool:
        """Record a duplicate link; False if this (article_id, source_id) was already recorded."""

    @abstractmethod
    def log_error(self, source_id: str, reason: str, *, stage: str = "extract",
                  article_id: str | None = None) -> None:
        """Record a failure (its own transaction); repeats bump `count` and `last_at`."""

    # -- reading one ----------------------------------------------------

    @abstractmethod
    def has_article(self, article_id: str) -> bool:
        """Whether an article with this id is stored."""

    @abstractmethod
    def seen_source(self, source_id: str) -> bool:
        """Whether this source id was already stored, or recorded as a duplicate
        (feed polling uses it to avoid re-fetching pages)."""

    @abstractmethod
    def get_record(self, article_id: str) -> ArticleRecord | None:
        """Rebuild the record from the normalised tables; None if not stored."""

    @abstractmethod
    def get_meta(self, article_id: str) -> StoredMeta | None:
        """Source id, fetch and ingest times, and seq of a stored article."""

    @abstractmethod
    def duplicates_of(self, article_id: str) -> list[Duplicate]:
        """The copies recorded as duplicates of this article, oldest first."""

    # -- reading many ---------------------------------------------------

    @abstractmethod
    def iter_records(self, since: str | None = None, *, after: int | None = None,
                     batch_size: int = 200) -> Iterator[ArticleRecord]:
        """Every stored record in ingest order, streamed in batches.

        since: only articles ingested at or after this ISO timestamp;
        after: only articles with seq > after (exact resumption).
        """

    @abstractmethod
    def iter_signatures(self) -> Iterator[tuple[str, bytes]]:
        """(article_id, MinHash signature bytes) of every stored article that has one."""

    @abstractmethod
    def near_candidates(self, keys: Sequence[int]) -> list[tuple[str, bytes]]:
        """(article_id, signature) of the stored articles sharing an LSH band key with `keys`."""

    @abstractmethod
    def band_missing_signatures(self) -> int:
        """Write the band keys of stored signatures that have none (stores made before the band
        table); returns how many signatures were banded."""

    @abstractmethod
    def search_articles(self, query: str | None = None, filters: Filters | None = None, *,
                        limit: int = 50, cursor: str | None = None, **filter_kw: Any) -> Page[ArticleHit]:
        """Full-text search (all words must match, title and text; FTS5 / tsvector)
        plus filters, newest first (by seq). Keyword filters override `filters`."""

    @abstractmethod
    def search_events(self, filters: Filters | None = None, *, query: str | None = None, limit: int = 50,
                      cursor: str | None = None, **filter_kw: Any) -> Page[EventHit]:
        """Events matching the filters (and, with `query`, in articles matching that full-text
        query), newest article first, then in article order."""

    @abstractmethod
    def stats(self, *, top: int = 20) -> Stats:
        """Counts overall and per source, day, event type and actor country (top N each)."""

    @abstractmethod
    def list_errors(self, *, limit: int = 100, stage: str | None = None) -> list[ErrorEntry]:
        """The most recent errors first."""

    # -- feeds ------------------------------------------------------------

    @abstractmethod
    def add_feed(self, url: str, *, title: str | None = None) -> bool:
        """Subscribe to a feed; False if it was already subscribed."""

    @abstractmethod
    def list_feeds(self) -> list[Feed]:
        """Subscribed feeds in the order they were added."""

    @abstractmethod
    def remove_feed(self, url: str) -> bool:
        """Unsubscribe; False if it was not subscribed."""

    @abstractmethod
    def update_feed(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    last_polled: str | None = None, last_status: str | None = None,
                    title: str | None = None) -> None:
        """Save a feed's conditional-request state after a poll (None leaves a field unchanged)."""

    # -- extension ------------------------------------------------------

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one SQL statement in its own transaction and return its rows.

        Placeholders are `?` on both back ends. For modules that keep their own
        tables (stories, watches): add them as a migration in
        `wirewatch.store.migrations.MIGRATIONS`, then read and write here.
        """

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only statement (`?` placeholders) and return its rows.

        Unlike `execute` it need not open a write transaction (SQLite: BEGIN IMMEDIATE), so readers
        such as the API never wait for ingest; back ends that can read without one override this.
        """
        return self.execute(sql, params)

    def text_match(self, text: str) -> tuple[str, Any]:
        """A WHERE fragment over `articles a` with one `?`, and its parameter, matching the articles
        that hold every word of `text` (the SQL back ends use FTS5 / tsvector; this is a fallback)."""
        return "(lower(a.text) LIKE ? )", f"%{text.lower()}%"

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]]:
        """`with store.transaction() as run: run(sql, params); ...` - all or nothing, `?` placeholders."""


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open (and migrate) a store: `postgresql://...` for PostgreSQL, else a SQLite file path
    (`sqlite:///path` also accepted; `:memory:` for a throwaway store)."""
    from ..settings import load_settings

    url = url or load_settings().db
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore

        return PostgresStore(url, migrate=migrate)
    from .sqlite import SQLiteStore

    return SQLiteStore(url, migrate=migrate)


def encode_cursor(seq: int, extra: int = 0) -> str:
    """An opaque cursor: the seq of the last row returned (+ an event ordinal)."""
    return f"{seq}.{extra}"


def decode_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        a, _, b = cursor.partition(".")
        return int(a), int(b or 0)
    except ValueError as e:
        from ..errors import StoreError

        raise StoreError(f"invalid cursor {cursor!r}: pass back a next_cursor from a previous page") from e


__all__: Sequence[str] = (
    "ArticleHit", "Duplicate", "ErrorEntry", "EventHit", "Feed", "Filters", "OnStored", "Page", "Stats",
    "Store", "StoredMeta", "open_store",
)
