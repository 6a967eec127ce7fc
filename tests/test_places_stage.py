"""The places stage on hand-built analyses (independent of the entity stage)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from wirewatch.models import Article, Entity, Mention, Span
from wirewatch.nlp import places
from wirewatch.nlp.context import Analysis

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def analysis(nlp, text, names, types=None, dateline=None):
    art = Article(text=text)
    if dateline:
        art.dateline_text = dateline
        art.dateline_span = Span(0, len(dateline))
    a = Analysis(doc=nlp(text), article=art)
    for i, n in enumerate(names, 1):
        ms = [Mention(j, j + len(n), n) for j in _find_all(text, n)]
        a.add_entity(Entity(id=f"e{i}", name=n, type=(types or {}).get(n, "GPE"), mentions=ms))
    return a


def _find_all(text, n):
    i = text.find(n)
    while i >= 0:
        yield i
        i = text.find(n, i + 1)


def test_places_linked_and_countries_set(nlp):
    text = ("CARACAS, Venezuela — The opposition disputed the count in Carabobo. In Valencia, the state "
            "capital, Venezuelan soldiers guarded the office. Caracas said the vote was clean.")
    a = analysis(nlp, text, ["Carabobo", "Valencia", "Venezuelan", "Caracas"], dateline="CARACAS, Venezuela")
    places.resolve(a)
    by_name = {p.name: p for p in a.places}
    assert "Venezuelan" not in by_name  # nationality words are not places
    assert by_name["Valencia"].country == "VEN" and by_name["Carabobo"].feature == "admin1"
    assert a.place_of["e2"] == by_name["Valencia"].id
    assert a.by_id["e2"].country == "VEN"
    assert [p.id for p in a.places] == [f"p{i}" for i in range(1, len(a.places) + 1)]
    # the dateline joins the Caracas place, with its own mention
    dl = next(p for p in a.places if p.id == a.article.dateline)
    assert dl.name == "Caracas" and any(m.text == "CARACAS" for m in dl.mentions)
    assert dl.geonameid and dl.lat and abs(dl.lat - 10.49) < 0.2


def test_dateline_without_entity(nlp):
    a = analysis(nlp, "LUANDA, Angola — Talks resumed on Monday.", [], dateline="LUANDA, Angola")
    places.resolve(a)
    assert len(a.places) == 1 and a.article.dateline == "p1"
    p = a.places[0]
    assert p.country == "AGO" and p.mentions[0].text == "LUANDA"


def test_unresolved_feature_located_by_context(nlp):
    text = ("KYIV, Ukraine — Defenders of the Azovstal steelworks in Mariupol were freed. Police cleared "
            "Khreshchatyk Street in Kyiv.")
    a = analysis(nlp, text, ["Azovstal steelworks", "Mariupol", "Kyiv"], types={"Azovstal steelworks": "LOC"},
                 dateline="KYIV, Ukraine")
    places.resolve(a)
    az = next(p for p in a.places if p.name == "Azovstal steelworks")
    assert az.country == "UKR" and abs(az.lat - 47.1) < 0.3 and az.geonameid is None


def test_existing_country_kept(nlp):
    a = analysis(nlp, "Officials in Georgia met.", ["Georgia"])
    a.by_id["e1"].country = "USA"  # the entity stage knew better
    places.resolve(a)
    assert a.by_id["e1"].country == "USA"


def test_no_entities(nlp):
    a = analysis(nlp, "Nothing to see.", [])
    places.resolve(a)
    assert a.places == [] and a.article.dateline is None


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    import geo

    return geo


def test_bench_reads_lgl_format(bench):
    docs = bench.read_xml(FIXTURES / "geo" / "lgl_tiny.xml")
    assert len(docs) == 1 and [g.name for g in docs[0].golds] == ["Paris", "Texas", "Austin"]
    s = bench.summary([0.0, 100.0, 5000.0])
    assert s["acc161"] == pytest.approx(2 / 3) and 0 < s["auc"] < 1


def test_bench_runs_on_fixture(bench, capsys):
    bench.main([str(FIXTURES / "geo" / "lgl_tiny.xml"), "--no-recognition"])
    out = capsys.readouterr().out
    assert "wirewatch" in out and "acc@161km 1.000" in out


def test_bench_reads_geovirus_offsets(bench):
    p = Path(ROOT.parent / "shared" / "eval" / "geo" / "geovirus" / "GeoVirus.xml")
    if not p.exists():
        pytest.fail(f"{p} is missing: the tests read ../shared/eval")
    docs = bench.read_xml(p)
    assert all(d.text[g.start:g.end] == g.name for d in docs[:20] for g in d.golds)


def test_months_and_unlocatable_names_get_no_place(nlp):
    a = analysis(nlp, "In March, Elica Zorvanoff visited Goma.", ["March", "Elica Zorvanoff", "Goma"])
    places.resolve(a)
    assert [p.name for p in a.places] == ["Goma"] and a.places[0].country == "COD"
    assert "e1" not in a.place_of and "e2" not in a.place_of


def test_institution_dateline(nlp):
    text = "UNITED NATIONS — The Security Council met on Heglig."
    a = analysis(nlp, text, ["UNITED NATIONS"], dateline="UNITED NATIONS")
    a.dateline_entity = "e1"
    places.resolve(a)
    p = a.places[0]
    assert a.article.dateline == p.id and p.country == "USA" and abs(p.lat - 40.75) < 0.1
