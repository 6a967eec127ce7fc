"""The SQL both back ends share: writing a record into the normalised tables and rebuilding it.

The back ends (`sqlite.py`, `postgres.py`) supply a connection, transactions,
placeholder style and full-text search; everything else - the schema, the
queries, the round trip, the WHERE conditions of the filters (which the API's
queries reuse) - lives here once so the two cannot drift apart.
"""

from __future__ import annotations

import re
import threading
from abc import abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import Any

from ..dedup import band_keys
from ..errors import StoreError
from ..models import (
    Article,
    ArticleRecord,
    Entity,
    Event,
    Mention,
    Place,
    Quantity,
    Quote,
    Role,
    Span,
    Time,
)
from . import migrations
from .base import (
    ArticleHit,
    Duplicate,
    ErrorEntry,
    EventHit,
    Feed,
    Filters,
    Page,
    Stats,
    Store,
    StoredMeta,
    decode_cursor,
    encode_cursor,
)

BANDS_SQL = "INSERT INTO minhash_bands (key, article_id) VALUES (?, ?)"


def band_rows(article_id: str, signature: bytes) -> list[tuple[int, str]]:
    """The rows of `minhash_bands` for one stored signature."""
    return [(k, article_id) for k in band_keys(signature)]

Row = tuple[Any, ...]
Run = Callable[[str, Sequence[Any]], list[Row]]

# Every dataclass field the tables hold; tests compare these with models.py so a new
# field in the record fails loudly (and gets a migration) instead of being dropped.
STORED_FIELDS: dict[type, tuple[str, ...]] = {
    Entity: ("id", "name", "type", "country", "sector", "roles", "mentions"),
    Role: ("title", "country", "sector"),
    Mention: ("start", "end", "text"),
    Place: ("id", "name", "geonameid", "country", "admin1", "lat", "lon", "feature", "entity", "mentions"),
    Time: ("id", "text", "start", "end", "type", "value"),
    Quantity: ("id", "text", "start", "end", "value", "approximate", "unit", "of", "entity", "currency",
               "range_end"),
    Quote: ("id", "text", "start", "end", "speaker", "speaker_text", "cue", "direct"),
    Event: ("id", "type", "mode", "actors", "targets", "place", "time", "date", "status", "trigger",
            "sentence", "confidence", "date_source", "place_source"),
}
ARTICLE_FIELDS = ("id", "title", "source", "url", "published", "language", "dateline", "text", "author")

INT64 = 2**63


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _split_num(v: float | int | None) -> tuple[float | None, int | None]:
    """A number as (float, int-or-None) so integers come back as integers."""
    if v is None:
        return None, None
    if isinstance(v, int) and not isinstance(v, bool) and -INT64 < v < INT64:
        return float(v), v
    return float(v), None


def _join_num(f: float | None, i: int | None) -> float | int | None:
    if i is not None:
        return int(i)
    return None if f is None else float(f)


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _day(d: str | None) -> str | None:
    return d[:10] if d else None


class Where:
    """WHERE conditions and their `?` parameters, kept side by side so they cannot drift apart."""

    __slots__ = ("conds", "params")

    def __init__(self, conds: Sequence[str] = (), params: Sequence[Any] = ()) -> None:
        self.conds = list(conds)
        self.params = list(params)

    def add(self, cond: str, *params: Any) -> None:
        self.conds.append(cond)
        self.params += params

    def extend(self, other: Where) -> None:
        self.conds += other.conds
        self.params += other.params

    def clause(self, *first: str) -> str:
        """` WHERE c1 AND c2 ...` (parameterless `first` conditions, such as a join, ahead of the rest),
        or nothing when there are no conditions."""
        conds = [*first, *self.conds]
        return (" WHERE " + " AND ".join(conds)) if conds else ""


# An event argument (actor or target) whose entity passes the condition that follows; close with ")".
ARG_ENTITY = ("EXISTS (SELECT 1 FROM event_args x JOIN entities e ON e.article_id = x.article_id "
              "AND e.id = x.entity_id WHERE x.article_id = v.article_id AND x.event_id = v.id AND ")


