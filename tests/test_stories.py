"""Story clustering: features, the window, the who/when penalties, incremental == recluster, restarts,
the memory bounds, and the sample corpus."""

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
    assert set(ents) == {"e:ali rezaei"} and set(places) == {"p:127319"}
    assert set(dates) == {"y:2026", "m:2026-05", "d:2026-05-03"}  # every level, so a day meets its month
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


def test_quiet_stories_leave_the_index() -> None:
    idx = stories.StoryIndex(stories.StoryConfig(window_days=7))
    recs = corpus()
    for r in recs[:4]:
        idx.add(r)
    assert sorted(idx.stories) == [1, 2] and idx.n_closed == 0
    idx.add(recs[4])  # 2026-06-08: more than three windows after the May stories
    assert sorted(idx.stories) == [3] and idx.n_closed == 2  # gone from memory, not just from scoring
    assert all(set(sids) == {3} for sids in idx._postings.values())


def test_who_and_when_penalties_lower_the_score() -> None:
    """A second quake report naming another person and another year scores lower by exactly the
    two penalties: 0.03 x (1 of its 1 names unknown to the story) + 0.05 x (1 of 1 dated members
    without its year)."""
    first = rec("Quake hits Iran's Qeshm island", QUAKE.format(day="Sunday", extra="Five people were hurt."),
                None, people=("Ali Rezaei",), place=("Qeshm", 127319, "IRN"), dates=("2026-05-03",))
    other = rec("Quake hits Qeshm", QUAKE.format(day="Monday", extra="Houses fell."),
                None, people=("Hassan Karimi",), place=("Qeshm", 127319, "IRN"), dates=("2019-02-11",))
    plain = stories.StoryConfig(window_days=None, who_penalty=0.0, year_penalty=0.0)
    both = stories.StoryConfig(window_days=None, who_penalty=0.03, year_penalty=0.05)
    got = []
    for cfg in (plain, both):
        idx = stories.StoryIndex(cfg)
        idx.add(first)
        got.append(idx.score(stories.article_features(other, cfg), None)[1])
    assert got[0] - got[1] == pytest.approx(0.08)
    assert stories.main_year(stories.article_features(other)) == "y:2019"
    assert stories.top_names(stories.article_features(other), 3) == ["e:hassan karimi"]


def same_day_stream(n: int) -> list[ArticleRecord]:
    """n distinct articles of one date, each about its own made-up town and person, so that
    (nearly) every one starts a story and nothing retires by date."""
    import random

    rng = random.Random(7)
    letters = "bcdfghklmnprstvz"
    out = []
    for i in range(n):
        town = "".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(4)).title()
        who = "".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(3)).title()
        extra = " ".join("".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(3)) for _ in range(12))
        text = (f"Officials in {town} said {who} {extra} would lead the response. "
                f"Residents of {town} met {who} on Tuesday.")
        out.append(rec(f"{town}: {who} named", text, "2026-05-03", people=(f"{who} {town}",),
                       place=(town, 10_000 + i, "XXX"), dates=("2026-05-03",)))
    return out


def test_open_stories_and_vocabulary_stay_bounded_on_a_same_day_stream() -> None:
    cfg = stories.StoryConfig(window_days=7, max_open=20, max_terms=400, max_story_terms=40, max_held=500)
    idx = stories.StoryIndex(cfg)
    sizes = []
    for r in same_day_stream(150):
        idx.add(r)
        assert idx.held == sum(len(s.vec) for s in idx.stories.values())
        sizes.append((len(idx.stories), len(idx.df), idx.held))
    assert max(s for s, _, _ in sizes) <= 20 and max(d for _, d, _ in sizes) <= 400
    assert max(h for _, _, h in sizes) <= 500 and all(len(s.vec) <= 40 for s in idx.stories.values())
    assert idx.n_closed + len(idx.stories) == idx._next_id - 1  # every story is open or closed
    # the postings only hold open stories' terms, with the stories' own term sums
    assert set().union(*idx._postings.values()) <= set(idx.stories)
    assert all(idx.stories[sid].vec[t] == v for t, post in idx._postings.items() for sid, v in post.items())
    assert sum(len(p) for p in idx._postings.values()) == idx.held
    unbounded = stories.StoryIndex(stories.StoryConfig(window_days=7, max_open=None, max_terms=None,
                                                       max_story_terms=None, max_held=None))
    for r in same_day_stream(150):
        unbounded.add(r)
    assert len(unbounded.stories) > 100 and len(unbounded.df) > 1000 and unbounded.held > 3000


