"""The Store contract: every test runs on SQLite and on PostgreSQL (`store` fixture in conftest)."""

from __future__ import annotations

import json
import threading
from dataclasses import fields

import pytest

from wirewatch.errors import StoreError
from wirewatch.models import (
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
from wirewatch.read.files import text_id
from wirewatch.store import Duplicate, Filters, open_store
from wirewatch.store import migrations as mig
from wirewatch.store.sql import ARTICLE_FIELDS, STORED_FIELDS


def make_record(i: int = 0, *, published: str = "2021-04-15", source: str = "DM Monitoring",
                actor: str = "NATO", actor_country: str = "NATO", etype: str = "CONSULT",
                place: str = "Brussels", place_country: str = "BEL", status: str = "occurred",
                n_entities: int = 3) -> ArticleRecord:
    """A record with every field filled in (nulls, ints, floats, booleans, unicode, lists in order)."""
    text = (f"BRUSSELS — {actor} ministers met in {place} on Wednesday (story {i}). "
            f"Roughly 7,000 troops will leave, Blinken said: “Together we went in.” Ünïcödé ✓ {i}")
    art = Article(text=text, title=f"{actor} meets in {place} #{i}", source=source, url=f"https://example.org/{i}",
                  published=published, language="en", dateline="p1", author="Jane Roe" if i % 2 else None)
    art.id = text_id(text)
    ents = [Entity(id="e1", name=actor, type="ORG", country=actor_country, sector="IGO",
                   roles=[], mentions=[Mention(11, 11 + len(actor), actor)]),
            Entity(id="e2", name="Antony Blinken", type="PERSON", country="USA", sector="GOV",
                   roles=[Role("Secretary of State", "USA", "GOV"), Role("envoy", None, None)],
                   mentions=[Mention(100, 107, "Blinken"), Mention(0, 2, "x")])]
    ents += [Entity(id=f"e{k}", name=f"Extra {k}", type="GPE", country=None, sector=None)
             for k in range(3, n_entities + 1)]
    return ArticleRecord(
        article=art,
        entities=ents,
        places=[Place(id="p1", name=place, geonameid=2800866, country=place_country, admin1="Brussels Capital",
                      lat=50.85045, lon=4.34878, feature="city", entity="e3",
                      mentions=[Mention(0, 8, "BRUSSELS"), Mention(30, 38, place)]),
                Place(id="p2", name="Nowhere", mentions=[])],
        times=[Time("t1", "Wednesday", 50, 59, "DATE", "2021-04-14"), Time("t2", "later", 1, 2, "DATE", None)],
        quantities=[Quantity("q1", "Roughly 7,000 troops", 70, 90, 7000, True, "troops", "troops", "e1"),
                    Quantity("q2", "1.5 million dollars", 0, 5, 1.5e6, False, None, None, None, "USD", 2.25),
                    Quantity("q3", "3 to 4", 0, 5, 3, False, range_end=4),
                    Quantity("q4", "huge", 0, 4, 10**15)],
        quotes=[Quote("c1", "Together we went in.", 120, 140, "e2", "Blinken", "said", True),
                Quote("c2", "that they would", 0, 5, None, None, None, False)],
        events=[Event("v1", etype, "meet", ["e1", "e2"], ["e3"] if n_entities >= 3 else [], "p1", "t1",
                      published, status, Mention(20, 23, "met"), Span(0, 60), 0.9, "clause", "dateline"),
                Event("v2", "RETREAT", None, [], [], None, None, None, "planned", Mention(80, 85, "leave"),
                      Span(61, 140), 0.5)],
    )


def as_json(rec: ArticleRecord) -> str:
    return json.dumps(rec.to_dict(), sort_keys=True, ensure_ascii=False)


# -- the record round trip ---------------------------------------------------------


def test_round_trip_is_exact(store):
    rec = make_record(1)
    assert store.put(rec, source_id="/data/a.txt", fetched_at="2021-04-15T10:00:00Z")
    back = store.get_record(rec.article.id)
    assert back is not None
    assert back.to_dict() == rec.to_dict()
    assert as_json(back) == as_json(rec)  # ints stay ints, floats stay floats
    assert isinstance(back.quantities[0].value, int) and isinstance(back.quantities[1].value, float)
    assert back.quantities[3].value == 10**15


def test_round_trip_empty_record(store):
    art = Article(text="Nothing happened.", title=None, source=None, language=None)
    art.id = text_id(art.text)
    rec = ArticleRecord(article=art)
    store.put(rec)
    assert store.get_record(art.id).to_dict() == rec.to_dict()
    assert store.get_record("no-such-id") is None


def test_every_model_field_is_stored():
    """A field added to models.py must get a column (a migration), not vanish in the round trip."""
    for cls, stored in STORED_FIELDS.items():
        assert tuple(f.name for f in fields(cls)) == stored, f"{cls.__name__} changed: add a migration"
    assert tuple(Article(text="x").record_dict()) == ARTICLE_FIELDS


def test_meta(store):
    rec = make_record(2)
    store.put(rec, source_id="src-2", fetched_at="2021-04-15T10:00:00Z")
    meta = store.get_meta(rec.article.id)
    assert (meta.source_id, meta.fetched_at) == ("src-2", "2021-04-15T10:00:00Z")
    assert meta.seq >= 1 and meta.ingested_at.startswith("20")
    assert store.get_meta("nope") is None


# -- writing: idempotent, atomic, hooks ------------------------------------------------


def test_put_is_idempotent(store):
    rec = make_record(3)
    assert store.put(rec, source_id="a") is True
    assert store.put(rec, source_id="b") is False
    assert store.stats().articles == 1
    assert store.stats().entities == len(rec.entities)
    assert store.get_meta(rec.article.id).source_id == "a"


def test_put_is_all_or_nothing(store):
    bad = make_record(4)
    bad.entities.append(Entity(id="e1", name="duplicate id", type="ORG"))  # violates the primary key
    with pytest.raises(StoreError):
        store.put(bad)
    assert not store.has_article(bad.article.id)
    s = store.stats()
    assert (s.articles, s.entities, s.events, s.quotes) == (0, 0, 0, 0)
    good = make_record(5)
    assert store.put(good)  # the store is still usable
    assert store.get_record(good.article.id).to_dict() == good.to_dict()


def test_put_requires_an_id(store):
    with pytest.raises(StoreError, match="id"):
        store.put(ArticleRecord(article=Article(text="no id")))


def test_nul_characters_are_refused_on_both_back_ends(store):
    art = Article(text="binary\x00junk", id="nul")
    with pytest.raises(StoreError, match="NUL"):
        store.put(ArticleRecord(article=art))
    assert not store.has_article("nul")


def test_on_stored_hooks(store):
    seen = []
    store.on_stored.append(lambda rec, meta: seen.append((rec.article.id, meta.source_id)))
    store.on_stored.append(lambda rec, meta: 1 / 0)  # a broken hook is logged, not fatal
    rec = make_record(6)
    assert store.put(rec, source_id="s6")
    assert store.put(rec, source_id="s6") is False
    assert seen == [(rec.article.id, "s6")]


def test_on_write_hooks_commit_with_the_article(store):
    """An on_write hook's rows commit with the article; a hook that fails half-way is undone
    alone, and the article and the other hooks' rows still commit (on PostgreSQL too, where an
    error would otherwise poison the whole transaction)."""
    with store.transaction() as run:
        run("CREATE TABLE hook_rows (article_id TEXT PRIMARY KEY, seq INTEGER NOT NULL)", ())
    order = []

    def good(rec, meta):
        with store.transaction() as run:
            run("INSERT INTO hook_rows (article_id, seq) VALUES (?, ?)", (rec.article.id, meta.seq))
        order.append("write")

    def broken(rec, meta):
        with store.transaction() as run:
            run("INSERT INTO hook_rows (article_id, seq) VALUES (?, ?)", (rec.article.id + "-x", meta.seq))
            run("INSERT INTO no_such_table VALUES (1)", ())  # fails after a write

    store.on_write += [broken, good]
    store.on_stored.append(lambda rec, meta: order.append("stored"))
    rec = make_record(7)
    assert store.put(rec, source_id="s7")
    seq = store.get_meta(rec.article.id).seq
    assert store.read("SELECT article_id, seq FROM hook_rows") == [(rec.article.id, seq)]
    assert order == ["write", "stored"]  # inside the transaction first, after the commit second
    assert store.put(rec, source_id="s7") is False  # nothing new: no hook runs
    assert order == ["write", "stored"]


def test_readers_only_see_whole_articles(store_url):
    """A second connection reading while one writes never sees an article without all its rows."""
    n = 40
    writer = open_store(store_url)
    reader = open_store(store_url)
    problems: list[str] = []
    done = threading.Event()

    def write() -> None:
        for i in range(n):
            writer.put(make_record(100 + i, n_entities=20))
        done.set()

    t = threading.Thread(target=write)
    t.start()
    while not done.is_set():
        for rec in reader.iter_records():
            if len(rec.entities) != 20 or len(rec.events) != 2 or len(rec.places[0].mentions) != 2:
                problems.append(rec.article.id)
    t.join()
    assert not problems
    assert sum(1 for _ in reader.iter_records()) == n
    writer.close()
    reader.close()


# -- reading many --------------------------------------------------------------------


def test_iter_records_in_ingest_order(store):
    recs = [make_record(i) for i in range(7)]
    for r in recs:
        store.put(r)
    got = list(store.iter_records(batch_size=3))
    assert [g.article.id for g in got] == [r.article.id for r in recs]
    assert [g.to_dict() for g in got] == [r.to_dict() for r in recs]
    third = store.get_meta(recs[2].article.id)
    assert [g.article.id for g in store.iter_records(after=third.seq)] == [r.article.id for r in recs[3:]]
    assert [g.article.id for g in store.iter_records(since=third.ingested_at)][0] == recs[2].article.id
    assert list(store.iter_records(since="2999-01-01")) == []


def test_signatures(store):
    rec = make_record(8)
    store.put(rec, signature=b"\x01\x02\x03\x04")
    store.put(make_record(9))
    assert list(store.iter_signatures()) == [(rec.article.id, b"\x01\x02\x03\x04")]


# -- search --------------------------------------------------------------------------


@pytest.fixture
def corpus(store):
    recs = [
        make_record(1, published="2021-04-10", source="Reuters", actor="NATO", actor_country="NATO",
                    etype="CONSULT", place="Brussels", place_country="BEL"),
        make_record(2, published="2021-04-12", source="AP", actor="Taliban", actor_country="AFG",
                    etype="ASSAULT", place="Kabul", place_country="AFG"),
        make_record(3, published="2021-04-14T09:30:00Z", source="AP", actor="Georgian police",
                    actor_country="GEO", etype="PROTEST", place="Tbilisi", place_country="GEO", status="planned"),
        make_record(4, published="2021-04-20", source="Reuters", actor="NATO", actor_country="NATO",
                    etype="AGREE", place="Brussels", place_country="BEL"),
    ]
    for r in recs:
        store.put(r, source_id=f"src-{r.article.title}")
    return recs


def ids(page) -> list[str]:
    return [h.id for h in page.items]


def test_search_articles_full_text_and_filters(store, corpus):
    a1, a2, a3, a4 = (r.article.id for r in corpus)
    assert ids(store.search_articles()) == [a4, a3, a2, a1]  # newest first
    assert ids(store.search_articles("kabul")) == [a2]
    assert ids(store.search_articles("ministers Kabul")) == [a2]  # all words must match
    assert ids(store.search_articles("troops")) == [a4, a3, a2, a1]
    assert ids(store.search_articles("meeting")) == [a4, a3, a2, a1]  # stemmed: met / meets / meeting
    assert ids(store.search_articles('"kabul" -(*')) == [a2]  # FTS syntax in user input is inert
    assert ids(store.search_articles("zebra")) == []
    assert ids(store.search_articles(" ( - ")) == [a4, a3, a2, a1]  # no words: no text condition
    assert ids(store.search_articles(source="reuters")) == [a4, a1]
    assert ids(store.search_articles(actor="nato")) == [a4, a1]
    assert ids(store.search_articles(country="afg")) == [a2]
    assert ids(store.search_articles(country="BEL")) == [a4, a1]
    assert ids(store.search_articles(place="tbil")) == [a3]
    assert ids(store.search_articles(type="assault")) == [a2]
    assert ids(store.search_articles(type="protest", status="planned")) == [a3]  # one event has both
    assert ids(store.search_articles(type="protest", status="occurred")) == []
    assert ids(store.search_articles(since="2021-04-12", until="2021-04-14")) == [a3, a2]
    assert ids(store.search_articles("brussels", Filters(since="2021-04-15"))) == [a4]
    hit = store.search_articles("kabul").items[0]
    assert (hit.source, hit.published, hit.n_events, hit.source_id) == ("AP", "2021-04-12", 2, "src-" + corpus[1].article.title)
    assert hit.snippet.startswith("BRUSSELS — Taliban")


def test_read_and_text_match(store, corpus):
    """The public read path the API builds its queries on: `read` and the full-text condition."""
    a1, a2, a3, a4 = (r.article.id for r in corpus)
    assert store.read("SELECT count(*) FROM articles") == [(4,)]

    def match(text: str) -> list[str]:
        cond, param = store.text_match(text)
        return [r[0] for r in store.read(f"SELECT a.id FROM articles a WHERE {cond} ORDER BY a.seq", [param])]

    assert match("kabul") == [a2]
    assert match("ministers Kabul") == [a2]  # all words must match
    assert match('"kabul" -(*') == [a2]  # FTS syntax in user input is inert
    assert match("zebra") == []
    assert match("troops") == [a1, a2, a3, a4]


def test_reads_do_not_wait_for_a_writer(store_url):
    """`read` takes no write lock, so the API answers while ingest holds a transaction open."""
    writer, reader = open_store(store_url), open_store(store_url)
    rec = make_record(1)
    writer.put(rec)
    got: list = []
    try:
        with writer.transaction() as run:
            run("UPDATE articles SET title = ? WHERE id = ?", ("changed", rec.article.id))
            t = threading.Thread(target=lambda: got.append(reader.read("SELECT title FROM articles")))
            t.start()
            t.join(timeout=10)
            assert not t.is_alive(), "read waited for the writer's transaction"
        assert got == [[(rec.article.title,)]]  # it saw the last commit, not the open transaction
        assert reader.read("SELECT title FROM articles") == [("changed",)]
    finally:
        writer.close()
        reader.close()


def test_search_articles_pages(store, corpus):
    seen, cursor = [], None
    while True:
        page = store.search_articles(limit=3, cursor=cursor)
        seen += ids(page)
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == [r.article.id for r in reversed(corpus)]
    with pytest.raises(StoreError, match="cursor"):
        store.search_articles(cursor="garbage")
    with pytest.raises(StoreError, match="unknown filter"):
        store.search_articles(colour="red")


def test_search_events(store, corpus):
    def ev(page) -> list[tuple[str, str]]:
        return [(h.article_id[:6], h.event_id) for h in page.items]

    a = [r.article.id[:6] for r in corpus]
    everything = store.search_events(limit=100)
    assert ev(everything) == [(a[3], "v1"), (a[3], "v2"), (a[2], "v1"), (a[2], "v2"), (a[1], "v1"), (a[1], "v2"),
                              (a[0], "v1"), (a[0], "v2")]
    assert ev(store.search_events(type="assault")) == [(a[1], "v1")]
    assert ev(store.search_events(actor="taliban")) == [(a[1], "v1")]
    assert ev(store.search_events(actor="blinken", type="CONSULT")) == [(a[0], "v1")]
    assert ev(store.search_events(country="GEO")) == [(a[2], "v1")]
    assert ev(store.search_events(country="USA", source="AP")) == [(a[2], "v1"), (a[1], "v1")]
    assert ev(store.search_events(place="brussels")) == [(a[3], "v1"), (a[0], "v1")]
    assert ev(store.search_events(status="planned", since="2021-04-13")) == [(a[3], "v2"), (a[2], "v1"), (a[2], "v2")]
    assert ev(store.search_events(Filters(type="CONSULT"), until="2021-04-10")) == [(a[0], "v1")]
    assert ev(store.search_events(query="kabul")) == [(a[1], "v1"), (a[1], "v2")]
    hit = store.search_events(type="ASSAULT").items[0]
    assert hit.actors == ["Taliban", "Antony Blinken"] and hit.actor_countries == ["AFG", "USA"]
    assert hit.targets == ["Extra 3"] and hit.target_countries == [None]
    assert (hit.place, hit.place_country, hit.trigger, hit.status) == ("Kabul", "AFG", "met", "occurred")
    assert hit.sentence == corpus[1].article.text[0:60]
    assert (hit.title, hit.source, hit.published, hit.url) == (corpus[1].article.title, "AP", "2021-04-12",
                                                               "https://example.org/2")
    # pages walk every event once, across and within articles
    seen, cursor = [], None
    while True:
        page = store.search_events(limit=3, cursor=cursor)
        seen += ev(page)
        if not (cursor := page.next_cursor):
            break
    assert seen == ev(everything)


def test_stats(store, corpus):
    s = store.stats()
    assert (s.articles, s.events, s.entities, s.quotes) == (4, 8, 12, 8)
    assert s.by_source == [("AP", 2), ("Reuters", 2)]
    assert s.by_day == [("2021-04-10", 1), ("2021-04-12", 1), ("2021-04-14", 1), ("2021-04-20", 1)]
    assert s.by_type[0] == ("RETREAT", 4)
    assert dict(s.by_country) == {"USA": 4, "NATO": 2, "AFG": 1, "GEO": 1}
    assert s.to_dict()["articles"] == 4


# -- duplicates, errors, feeds ------------------------------------------------------------


def test_duplicates(store):
    rec = make_record(10)
    store.put(rec, source_id="first")
    d = Duplicate(article_id="copyid", source_id="second", original_id=rec.article.id, kind="near",
                  similarity=0.91, title="Changed headline", url="https://wire.example/2")
    assert store.add_duplicate(d) is True
    assert store.add_duplicate(d) is False
    exact = Duplicate(article_id=rec.article.id, source_id="third", original_id=rec.article.id, kind="exact")
    assert store.add_duplicate(exact)
    got = store.duplicates_of(rec.article.id)
    assert [(g.source_id, g.kind, g.similarity, g.title) for g in got] == [
        ("second", "near", 0.91, "Changed headline"), ("third", "exact", 1.0, None)]
    assert store.seen_source("first") and store.seen_source("second") and not store.seen_source("fourth")
    assert store.stats().duplicates == 2


def test_errors(store):
    store.log_error("/x/a.txt", "empty input", stage="read")
    store.log_error("/x/a.txt", "empty input", stage="read")
    store.log_error("https://x/feed", "HTTP 500", stage="feed")
    errs = store.list_errors()
    assert [(e.source_id, e.count) for e in errs] == [("https://x/feed", 1), ("/x/a.txt", 2)]
    assert [e.reason for e in store.list_errors(stage="read")] == ["empty input"]
    assert store.stats().errors == 2


def test_feeds(store):
    assert store.add_feed("https://b.example/rss", title="B")
    assert store.add_feed("https://a.example/atom")
    assert store.add_feed("https://b.example/rss") is False
    assert [f.url for f in store.list_feeds()] == ["https://b.example/rss", "https://a.example/atom"]
    store.update_feed("https://a.example/atom", etag='"v1"', last_modified="Wed, 14 Apr 2021 10:00:00 GMT",
                      last_polled="2021-04-15T00:00:00+00:00", last_status="200", title="A")
    store.update_feed("https://a.example/atom", last_status="304")  # None leaves other fields alone
    a = store.list_feeds()[1]
    assert (a.etag, a.last_modified, a.last_status, a.title) == ('"v1"', "Wed, 14 Apr 2021 10:00:00 GMT", "304", "A")
    assert store.remove_feed("https://b.example/rss") and not store.remove_feed("https://b.example/rss")
    assert [f.url for f in store.list_feeds()] == ["https://a.example/atom"]


# -- migrations and extension ------------------------------------------------------------


def test_migrations_are_recorded_and_not_reapplied(store_url):
    s = open_store(store_url)
    assert s.schema_version() == max(mig.MIGRATIONS)
    names = s.execute("SELECT version, name FROM schema_version ORDER BY version")
    assert [tuple(r) for r in names] == [(v, mig.MIGRATIONS[v].name) for v in sorted(mig.MIGRATIONS)]
    s.close()
    s = open_store(store_url)  # opening again applies nothing
    assert len(s.execute("SELECT * FROM schema_version")) == len(mig.MIGRATIONS)
    s.close()


def test_a_module_can_add_a_migration(store_url):
    open_store(store_url).close()

    @mig.migration(990, "test_notes")
    def notes(m):
        m.run("CREATE TABLE test_notes (id {serial} PRIMARY KEY, body TEXT NOT NULL, data {blob})")

    try:
        s = open_store(store_url)
        assert s.schema_version() == 990
        with s.transaction() as run:
            run("INSERT INTO test_notes (body, data) VALUES (?, ?)", ("a 100% note?", b"\x00\x01"))
            run("INSERT INTO test_notes (body) VALUES (?)", ("second",))
        assert [(r[0], bytes(r[1])) for r in s.execute("SELECT body, data FROM test_notes WHERE data IS NOT NULL")] \
            == [("a 100% note?", b"\x00\x01")]
        with pytest.raises(StoreError), s.transaction() as run:
            run("INSERT INTO test_notes (body) VALUES (?)", ("rolled back",))
            run("INSERT INTO test_notes (body) VALUES (?)", (None,))
        assert s.execute("SELECT count(*) FROM test_notes")[0][0] == 2
        s.close()
    finally:
        del mig.MIGRATIONS[990]


def test_a_failing_migration_changes_nothing(store_url):
    open_store(store_url).close()

    @mig.migration(991, "broken")
    def broken(m):
        m.run("CREATE TABLE half_done (x INTEGER)")
        m.run("THIS IS NOT SQL")

    try:
        with pytest.raises(StoreError, match="migration 991 'broken' failed"):
            open_store(store_url)
    finally:
        del mig.MIGRATIONS[991]
    s = open_store(store_url)
    assert s.schema_version() == max(mig.MIGRATIONS)
    with pytest.raises(StoreError):
        s.execute("SELECT * FROM half_done")
    s.close()


def test_migration_numbers_are_unique():
    with pytest.raises(StoreError, match="taken"):
        mig.migration(1, "another_initial")(lambda m: None)


def test_open_store_urls(tmp_path):
    s = open_store(f"sqlite:///{tmp_path}/via-url.db")
    assert s.dialect == "sqlite" and (tmp_path / "via-url.db").exists()
    s.close()
    with pytest.raises(StoreError, match="cannot connect"):
        open_store("postgresql://nobody@127.0.0.1:1/none")