def _dates(w: Where, day: str, f: Filters) -> None:
    """The inclusive since/until bounds on `day`, an SQL expression compared on its first 10 characters."""
    if f.since:
        w.add(f"substr({day}, 1, 10) >= ?", f.since[:10])
    if f.until:
        w.add(f"substr({day}, 1, 10) <= ?", f.until[:10])


def article_conditions(f: Filters, *, text: tuple[str, Any] | None = None, sector: str | None = None,
                       actor_exact: str | None = None, near: tuple[str, Sequence[Any]] | None = None) -> Where:
    """Conditions over `articles a`: an article matches if it has a matching entity, place or event.

    Shared by `search_articles` and the API, which adds the filters `Filters` lacks: `text` is a
    `Store.text_match` pair, `near` a condition over places `p` with its parameters.
    """
    w = Where()
    if text:
        w.add(*text)
    if f.source:
        w.add("lower(a.source) = lower(?)", f.source)
    _dates(w, "a.published", f)
    if f.actor:
        w.add("EXISTS (SELECT 1 FROM entities e WHERE e.article_id = a.id AND lower(e.name) LIKE ?)",
              f"%{f.actor.lower()}%")
    elif actor_exact:
        w.add("EXISTS (SELECT 1 FROM entities e WHERE e.article_id = a.id AND lower(e.name) = ?)",
              actor_exact.lower())
    if sector:
        w.add("EXISTS (SELECT 1 FROM entities e WHERE e.article_id = a.id AND e.sector = ?)", sector)
    if f.country:
        w.add("(EXISTS (SELECT 1 FROM entities e WHERE e.article_id = a.id AND e.country = ?) OR "
              "EXISTS (SELECT 1 FROM places p WHERE p.article_id = a.id AND p.country = ?))",
              f.country.upper(), f.country.upper())
    if f.place:
        w.add("EXISTS (SELECT 1 FROM places p WHERE p.article_id = a.id AND lower(p.name) LIKE ?)",
              f"%{f.place.lower()}%")
    if near:
        w.add(f"EXISTS (SELECT 1 FROM places p WHERE p.article_id = a.id AND {near[0]})", *near[1])
    if f.type or f.status:
        sub = Where()
        sub.add("v.article_id = a.id")
        if f.type:
            sub.add("v.type = ?", f.type.upper())
        if f.status:
            sub.add("v.status = ?", f.status.lower())
        w.add(f"EXISTS (SELECT 1 FROM events v{sub.clause()})", *sub.params)
    return w


def event_conditions(f: Filters, *, text: tuple[str, Any] | None = None, pin_plan: bool = False,
                     sector: str | None = None, actor_exact: str | None = None,
                     near: tuple[str, Sequence[Any]] | None = None) -> Where:
    """Conditions over `events v` and its article `a`; the extras as in `article_conditions`.

    pin_plan: SQLite only - a unary + keeps the planner off the (type, status) index, which would make
    it scan every event of the type for each article instead of probing each article's events by key.
    """
    w = Where()
    plus = "+" if pin_plan else ""
    if text:
        w.add(*text)
    if f.type:
        w.add(f"{plus}v.type = ?", f.type.upper())
    if f.status:
        w.add(f"{plus}v.status = ?", f.status.lower())
    _dates(w, "coalesce(v.date, a.published)", f)
    if f.source:
        w.add("lower(a.source) = lower(?)", f.source)
    if f.actor:
        w.add(ARG_ENTITY + "lower(e.name) LIKE ?)", f"%{f.actor.lower()}%")
    if actor_exact:
        w.add(ARG_ENTITY + "lower(e.name) = ?)", actor_exact.lower())
    if sector:
        w.add(ARG_ENTITY + "e.sector = ?)", sector)
    if f.country:
        w.add(f"({ARG_ENTITY}e.country = ?) OR EXISTS (SELECT 1 FROM places p WHERE "
              "p.article_id = v.article_id AND p.id = v.place AND p.country = ?))",
              f.country.upper(), f.country.upper())
    if f.place:
        w.add("EXISTS (SELECT 1 FROM places p WHERE p.article_id = v.article_id AND p.id = v.place "
              "AND lower(p.name) LIKE ?)", f"%{f.place.lower()}%")
    if near:
        w.add("EXISTS (SELECT 1 FROM places p WHERE p.article_id = v.article_id AND p.id = v.place "
              f"AND {near[0]})", *near[1])
    return w


