"""Event fusion on a hand-made corpus: a wire report, its syndicated copy, two paraphrases, one
copy the store recorded as a duplicate, and one conflicting casualty figure (12 vs 15 killed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from wirewatch import fusion
from wirewatch.models import ArticleRecord, Entity, Event, Mention, Place, Quantity, Span
from wirewatch.read.files import read_file
from wirewatch.store.base import Duplicate

DIR = Path(__file__).parent / "fixtures" / "fusion"
FILES = ["f1-meridian.txt", "f2-valley-courier.txt", "f3-continental.txt", "f4-sentinel.txt"]
COPY = Duplicate(article_id="c" * 64, source_id="https://harbour.example/ayorou-raid", original_id="",
                 kind="near", similarity=0.93)


def _span(text: str, needle: str) -> tuple[int, int]:
    i = text.find(needle)
    assert i >= 0, needle
    return i, i + len(needle)


def build(name: str) -> ArticleRecord:
    """A record from the fixture's hand annotation (offsets found from the quoted texts)."""
    ann = json.loads((DIR / "annotations.json").read_text("utf-8"))[name]
    art = read_file(DIR / name, published=ann["published"])
    art.dateline = ann.get("dateline")
    text = art.text
    ents = []
    for e in ann["entities"]:
        s, t = _span(text, e["mention"])
        ents.append(Entity(e["id"], e["name"], e["type"], e["country"], e["sector"],
                           mentions=[Mention(s, t, e["mention"])]))
    places = []
    for p in ann["places"]:
        s, t = _span(text, p["mention"])
        places.append(Place(p["id"], p["name"], country=p["country"], lat=p["lat"], lon=p["lon"],
                            feature=p["feature"], mentions=[Mention(s, t, p["mention"])]))
    quants = []
    for q in ann["quantities"]:
        s, t = _span(text, q["text"])
        quants.append(Quantity(q["id"], q["text"], s, t, q["value"], unit=q["unit"], currency=q.get("currency")))
    events = []
    for v in ann["events"]:
        s = text.find(v["sentence"])
        e = text.find("\n", s)
        e = len(text) if e < 0 else e
        ts = text.find(v["trigger"], s)
        events.append(Event(v["id"], v["type"], None, v["actors"], v["targets"], v["place"], None, v["date"],
                            "occurred", Mention(ts, ts + len(v["trigger"]), v["trigger"]), Span(s, e),
                            v["confidence"], place_source=v.get("place_source", "clause" if v["place"] else None)))
    return ArticleRecord(art, ents, places, [], quants, [], events)


@pytest.fixture(scope="module")
def records() -> dict[str, ArticleRecord]:
    return {n: build(n) for n in FILES}


@pytest.fixture(scope="module")
def fused(records: dict[str, ArticleRecord]) -> list[fusion.FusedEvent]:
    f3 = records["f3-continental.txt"].article.id
    copies = {f3: [Duplicate(COPY.article_id, COPY.source_id, f3, "near", 0.93)]}
    return fusion.fuse_records(list(records.values()), story_id=7, copies=copies)


def test_fused_events_summary(records: dict[str, ArticleRecord], fused: list[fusion.FusedEvent]) -> None:
    name = {r.article.id: n[:2] for n, r in records.items()}
    got = [(f.type, f.actors, [(name[s.article_id], s.event_id) for s in f.supports], f.n_mentions, f.n_articles,
            f.n_sources, name[f.earliest_article], f.confidence, f.date, f.place, f.conflicts) for f in fused]
    assert got == [
        # The market attack: four reports, a fifth article (the recorded copy of f3), but f1 and its
        # syndicated copy f2 are one source: 3 independent sources. Sentinel (f4) reported it first.
        ("ASSAULT", ["Islamic State Sahel Province"], [("f4", "v1"), ("f1", "v1"), ("f2", "v1"), ("f3", "v1")],
         4, 5, 3, "f4", 0.976, "2026-03-31", "Ayorou", ["killed"]),
        ("AID", ["European Union"], [("f4", "v2"), ("f3", "v3")], 2, 3, 2, "f4", 0.84, None, None, []),
        # Britain's pledge is not the EU's: different actor, same sentence.
        ("AID", ["Britain"], [("f4", "v3")], 1, 1, 1, "f4", 0.5, None, None, []),
        ("ACCUSE", ["Niger"], [("f1", "v2"), ("f2", "v2")], 2, 2, 1, "f1", 0.7, "2026-04-01", None, []),
        # The army's raid a day later 30 km away is a different ASSAULT: the army is not the rebels.
        ("ASSAULT", ["Nigerien army"], [("f3", "v2")], 1, 2, 1, "f3", 0.75, "2026-04-01", "Firgoun", []),
    ]


