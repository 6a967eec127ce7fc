"""Story clustering: features, the window, incremental == recluster, restarts, and the sample corpus."""

from __future__ import annotations

import pytest

from wirewatch import stories
from wirewatch.models import Article, ArticleRecord, Entity, Mention, Place, Time
from wirewatch.read.files import text_id
from wirewatch.store import open_store

QUAKE = ("A strong earthquake struck the island of Qeshm in southern Iran on {day}, destroying houses in "
         "several villages and injuring dozens of people, the provincial governor said. Rescue teams from "
         "Bandar Abbas searched the rubble of collapsed homes and the Red Crescent set up tents. {extra}")
FLOOD = ("Floods swept through the Brazilian state of Bahia after days of torrential rain, forcing thousands "
         "of families from their homes, the civil defence agency said. Rivers burst their banks in Salvador "
         "and rescuers used boats to reach stranded residents. {extra}")


def rec(title: str, text: str, published: str | None, *, people: tuple[str, ...] = (),
        place: tuple[str, int, str] | None = None, dates: tuple[str, ...] = ()) -> ArticleRecord:
    """A record built by hand: only the parts story clustering reads."""
    art = Article(text=text, title=title, published=published, source="Test Wire")
    art.id = text_id(text)
    ents = [Entity(f"e{i}", n, "PERSON", mentions=[Mention(0, len(n), n)]) for i, n in enumerate(people, 1)]
    places = [Place("p1", place[0], geonameid=place[1], country=place[2], feature="city",
                    mentions=[Mention(0, 1, place[0])])] if place else []
    times = [Time(f"t{i}", d, 0, 1, "DATE", d) for i, d in enumerate(dates, 1)]
    return ArticleRecord(art, ents, places, times)


def corpus() -> list[ArticleRecord]:
    return [
        rec("Quake hits Iran's Qeshm island", QUAKE.format(day="Sunday", extra="Five people were hurt."),
            "2026-05-03", people=("Ali Rezaei",), place=("Qeshm", 127319, "IRN"), dates=("2026-05-03",)),
        rec("Bahia floods force thousands from homes", FLOOD.format(extra="Two people drowned."), "2026-05-03",
            place=("Salvador", 3450554, "BRA"), dates=("2026-05-02",)),
        rec("Qeshm quake damages villages", QUAKE.format(day="Sunday", extra="Aftershocks rattled the island."),
            "2026-05-04", people=("Ali Rezaei",), place=("Qeshm", 127319, "IRN"), dates=("2026-05-03",)),
        rec("Rescuers reach flooded Bahia towns", FLOOD.format(extra="The governor declared an emergency."),
            "2026-05-05", place=("Salvador", 3450554, "BRA"), dates=("2026-05-02",)),
        # The same kind of quake on the same island, a month later: the window keeps it a new story.
        rec("New quake strikes Qeshm", QUAKE.format(day="Monday", extra="A school was damaged in the new quake."),
            "2026-06-08", people=("Ali Rezaei",), place=("Qeshm", 127319, "IRN"), dates=("2026-06-08",)),
    ]


def assignments(store) -> list[tuple[str, int]]:
    return [(r[0], int(r[1])) for r in store.execute("SELECT article_id, story_id FROM story_articles ORDER BY seq")]


def test_blocks_are_unit_length_and_prefixed() -> None:
    r = corpus()[0]
    words, ents, places, dates = stories.article_blocks(r)
    for b in (words, ents, places, dates):
        assert abs(sum(v * v for v in b.values()) - 1.0) < 1e-9
    assert set(ents) == {"e:ali rezaei"} and set(places) == {"p:127319"} and set(dates) == {"d:2026-05-03"}
    assert "qeshm" in words and "said" not in words  # stop words and reporting verbs left out


def test_index_groups_same_story_and_respects_window() -> None:
    idx = stories.StoryIndex(stories.StoryConfig(window_days=7))
    got = [idx.add(r) for r in corpus()]
    assert [a.story_id for a in got] == [1, 2, 1, 2, 3]
    assert [a.new_story for a in got] == [True, True, False, False, True]
    # Without a window the June quake would join the May one: it is the same text.
    idx = stories.StoryIndex(stories.StoryConfig(window_days=None))
    assert [idx.add(r).story_id for r in corpus()] == [1, 2, 1, 2, 1]