class SQLStore(Store):
    """Shared implementation; subclasses provide the connection and dialect details."""

    dialect: str
    #: the driver's base exception, which `_errors` turns into StoreError
    _driver_error: type[Exception]

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        super().__init__()
        self.url = url
        self._lock = threading.RLock()
        self._depth = 0  # nesting of `_begin`: inner ones join the outermost transaction
        self._conn = self._connect()
        if migrate:
            self._migrate()

    # -- what a back end provides ---------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """Open the connection (autocommit: transactions are `_transaction`'s); StoreError if it cannot."""

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Execute one statement (`?` placeholders) and return its rows (empty if none)."""

    @abstractmethod
    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for each parameter row."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """The outermost write transaction: commit on success, roll back on exception."""

    @abstractmethod
    def text_match(self, text: str) -> tuple[str, Any]:
        """A WHERE fragment on alias `a` with one `?`, and the user's text turned into its parameter
        (all words must match)."""

    @abstractmethod
    def _lock_migrations(self) -> None:
        """Inside the migration transaction: keep other processes from migrating at once."""

    # -- shared plumbing -------------------------------------------------

    def _safe_url(self) -> str:
        """The URL as error messages show it (PostgreSQL hides the password)."""
        return self.url

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Driver errors as StoreError, so callers handle one exception type on both back ends."""
        try:
            yield
        except self._driver_error as e:
            raise StoreError(f"{self._safe_url()}: {e}") from e

    @contextmanager
    def _begin(self) -> Iterator[None]:
        """A write transaction; nested use (a hook writing inside `transaction()`) joins the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._transaction():
                yield
        finally:
            self._depth = 0

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo only what the block wrote if it raises (same SQL on both back ends).

        PostgreSQL refuses every statement after an error until the transaction rolls back, so a
        failing hook without one would cost the article it runs for."""
        self._run("SAVEPOINT wirewatch_hook")
        try:
            yield
        except BaseException:
            self._run("ROLLBACK TO SAVEPOINT wirewatch_hook")
            self._run("RELEASE SAVEPOINT wirewatch_hook")
            raise
        self._run("RELEASE SAVEPOINT wirewatch_hook")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- migrations -------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock, self._begin():
            self._lock_migrations()
            self._run(migrations.SCHEMA_VERSION_DDL)
            applied = {int(r[0]) for r in self._run("SELECT version FROM schema_version")}
        for mig in migrations.pending(applied):
            with self._lock, self._begin():
                self._lock_migrations()
                # Another process may have applied it while we waited for the lock.
                if self._run("SELECT 1 FROM schema_version WHERE version = ?", (mig.version,)):
                    continue
                try:
                    mig.fn(migrations.Migrator(self.dialect, lambda sql: self._run(sql) and None))
                except Exception as e:
                    raise StoreError(f"{self.url}: migration {mig.version} {mig.name!r} failed: {e}") from e
                self._run("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                          (mig.version, mig.name, now_iso()))

    def schema_version(self) -> int:
        rows = self.read("SELECT max(version) FROM schema_version")
        return int(rows[0][0] or 0)

    # -- writing ------------------------------------------------------------

    def put(self, record: ArticleRecord, *, source_id: str | None = None, fetched_at: str | None = None,
            signature: bytes | None = None) -> bool:
        # One write path for one article and for many: a batch of one (store/bulk.py builds on this
        # module, hence the late import).
        from .bulk import Pending, put_many

        return bool(put_many(self, [Pending(record, source_id, fetched_at, signature)]))

    def _write_children(self, rec: ArticleRecord) -> None:
        aid = rec.article.id
        ents, roles, ments = [], [], []
        for i, e in enumerate(rec.entities):
            ents.append((aid, e.id, i, e.name, e.type, e.country, e.sector))
            roles += [(aid, e.id, j, r.title, r.country, r.sector) for j, r in enumerate(e.roles)]
            ments += [(aid, "entity", e.id, j, m.start, m.end, m.text) for j, m in enumerate(e.mentions)]
        places = []
        for i, p in enumerate(rec.places):
            places.append((aid, p.id, i, p.name, p.geonameid, p.country, p.admin1, _opt_float(p.lat),
                           _opt_float(p.lon), p.feature, p.entity))
            ments += [(aid, "place", p.id, j, m.start, m.end, m.text) for j, m in enumerate(p.mentions)]
        times = [(aid, t.id, i, t.text, t.start, t.end, t.type, t.value) for i, t in enumerate(rec.times)]
        quants = []
        for i, q in enumerate(rec.quantities):
            vf, vi = _split_num(q.value)
            rf, ri = _split_num(q.range_end)
            quants.append((aid, q.id, i, q.text, q.start, q.end, vf, vi, bool(q.approximate), q.unit, q.of,
                           q.entity, q.currency, rf, ri))
        quotes = [(aid, q.id, i, q.text, q.start, q.end, q.speaker, q.speaker_text, q.cue, bool(q.direct))
                  for i, q in enumerate(rec.quotes)]
        events, args = [], []
        for i, v in enumerate(rec.events):
            events.append((aid, v.id, i, v.type, v.mode, v.place, v.time, v.date, v.status, v.trigger.start,
                           v.trigger.end, v.trigger.text, v.sentence.start, v.sentence.end,
                           float(v.confidence), v.date_source, v.place_source))
            args += [(aid, v.id, "actor", j, x) for j, x in enumerate(v.actors)]
            args += [(aid, v.id, "target", j, x) for j, x in enumerate(v.targets)]
        for sql, rows in (
            ("INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, ?)", ents),
            ("INSERT INTO entity_roles VALUES (?, ?, ?, ?, ?, ?)", roles),
            ("INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", places),
            ("INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?, ?)", ments),
            ("INSERT INTO times VALUES (?, ?, ?, ?, ?, ?, ?, ?)", times),
            ("INSERT INTO quantities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", quants),
            ("INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", quotes),
            ("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", events),
            ("INSERT INTO event_args VALUES (?, ?, ?, ?, ?)", args),
        ):
            if rows:
                self._run_many(sql, rows)

    def add_duplicate(self, dup: Duplicate) -> bool:
        rows = self.execute(
            "INSERT INTO duplicates (article_id, source_id, original_id, kind, similarity, title, url, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, source_id) DO NOTHING RETURNING 1",
            (dup.article_id, dup.source_id, dup.original_id, dup.kind, float(dup.similarity), dup.title,
             dup.url, dup.seen_at or now_iso()))
        return bool(rows)

    def log_error(self, source_id: str, reason: str, *, stage: str = "extract",
                  article_id: str | None = None) -> None:
        at = now_iso()
        self.execute(
            "INSERT INTO errors (source_id, stage, reason, article_id, count, first_at, last_at) "
            "VALUES (?, ?, ?, ?, 1, ?, ?) ON CONFLICT (source_id, stage, reason) DO UPDATE SET "
            "count = errors.count + 1, last_at = excluded.last_at, "
            "article_id = coalesce(excluded.article_id, errors.article_id)",
            (source_id, stage, reason, article_id, at, at))

    # -- reading one --------------------------------------------------------

    def has_article(self, article_id: str) -> bool:
        return bool(self.read("SELECT 1 FROM articles WHERE id = ?", (article_id,)))

    def seen_source(self, source_id: str) -> bool:
        return bool(self.read(
            "SELECT 1 FROM articles WHERE source_id = ? UNION ALL "
            "SELECT 1 FROM duplicates WHERE source_id = ? LIMIT 1", (source_id, source_id)))

    def get_record(self, article_id: str) -> ArticleRecord | None:
        return self._load_records([article_id]).get(article_id)

    def get_meta(self, article_id: str) -> StoredMeta | None:
        rows = self.read("SELECT seq, source_id, fetched_at, ingested_at FROM articles WHERE id = ?",
                         (article_id,))
        if not rows:
            return None
        seq, sid, fetched, ingested = rows[0]
        return StoredMeta(seq=int(seq), source_id=sid, fetched_at=fetched, ingested_at=ingested)

    def duplicates_of(self, article_id: str) -> list[Duplicate]:
        rows = self.read(
            "SELECT article_id, source_id, original_id, kind, similarity, title, url, seen_at "
            "FROM duplicates WHERE original_id = ? ORDER BY seen_at, source_id", (article_id,))
        return [Duplicate(article_id=r[0], source_id=r[1], original_id=r[2], kind=r[3],
                          similarity=float(r[4]), title=r[5], url=r[6], seen_at=r[7]) for r in rows]

    def _load_records(self, ids: Sequence[str]) -> dict[str, ArticleRecord]:
        """Rebuild several records with one query per table (not per article)."""
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        params = tuple(ids)

        def q(sql: str) -> list[Row]:
            return self._run(sql.replace("$IDS", marks), params)

        with self._lock:
            arts = q("SELECT id, title, source, url, published, language, dateline, text, author "
                     "FROM articles WHERE id IN ($IDS)")
            if not arts:
                return {}
            ent_rows = q("SELECT article_id, id, name, type, country, sector FROM entities "
                         "WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            role_rows = q("SELECT article_id, entity_id, title, country, sector FROM entity_roles "
                          "WHERE article_id IN ($IDS) ORDER BY article_id, entity_id, ord")
            ment_rows = q("SELECT article_id, owner, owner_id, start_char, end_char, text FROM mentions "
                          "WHERE article_id IN ($IDS) ORDER BY article_id, owner, owner_id, ord")
            place_rows = q("SELECT article_id, id, name, geonameid, country, admin1, lat, lon, feature, entity "
                           "FROM places WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            time_rows = q("SELECT article_id, id, text, start_char, end_char, type, value FROM times "
                          "WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            quant_rows = q("SELECT article_id, id, text, start_char, end_char, value, value_int, approximate, "
                           "unit, of_text, entity, currency, range_end, range_end_int FROM quantities "
                           "WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            quote_rows = q("SELECT article_id, id, text, start_char, end_char, speaker, speaker_text, cue, direct "
                           "FROM quotes WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            event_rows = q("SELECT article_id, id, type, mode, place, time, date, status, trigger_start, "
                           "trigger_end, trigger_text, sentence_start, sentence_end, confidence, date_source, "
                           "place_source FROM events WHERE article_id IN ($IDS) ORDER BY article_id, ord")
            arg_rows = q("SELECT article_id, event_id, role, entity_id FROM event_args "
                         "WHERE article_id IN ($IDS) ORDER BY article_id, event_id, role, ord")

        roles: dict[tuple[str, str], list[Role]] = defaultdict(list)
        for aid, eid, title, country, sector in role_rows:
            roles[aid, eid].append(Role(title=title, country=country, sector=sector))
        ments: dict[tuple[str, str, str], list[Mention]] = defaultdict(list)
        for aid, owner, oid, s, e, text in ment_rows:
            ments[aid, owner, oid].append(Mention(start=int(s), end=int(e), text=text))
        args: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for aid, vid, role, eid in arg_rows:
            args[aid, vid, role].append(eid)

        recs: dict[str, ArticleRecord] = {}
        for row in arts:
            art = Article(**dict(zip(ARTICLE_FIELDS, row, strict=True)))
            recs[art.id] = ArticleRecord(article=art)
        for aid, eid, name, typ, country, sector in ent_rows:
            recs[aid].entities.append(Entity(id=eid, name=name, type=typ, country=country, sector=sector,
                                             roles=roles.get((aid, eid), []),
                                             mentions=ments.get((aid, "entity", eid), [])))
        for aid, pid, name, gid, country, admin1, lat, lon, feature, entity in place_rows:
            recs[aid].places.append(Place(id=pid, name=name, geonameid=None if gid is None else int(gid),
                                          country=country, admin1=admin1, lat=_opt_float(lat),
                                          lon=_opt_float(lon), feature=feature, entity=entity,
                                          mentions=ments.get((aid, "place", pid), [])))
        for aid, tid, text, s, e, typ, value in time_rows:
            recs[aid].times.append(Time(id=tid, text=text, start=int(s), end=int(e), type=typ, value=value))
        for aid, qid, text, s, e, vf, vi, approx, unit, of, entity, currency, rf, ri in quant_rows:
            value = _join_num(vf, vi)
            assert value is not None
            recs[aid].quantities.append(Quantity(
                id=qid, text=text, start=int(s), end=int(e), value=value, approximate=bool(approx), unit=unit,
                of=of, entity=entity, currency=currency, range_end=_join_num(rf, ri)))
        for aid, qid, text, s, e, speaker, speaker_text, cue, direct in quote_rows:
            recs[aid].quotes.append(Quote(id=qid, text=text, start=int(s), end=int(e), speaker=speaker,
                                          speaker_text=speaker_text, cue=cue, direct=bool(direct)))
        for (aid, vid, typ, mode, place, time, date, status, ts, te, ttext, ss, se, conf, dsrc,
             psrc) in event_rows:
            recs[aid].events.append(Event(
                id=vid, type=typ, mode=mode, actors=args.get((aid, vid, "actor"), []),
                targets=args.get((aid, vid, "target"), []), place=place, time=time, date=date,
                status=status, trigger=Mention(start=int(ts), end=int(te), text=ttext),
                sentence=Span(start=int(ss), end=int(se)), confidence=float(conf), date_source=dsrc,
                place_source=psrc))
        return recs

    # -- reading many -------------------------------------------------------

    def iter_records(self, since: str | None = None, *, after: int | None = None,
                     batch_size: int = 200) -> Iterator[ArticleRecord]:
        last = after if after is not None else -1
        while True:
            w = Where(["seq > ?"], [last])
            if since:
                w.add("ingested_at >= ?", since)
            rows = self.read(f"SELECT seq, id FROM articles{w.clause()} ORDER BY seq LIMIT ?", [*w.params, batch_size])
            if not rows:
                return
            recs = self._load_records([r[1] for r in rows])
            for _, aid in rows:
                if aid in recs:
                    yield recs[aid]
            last = int(rows[-1][0])

    def near_candidates(self, keys: Sequence[int]) -> list[tuple[str, bytes]]:
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        rows = self.read("SELECT m.article_id, m.sig FROM minhashes m WHERE m.article_id IN "
                         f"(SELECT b.article_id FROM minhash_bands b WHERE b.key IN ({marks}))", tuple(keys))
        return [(str(aid), bytes(sig)) for aid, sig in rows]

    def band_missing_signatures(self) -> int:
        n = 0
        while True:
            rows = self.read("SELECT m.article_id, m.sig FROM minhashes m WHERE NOT EXISTS "
                             "(SELECT 1 FROM minhash_bands b WHERE b.article_id = m.article_id) LIMIT 1000")
            if not rows:
                return n
            with self.transaction() as run:
                for aid, sig in rows:
                    for row in band_rows(str(aid), bytes(sig)):
                        run(BANDS_SQL, row)
            n += len(rows)

    def iter_signatures(self) -> Iterator[tuple[str, bytes]]:
        last = ""
        while True:
            rows = self.read("SELECT article_id, sig FROM minhashes WHERE article_id > ? "
                             "ORDER BY article_id LIMIT 1000", (last,))
            if not rows:
                return
            for aid, sig in rows:
                yield aid, bytes(sig)
            last = rows[-1][0]

    @staticmethod
    def _filters(filters: Filters | None, kw: dict[str, Any]) -> Filters:
        unknown = set(kw) - set(Filters.__slots__)  # type: ignore[attr-defined]
        if unknown:
            raise StoreError(f"unknown filter(s): {', '.join(sorted(unknown))}")
        return (filters or Filters()).merged(**kw)

    def _text(self, query: str | None) -> tuple[str, Any] | None:
        return self.text_match(query) if query and re.search(r"\w", query) else None  # punctuation is no query

    def search_articles(self, query: str | None = None, filters: Filters | None = None, *,
                        limit: int = 50, cursor: str | None = None, **filter_kw: Any) -> Page[ArticleHit]:
        w = article_conditions(self._filters(filters, filter_kw), text=self._text(query))
        cur = decode_cursor(cursor)
        if cur:
            w.add("a.seq < ?", cur[0])
        rows = self.read("SELECT a.id, a.seq, a.title, a.source, a.url, a.published, a.source_id, a.ingested_at, "
                         "substr(a.text, 1, 200), (SELECT count(*) FROM events v WHERE v.article_id = a.id) "
                         f"FROM articles a{w.clause()} ORDER BY a.seq DESC LIMIT ?", [*w.params, limit + 1])
        hits = [ArticleHit(id=r[0], seq=int(r[1]), title=r[2], source=r[3], url=r[4], published=r[5],
                           source_id=r[6], ingested_at=r[7], snippet=r[8], n_events=int(r[9]))
                for r in rows[:limit]]
        nxt = encode_cursor(hits[-1].seq) if len(rows) > limit and hits else None
        return Page(items=hits, next_cursor=nxt)

    def search_events(self, filters: Filters | None = None, *, query: str | None = None, limit: int = 50,
                      cursor: str | None = None, **filter_kw: Any) -> Page[EventHit]:
        w = event_conditions(self._filters(filters, filter_kw), text=self._text(query))
        cur = decode_cursor(cursor)
        if cur:
            w.add("(a.seq < ? OR (a.seq = ? AND v.ord > ?))", cur[0], cur[0], cur[1])
        with self._lock:
            rows = self._run(
                "SELECT v.article_id, v.id, a.seq, v.ord, v.type, v.mode, v.status, v.date, v.confidence, "
                "v.place, v.trigger_text, substr(a.text, v.sentence_start + 1, v.sentence_end - v.sentence_start), "
                "a.title, a.source, a.published, a.url FROM events v JOIN articles a ON a.id = v.article_id"
                f"{w.clause()} ORDER BY a.seq DESC, v.ord LIMIT ?", [*w.params, limit + 1])
            page = rows[:limit]
            aids = sorted({r[0] for r in page})
            names: dict[tuple[str, str], tuple[str, str | None]] = {}
            pnames: dict[tuple[str, str], tuple[str, str | None]] = {}
            argl: dict[tuple[str, str, str], list[str]] = defaultdict(list)
            if aids:
                marks = ", ".join("?" * len(aids))
                for aid, eid, name, country in self._run(
                        f"SELECT article_id, id, name, country FROM entities WHERE article_id IN ({marks})", aids):
                    names[aid, eid] = (name, country)
                for aid, pid, name, country in self._run(
                        f"SELECT article_id, id, name, country FROM places WHERE article_id IN ({marks})", aids):
                    pnames[aid, pid] = (name, country)
                for aid, vid, role, eid in self._run(
                        f"SELECT article_id, event_id, role, entity_id FROM event_args WHERE article_id IN ({marks}) "
                        "ORDER BY article_id, event_id, role, ord", aids):
                    argl[aid, vid, role].append(eid)
        hits = []
        for (aid, vid, seq, _ord, typ, mode, status, date, conf, place, trig, sent, title, source, published,
             url) in page:
            acts = [names.get((aid, e), (e, None)) for e in argl.get((aid, vid, "actor"), [])]
            tgts = [names.get((aid, e), (e, None)) for e in argl.get((aid, vid, "target"), [])]
            pl = pnames.get((aid, place)) if place else None
            hits.append(EventHit(
                article_id=aid, event_id=vid, seq=int(seq), type=typ, mode=mode, status=status, date=date,
                confidence=float(conf), actors=[a[0] for a in acts], targets=[t[0] for t in tgts],
                actor_countries=[a[1] for a in acts], target_countries=[t[1] for t in tgts],
                place=pl[0] if pl else None, place_country=pl[1] if pl else None, trigger=trig,
                sentence=sent or "", title=title, source=source, published=published, url=url))
        nxt = None
        if len(rows) > limit and page:
            nxt = encode_cursor(int(page[-1][2]), int(page[-1][3]))
        return Page(items=hits, next_cursor=nxt)

    def stats(self, *, top: int = 20) -> Stats:
        def count(table: str) -> int:
            return int(self._run(f"SELECT count(*) FROM {table}")[0][0])

        def pairs(rows: list[Row]) -> list[tuple[str, int]]:
            return [(str(k), int(n)) for k, n in rows]

        with self._lock:
            s = Stats(articles=count("articles"), entities=count("entities"), events=count("events"),
                      quotes=count("quotes"), duplicates=count("duplicates"), errors=count("errors"),
                      feeds=count("feeds"))
            s.by_source = pairs(self._run(
                "SELECT coalesce(source, '(unknown)') AS k, count(*) AS n FROM articles GROUP BY k "
                "ORDER BY n DESC, k LIMIT ?", (top,)))
            s.by_day = sorted(pairs(self._run(
                "SELECT substr(published, 1, 10) AS k, count(*) AS n FROM articles WHERE published IS NOT NULL "
                "GROUP BY k ORDER BY k DESC LIMIT ?", (top,))))
            s.by_type = pairs(self._run(
                "SELECT type AS k, count(*) AS n FROM events GROUP BY k ORDER BY n DESC, k LIMIT ?", (top,)))
            s.by_country = pairs(self._run(
                "SELECT e.country AS k, count(DISTINCT x.article_id || ' ' || x.event_id) AS n FROM event_args x "
                "JOIN entities e ON e.article_id = x.article_id AND e.id = x.entity_id "
                "WHERE x.role = 'actor' AND e.country IS NOT NULL GROUP BY e.country ORDER BY n DESC, k LIMIT ?",
                (top,)))
        return s

    def list_errors(self, *, limit: int = 100, stage: str | None = None) -> list[ErrorEntry]:
        w = Where()
        if stage:
            w.add("stage = ?", stage)
        rows = self.read("SELECT source_id, stage, reason, article_id, count, first_at, last_at FROM errors"
                         f"{w.clause()} ORDER BY last_at DESC, id DESC LIMIT ?", [*w.params, limit])
        return [ErrorEntry(source_id=r[0], stage=r[1], reason=r[2], article_id=r[3], count=int(r[4]),
                           first_at=r[5], last_at=r[6]) for r in rows]

    # -- feeds ----------------------------------------------------------------

    def add_feed(self, url: str, *, title: str | None = None) -> bool:
        rows = self.execute(
            "INSERT INTO feeds (url, title, added_at, added_ord) "
            "VALUES (?, ?, ?, (SELECT coalesce(max(added_ord), 0) + 1 FROM feeds)) "
            "ON CONFLICT (url) DO NOTHING RETURNING 1", (url, title, now_iso()))
        return bool(rows)

    def list_feeds(self) -> list[Feed]:
        rows = self.read("SELECT url, title, added_at, etag, last_modified, last_polled, last_status "
                         "FROM feeds ORDER BY added_ord")
        return [Feed(url=r[0], title=r[1], added_at=r[2], etag=r[3], last_modified=r[4], last_polled=r[5],
                     last_status=r[6]) for r in rows]

    def remove_feed(self, url: str) -> bool:
        return bool(self.execute("DELETE FROM feeds WHERE url = ? RETURNING 1", (url,)))

    def update_feed(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    last_polled: str | None = None, last_status: str | None = None,
                    title: str | None = None) -> None:
        self.execute("UPDATE feeds SET etag = coalesce(?, etag), last_modified = coalesce(?, last_modified), "
                     "last_polled = coalesce(?, last_polled), last_status = coalesce(?, last_status), "
                     "title = coalesce(?, title) WHERE url = ?",
                     (etag, last_modified, last_polled, last_status, title, url))

    # -- extension ------------------------------------------------------------

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:  # no BEGIN: an autocommit read never waits for a writer
            return self._run(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock, self._begin():
            return self._run(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[Run]:
        with self._lock, self._begin():
            yield self._run