def test_conflicting_casualty_figures_keep_every_claim(records: dict[str, ArticleRecord],
                                                       fused: list[fusion.FusedEvent]) -> None:
    ids = {n[:2]: r.article.id for n, r in records.items()}
    attack = fused[0]
    assert attack.claims["killed"] == [
        fusion.Claim(12, (ids["f4"], ids["f1"], ids["f2"]),
                     ("Daily Sentinel", "Meridian News Agency", "The Valley Courier"),
                     ("12 villagers", "12 people", "12 people")),
        fusion.Claim(15, (ids["f3"],), ("Continental Press",), ("Fifteen people",)),
    ]
    assert attack.claims["date"] == [fusion.Claim("2026-03-31", tuple(ids[k] for k in ("f4", "f1", "f2", "f3")),
                                                  ("Daily Sentinel", "Meridian News Agency", "The Valley Courier",
                                                   "Continental Press"), ("2026-03-31",) * 4)]
    assert [c.value for c in attack.claims["place"]] == ["Ayorou"]
    assert fused[4].claims["killed"] == [fusion.Claim(5, (ids["f3"],), ("Continental Press",), ("5 attackers",))]


def test_supports_carry_spans_copies_and_source_groups(records: dict[str, ArticleRecord],
                                                       fused: list[fusion.FusedEvent]) -> None:
    f1 = records["f1-meridian.txt"]
    s = fused[0].supports[1]
    assert s.article_id == f1.article.id and s.source == "Meridian News Agency"
    assert f1.article.text[s.sentence[0]:s.sentence[1]] == s.sentence_text
    assert s.sentence_text.startswith("Gunmen killed 12 people in an attack")
    assert [x.source_group for x in fused[0].supports] == [1, 2, 2, 3]
    assert fused[0].supports[3].copies == ("https://harbour.example/ayorou-raid",)
    fid = hashlib.sha1(f"{records['f4-sentinel.txt'].article.id}:v1".encode()).hexdigest()[:12]
    assert fused[0].id == fid and fused[0].story_id == 7


def test_source_groups_follow_credit_and_text(records: dict[str, ArticleRecord]) -> None:
    recs = list(records.values())
    groups = fusion.source_groups(recs)
    f1, f2, f3, f4 = (records[n].article.id for n in FILES)
    assert groups[f1] == groups[f2]  # "(Meridian)" in the Valley Courier's dateline
    assert len({groups[f1], groups[f3], groups[f4]}) == 3


def test_places_and_sides() -> None:
    ayorou = Place("p1", "Ayorou", country="NER", lat=14.73, lon=0.92, feature="city")
    firgoun = Place("p2", "Firgoun", country="NER", lat=14.98, lon=0.99, feature="city")
    niamey = Place("p3", "Niamey", country="NER", lat=13.51, lon=2.11, feature="city")
    niger = Place("p4", "Niger", country="NER", lat=17.0, lon=9.0, feature="country")
    mali = Place("p5", "Mali", country="MLI", lat=17.0, lon=-4.0, feature="country")
    assert fusion.places_compatible(ayorou, firgoun)  # ~29 km
    assert not fusion.places_compatible(ayorou, niamey)  # ~190 km
    assert fusion.places_compatible(ayorou, niger) and not fusion.places_compatible(ayorou, mali)
    assert fusion.places_compatible(None, ayorou)
    assert fusion.outlet_key("The Harbour Times") == "harbour" and fusion.outlet_key("Meridian News Agency") == "meridian"