def test_bounded_index_recluster_and_restart_equal_incremental(tmp_path) -> None:
    cfg = stories.StoryConfig(window_days=7, max_open=10, max_terms=300, max_story_terms=40, max_held=300)
    recs = same_day_stream(60)
    recs[40:40] = [corpus()[0], corpus()[2]]  # one real two-article story inside the stream
    db = str(tmp_path / "b.db")
    with open_store(db) as store:
        tracker = stories.attach(store, cfg)
        for r in recs[:30]:
            store.put(r, source_id=r.article.id)
        assert len(tracker.index.stories) <= 10
    with open_store(db) as store:  # restart: the bounded state is replayed from the stored vectors
        tracker = stories.attach(store, cfg)
        assert len(tracker.index.stories) <= 10
        for r in recs[30:]:
            store.put(r, source_id=r.article.id)
        incremental = assignments(store)
        sims = store.execute("SELECT article_id, similarity FROM story_articles ORDER BY seq")
        n = stories.recluster(store, cfg)
        assert assignments(store) == incremental
        assert store.execute("SELECT article_id, similarity FROM story_articles ORDER BY seq") == sims
        assert n == len({s for _, s in incremental})
    quake = {s for a, s in incremental if a in {corpus()[0].article.id, corpus()[2].article.id}}
    assert len(quake) == 1  # the two quake reports still form one story


def test_story_settings_reach_the_index(monkeypatch):
    from wirewatch.stories import _config_from_settings

    monkeypatch.setenv("WIREWATCH_STORY_MAX_OPEN", "50")
    monkeypatch.setenv("WIREWATCH_STORY_WINDOW_DAYS", "3")
    cfg = _config_from_settings(None)
    assert (cfg.max_open, cfg.window_days) == (50, 3)


def test_labels_leave_out_the_reporting_outlet(analyse_text):
    from wirewatch.stories import label_parts

    rec = analyse_text("NAIROBI, Kenya (Continental Press) — Amnesty International condemned the arrests "
                       "of 40 protesters in Nairobi on Thursday.", published="2026-03-13")
    rec.article.source = "Continental Press"
    actors, places = label_parts(rec)
    assert "Amnesty International" in actors and "Continental Press" not in actors
    assert places == ["Nairobi"]


def two_quakes() -> list[ArticleRecord]:
    """Three reports of a quake on Qeshm, then three of a quake in Bam that open with the same wire
    background: the first Bam report joins the Qeshm story marginally (a shadow is seeded), the
    second prefers that shadow and takes it out into a story of their own."""
    qeshm = ("The quake destroyed the old market of Qeshm and the mosque of Qeshm; Ali Rezaei toured the ruins "
             "of Qeshm and promised help for Qeshm.")
    bam = ("An earthquake struck the desert city of Bam on {day}, flattening mud-brick homes and the ancient "
           "citadel, officials said. Reza Tavakoli flew to Bam with tents, blankets and medical teams for the "
           "survivors. {extra} ") + QUAKE.format(day="Sunday", extra="")
    out = [rec("Quake hits Qeshm", QUAKE.format(day=day, extra=qeshm), None, people=("Ali Rezaei",),
               place=("Qeshm", 127319, "IRN")) for day in ("Sunday", "Sunday night", "Monday")]
    out += [rec("Earthquake flattens Bam", bam.format(day=day, extra=extra), None, people=("Reza Tavakoli",),
                place=("Bam", 141736, "IRN"))
            for day, extra in (("Friday", "Aid agencies appealed for donations."),
                               ("Friday", "The citadel had stood for two thousand years."),
                               ("Saturday", "Survivors slept in the streets."))]
    return out


def test_a_marginal_join_is_revised_when_its_own_story_appears() -> None:
    recs = two_quakes()
    idx = stories.StoryIndex(stories.StoryConfig(window_days=None))
    got = [idx.add(r) for r in recs]
    assert [a.story_id for a in got] == [1, 1, 1, 1, 2, 2]  # as first decided
    assert got[3].similarity < stories.THRESHOLD + stories.SHADOW_BAND  # marginal: a shadow is seeded
    assert got[4].moved == ((recs[3].article.id, 1, 2),)  # ... and promoted by the next Bam report
    assert (idx.stories[1].n, idx.stories[2].n) == (3, 3)
    assert [m.article_id for m in idx.stories[2].members] == [r.article.id for r in recs[3:]]
    off = stories.StoryIndex(stories.StoryConfig(window_days=None, shadow_band=0))
    assert [off.add(r).story_id for r in recs] == [1, 1, 1, 1, 1, 1]  # without revisions Bam stays merged