def test_ingest_hook_recluster_and_restart_agree(tmp_path) -> None:
    db = str(tmp_path / "s.db")
    recs = corpus()
    with open_store(db) as store:
        stories.attach(store, stories.StoryConfig(window_days=7))
        for r in recs[:3]:
            store.put(r, source_id=r.article.title)
    with open_store(db) as store:  # a new process: the state is rebuilt from the stored vectors
        stories.attach(store, stories.StoryConfig(window_days=7))
        for r in recs[3:]:
            store.put(r, source_id=r.article.title)
        incremental = assignments(store)
        sims = store.execute("SELECT article_id, similarity FROM story_articles ORDER BY seq")
        assert stories.recluster(store, stories.StoryConfig(window_days=7)) == 3
        assert assignments(store) == incremental
        assert store.execute("SELECT article_id, similarity FROM story_articles ORDER BY seq") == sims
    ids = [r.article.id for r in recs]
    assert incremental == [(ids[0], 1), (ids[1], 2), (ids[2], 1), (ids[3], 2), (ids[4], 3)]


def test_attach_catches_up_on_articles_stored_before() -> None:
    with open_store(":memory:") as store:
        for r in corpus():
            store.put(r, source_id=r.article.title)
        stories.attach(store, stories.StoryConfig(window_days=7))
        assert [s for _, s in assignments(store)] == [1, 2, 1, 2, 3]


def test_list_show_search() -> None:
    with open_store(":memory:") as store:
        stories.attach(store, stories.StoryConfig(window_days=7))
        recs = corpus()
        for r in recs:
            store.put(r, source_id=r.article.title)
        listed = stories.list_stories(store)
        assert [s.id for s in listed] == [3, 2, 1]  # most recently active first
        s1 = stories.get_story(store, 1)
        assert s1 is not None and s1.n_articles == 2
        assert (s1.first_seen, s1.last_seen) == ("2026-05-03", "2026-05-04")
        assert s1.article_ids == [recs[0].article.id, recs[2].article.id]
        assert s1.actors == ["Ali Rezaei"] and s1.place == "Qeshm"
        assert s1.label == "Ali Rezaei — Qeshm — 2026-05-03…2026-05-04"
        assert [s.id for s in stories.list_stories(store, since="2026-05-05")] == [3, 2]
        assert {s.id for s in stories.search_stories(store, "Bahia")} == {2}
        assert {s.id for s in stories.search_stories(store, "Rezaei")} == {3, 1}
        assert stories.get_story(store, 99) is None


@pytest.mark.slow
def test_sample_corpus_forms_its_eight_stories(extractor) -> None:
    """The bundled sample (see wirewatch/sample/README.md): eight stories, the wire copy apart."""
    from wirewatch.sample import manifest, sample_articles, sample_key

    arts = [a for a in sample_articles() if "valley-courier" not in (a.path or "")]  # ingest dedups it
    expected = manifest()
    pages = [a for a in arts if a.path.startswith("warc:")]
    assert len(arts) == 27 and len(pages) == 5  # 22 files + the WARC's 5 pages
    assert all(a.url.startswith("https://") and a.published == expected[a.url]["published"] for a in pages)
    with open_store(":memory:") as store:
        stories.attach(store)
        for a, r in zip(arts, extractor.extract_many(arts), strict=True):
            store.put(r, source_id=a.path)
        got: dict[int, set[str]] = {}
        for a in arts:
            sid = stories.story_of(store, a.id)
            assert sid is not None
            got.setdefault(sid, set()).add(expected[sample_key(a)]["story"])
    # each story holds exactly one expected story, and each expected story is one story
    assert all(len(v) == 1 for v in got.values()) and len(got) == 8
    assert {v.pop() for v in got.values()} == {m["story"] for m in expected.values()}


def test_quiet_stories_leave_the_term_index() -> None:
    idx = stories.StoryIndex(stories.StoryConfig(window_days=7))
    recs = corpus()
    for r in recs[:4]:
        idx.add(r)
    assert not any(s.retired for s in idx.stories.values())
    idx.add(recs[4])  # 2026-06-08: more than three windows after the May stories
    assert [s.retired for s in idx.stories.values()] == [True, True, False]
    assert all(sids <= {3} for sids in idx._postings.values())