def test_fuse_store_saves_and_lists(records: dict[str, ArticleRecord]) -> None:
    from wirewatch import stories
    from wirewatch.store import open_store

    with open_store(":memory:") as store:
        # A low threshold: the point here is fusion within one story, not where its edges are.
        stories.attach(store, stories.StoryConfig(window_days=7, threshold=0.05))
        for n in FILES:
            store.put(records[n], source_id=n)
        sids = {stories.story_of(store, r.article.id) for r in records.values()}
        assert len(sids) == 1  # four reports of one story
        out = fusion.fuse_store(store)
        assert [(f.type, f.n_sources) for f in out] == [("ASSAULT", 3), ("AID", 2), ("AID", 1), ("ACCUSE", 1),
                                                        ("ASSAULT", 1)]
        saved = fusion.list_fused(store)
        assert len(saved) == 5 and {d["id"] for d in saved} == {f.id for f in out}
        assert next(d for d in saved if d["conflicts"])["claims"]["killed"][1]["value"] == 15


def test_sides_of_one_country() -> None:
    """Codes decide only where names cannot: a country stands for its state, an unnamed group for
    its sector; two named people or bodies must share a known sector."""
    match = fusion._codes_match
    assert match(("COL", None, "GPE"), ("COL", "GOV", "PERSON"))  # Colombia ~ its peace commissioner
    assert not match(("COL", None, "GPE"), ("COL", "REB", "ORG"))  # ... but not the rebels
    assert match(("NGA", "REB", "NORP"), ("NGA", None, "NORP"))  # gunmen ~ attackers
    assert not match(("NGA", "GOV", "PERSON"), ("NGA", "GOV", "PERSON"))  # Tinubu is not the governor
    assert not match(("COL", "LEG", "PERSON"), ("COL", None, "ORG"))  # a senator is not an unknown body
    assert match(("NGA", None, "PLACE"), ("NGA", "CVL", "NORP"))  # stormed Kawuri ~ killed villagers
    assert not match(("KGZ", None, "GPE"), ("TJK", None, "GPE"))


def test_unnamed_groups_are_matched_by_code_not_word() -> None:
    gunmen = Entity("e1", "gunmen", "NORP", country="NGA", sector="REB")
    attackers = Entity("e2", "Attackers", "NORP", country="NGA")
    ansar = Entity("e3", "Ansaru", "ORG", country="NGA", sector="REB")
    assert fusion._generic(gunmen) and fusion._generic(attackers) and not fusion._generic(ansar)


BATKEN = [
    ("BATKEN, Kyrgyzstan (Meridian) — Kyrgyz and Tajik border guards exchanged fire on Tuesday at a disputed "
     "section of the frontier near Batken, killing four people, Kyrgyzstan's border service said.",
     "2026-03-10", "Meridian News Agency"),
    ("DUSHANBE, Tajikistan (Continental Press) — Seven people were killed on Tuesday in fighting between Tajik "
     "and Kyrgyz border troops near the Tajik town of Isfara, Tajikistan's border service said.",
     "2026-03-10", "Continental Press"),
    ("BISHKEK, Kyrgyzstan (Daily Sentinel) — An uneasy calm held on Wednesday along the Kyrgyz-Tajik border "
     "after Tuesday's shootout near Batken, which killed at least five people according to local health officials.",
     "2026-03-11", "Daily Sentinel"),
]


@pytest.fixture(scope="module")
def batken(extractor) -> list[ArticleRecord]:
    from wirewatch.nlp.pipeline import extract

    return [extract(t, published=p, source=s, extractor=extractor) for t, p, s in BATKEN]


def test_a_report_naming_no_actor_joins_the_event_with_its_figure(batken: list[ArticleRecord]) -> None:
    """The Sentinel names no one who fought; its ASSAULT (no actor) of the same day and place joins
    both directions of the clash the others report, and brings its own toll into the conflict."""
    sentinel = batken[2]
    assert [(v.type, v.actors, v.date) for v in sentinel.events] == [("ASSAULT", [], "2026-03-10")]
    fused = [f for f in fusion.fuse_records(batken) if f.type == "ASSAULT"]
    assert len(fused) == 2  # Kyrgyz on Tajik, Tajik on Kyrgyz
    for f in fused:
        assert (f.n_articles, f.n_sources, f.date, f.conflicts) == (3, 3, "2026-03-10", ["killed"])
        assert [(c.value, c.sources) for c in f.claims["killed"]] == [
            (4, ("Meridian News Agency",)), (7, ("Continental Press",)), (5, ("Daily Sentinel",))]
        assert sentinel.article.id == f.supports[-1].article_id and f.actors  # the named reports name it
    assert {tuple(f.actor_countries) for f in fused} == {("KGZ",), ("TJK",)}