def test_revisions_survive_a_restart_and_equal_recluster(tmp_path) -> None:
    """Stopped while a shadow is open, a new process resumes with it: the store ends as an
    uninterrupted ingest leaves it, and as `recluster` rebuilds it."""
    cfg = stories.StoryConfig(window_days=None)
    recs = two_quakes()
    with open_store(str(tmp_path / "one.db")) as store:
        stories.attach(store, cfg)
        for r in recs:
            store.put(r, source_id=r.article.id)
        uninterrupted = assignments(store)
        rows = store.execute("SELECT id, n_articles FROM stories ORDER BY id")
    db = str(tmp_path / "two.db")
    with open_store(db) as store:
        tracker = stories.attach(store, cfg)
        for r in recs[:4]:
            store.put(r, source_id=r.article.id)
        assert len(tracker.index.shadows) == 1
        assert store.execute("SELECT count(*) FROM story_shadows") == [(1,)]
    with open_store(db) as store:
        tracker = stories.attach(store, cfg)
        assert len(tracker.index.shadows) == 1  # resumed from the store
        for r in recs[4:]:
            store.put(r, source_id=r.article.id)
        assert assignments(store) == uninterrupted
        assert store.execute("SELECT id, n_articles FROM stories ORDER BY id") == rows == [(1, 3), (2, 3)]
        assert store.execute("SELECT count(*) FROM story_shadows") == [(0,)]  # promoted, so gone
        assert tracker.touched == {1}  # the story the revision took an article from
        stories.recluster(store, cfg)
        assert assignments(store) == uninterrupted


def test_members_kept_for_revisions_stay_bounded(monkeypatch) -> None:
    monkeypatch.setattr(stories, "MAX_MEMBER_TERMS", 300)
    idx = stories.StoryIndex(stories.StoryConfig(window_days=7))
    for r in same_day_stream(60):
        idx.add(r)
        assert idx.member_terms == sum(len(m.unit) for s in idx.stories.values() for m in s.members)
        assert idx.member_terms <= 300
    assert any(s.members for s in idx.stories.values())  # the newest stories keep theirs


def test_a_seed_that_moved_along_cannot_be_promoted_again() -> None:
    """Two marginal joins seed two shadows in one host; promoting the second moves the first seed
    along, which must take its shadow with it (else a later promotion would put it in two stories)."""
    idx = stories.StoryIndex(stories.StoryConfig(window_days=None))
    x, y = {"x1": 1.0, "x2": 1.0}, {"y1": 1.0, "y2": 1.0}
    for i in range(3):
        idx.commit(1, dict(x), None, article_id=f"h{i}")
    keys = []
    for aid in ("A", "B"):
        idx.commit(1, dict(y), None, article_id=aid)
        idx._seed(1, idx.stories[1].members[-1])
        keys.append(idx._next_shadow - 1)
    v = dict(y)
    idx._last = (v, idx._unit(v), ("promote", keys[1]))  # as `decide` leaves it for a promotion
    moved = idx.commit(2, v, None, article_id="C")
    assert sorted(moved) == [("A", 1, 2), ("B", 1, 2)]
    assert idx.shadows == {}  # A's shadow left with A
    assert (idx.stories[1].n, idx.stories[2].n) == (3, 3)
    assert sorted(m.article_id for m in idx.stories[2].members) == ["A", "B", "C"]


def test_a_shadow_whose_host_closed_is_dropped_at_restart_and_its_key_not_reused(tmp_path) -> None:
    db = str(tmp_path / "s.db")
    with open_store(db) as store:
        stories.attach(store, stories.StoryConfig(window_days=None))
        for r in corpus()[:2]:
            store.put(r, source_id=r.article.id)
        with store.transaction() as run:  # left by a process that stopped after the host had closed
            run("INSERT INTO story_shadows (key, host, expires, seed) VALUES (?, ?, ?, ?)", (5, 99, 10, "{}"))
    with open_store(db) as store:
        tracker = stories.attach(store, stories.StoryConfig(window_days=None))
        assert tracker.index.shadows == {} and tracker.index._next_shadow == 6
        assert store.execute("SELECT count(*) FROM story_shadows") == [(0,)]