def test_a_report_naming_no_actor_needs_a_matching_day(batken: list[ArticleRecord]) -> None:
    import dataclasses

    sentinel = batken[2]
    for day in (None, "2026-03-20"):
        ev = dataclasses.replace(sentinel.events[0], date=day)
        moved = dataclasses.replace(sentinel, events=[ev])
        fused = [f for f in fusion.fuse_records([*batken[:2], moved]) if f.type == "ASSAULT"]
        alone = [f for f in fused if f.supports[0].article_id == sentinel.article.id]
        assert len(alone) == 1 and alone[0].n_articles == 1 and not alone[0].actors, day
        assert all(f.n_sources == 2 for f in fused if f is not alone[0]), day


def test_a_border_province_and_a_town_across_it() -> None:
    batken_region = Place("p1", "Batken", country="KGZ", lat=40.06, lon=70.82, feature="admin1")
    isfara = Place("p2", "Isfara", country="TJK", lat=40.13, lon=70.63, feature="city")  # ~18 km
    dushanbe = Place("p3", "Dushanbe", country="TJK", lat=38.54, lon=68.78, feature="city")  # ~240 km
    tajikistan = Place("p4", "Tajikistan", country="TJK", lat=38.9, lon=71.0, feature="country")
    assert fusion.places_compatible(batken_region, isfara) and fusion.places_compatible(isfara, batken_region)
    assert not fusion.places_compatible(batken_region, dushanbe)
    assert not fusion.places_compatible(batken_region, tajikistan)  # a country is never across a border


@pytest.mark.slow
def test_sample_corpus_fuses_batken_and_malawi(extractor) -> None:
    """wirewatch/sample/README.md: f3's actorless toll joins the Batken clash; in the Malawi story
    h3's refusal joins h2's rejection and h5's "March 20 protests" join h4's call for them."""
    from wirewatch import stories
    from wirewatch.sample import sample_articles, sample_key
    from wirewatch.store import open_store

    arts = [a for a in sample_articles() if "kyrgyz" in sample_key(a) or "malawi" in sample_key(a)]
    pages = {"malawi-byelection-results": "h1", "malawi-opposition-rejects-results": "h2",
             "malawi-recount-demand": "h3", "malawi-police-teargas-opposition": "h4",
             "malawi-opposition-court-petition": "h5"}  # the WARC pages' URLs (scripts/sample_pages/pages.json)
    key = {a.id: pages.get(sample_key(a).rsplit("/", 1)[-1], sample_key(a)[:2]) for a in arts}
    with open_store(":memory:") as store:
        stories.attach(store)
        for a, r in zip(arts, extractor.extract_many(arts), strict=True):
            store.put(r, source_id=a.path)
        fused = fusion.fuse_store(store)
    got = [((f.type, f.status, f.date, tuple(sorted({key[s.article_id] for s in f.supports}))), f)
           for f in fused if f.n_articles > 1]
    clash = [f for k, f in got if k == ("ASSAULT", "occurred", "2026-03-10", ("f1", "f2", "f3"))]
    assert len(clash) == 2 and all(f.n_sources == 3 and f.conflicts == ["killed"] for f in clash)
    assert all([c.value for c in f.claims["killed"]] == [4, 7, 5] for f in clash)
    (reject,) = [f for k, f in got if k == ("REJECT", "occurred", "2026-03-10", ("h2", "h3"))]
    assert reject.actors == ["United Democratic Alliance"] and reject.n_sources == 2
    (protest,) = [f for k, f in got if k == ("PROTEST", "planned", "2026-03-20", ("h4", "h5"))]
    assert protest.actors == ["Chikondi Mwale"] and protest.n_sources == 2
    # the two clash directions, the Tajik blame (f1 + f2), and these two; nothing else joins
    assert sorted(k[0] for k, _ in got) == ["ACCUSE", "ASSAULT", "ASSAULT", "PROTEST", "REJECT"]
