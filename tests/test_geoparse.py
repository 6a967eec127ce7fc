"""Document-aware toponym resolution: the hard cases, and the dev articles' gold places."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wirewatch.geo.geoparse import haversine, recognise, resolve

EVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


def res(text, *names, dateline=None):
    """Resolve the first occurrence of each name in text."""
    spans = []
    for n in names:
        i = text.index(n)
        spans.append((i, i + len(n)))
    dl = None
    if dateline:
        dl = (0, len(dateline))
    return resolve(text, spans, dateline=dl)


def iso(c):
    return c.country_iso3 if c else None


def test_georgia_country_vs_state():
    assert iso(res("Protesters in Tbilisi, Georgia, clashed with police.", "Georgia")[0]) == "GEO"
    assert iso(res("Georgia's government said it would talk to Moscow.", "Georgia")[0]) == "GEO"
    r = res("Storms hit Atlanta and Savannah, and Georgia's governor declared an emergency.",
            "Atlanta", "Savannah", "Georgia")
    assert [iso(c) for c in r] == ["USA", "USA", "USA"] and r[2].feature == "admin1"


def test_tripoli():
    assert iso(res("Fighting broke out in Tripoli on Sunday.", "Tripoli")[0]) == "LBY"
    text = "Clashes in Tripoli, Lebanon's second city, spread north of Beirut, Lebanese officials said."
    assert iso(res(text, "Tripoli")[0]) == "LBN"


def test_paris():
    assert iso(res("Talks opened in Paris.", "Paris")[0]) == "FRA"
    assert iso(res("A tornado hit Paris, Texas, overnight.", "Paris")[0]) == "USA"


def test_albany_is_not_albania():
    c = res("Lawmakers in Albany passed the budget.", "Albany")[0]
    assert c is not None and c.country_iso3 != "ALB"


def test_valencia_in_venezuela():
    text = ("CARACAS, Venezuela — The opposition disputed the count in Carabobo state. In Valencia, "
            "the state capital, crowds gathered outside the electoral office.")
    r = res(text, "Carabobo", "Valencia", dateline="CARACAS, Venezuela")
    assert iso(r[0]) == "VEN" and r[0].feature == "admin1"
    assert iso(r[1]) == "VEN" and haversine(r[1].lat, r[1].lon, 10.16, -68.0) < 30
    assert iso(res("Valencia beat Sevilla 2-0 in La Liga.", "Valencia")[0]) == "ESP"


def test_admin_qualifier():
    c = res("The plant in Alexandria, Va., will close.", "Alexandria")[0]
    assert iso(c) == "USA" and c.admin1 == "Virginia"
    c = res("Farms in Pandi, Bulacan were quarantined.", "Pandi")[0]
    assert iso(c) == "PHL"


def test_demonyms_pull_to_country():
    c = res("Lebanese troops deployed in Tripoli after Lebanese officials asked for calm.", "Tripoli")[0]
    assert iso(c) == "LBN"


def test_state_named_like_city_means_city():
    c = res("The UN Security Council met in New York on Monday.", "New York")[0]
    assert c.feature == "city" and haversine(c.lat, c.lon, 40.71, -74.0) < 20
    c = res("Upstate farms in New York state suffered.", "New York")[0]
    assert c.feature == "admin1"


def test_unknown_and_empty():
    assert resolve("Nothing here.", []) == []
    assert res("They met in Xqzzyville.", "Xqzzyville") == [None]


def _gold_spans(text, g):
    spans = []
    for n in [g["name"], *g.get("aliases", [])]:
        for m in re.finditer(r"\b" + re.escape(n) + r"\b", text):
            spans.append((m.start(), m.end()))
    return spans


def test_dev_articles_gold_places():
    """Every gold place with a point that appears in a dev article: resolve all together, check 161 km."""
    from wirewatch.read.files import read_file

    ok = total = 0
    misses, wrong = [], []
    for gold_path in sorted((EVAL / "dev").glob("*.gold.json")):
        gold = json.loads(gold_path.read_text("utf-8"))
        art = read_file(gold_path.with_name(gold_path.name.replace(".gold.json", ".txt")))
        items = [(g, s) for g in gold["places"] for s in _gold_spans(art.text, g)]
        dl = art.dateline_span
        out = resolve(art.text, [s for _, s in items], dateline=(dl.start, dl.end) if dl else None)
        seen = set()
        for (g, _), c in zip(items, out, strict=True):
            if g.get("lat") is None or g["name"] in seen:
                continue
            seen.add(g["name"])
            total += 1
            if c is None:
                misses.append(g["name"])
                continue
            good = haversine(c.lat, c.lon, g["lat"], g["lon"]) <= 161 and c.country_iso3 == g["country"]
            ok += good
            if not good:
                wrong.append((g["name"], c.name, c.country_iso3))
    # gazetteer gaps (streets, plants, towns under 500 people) are the known misses; wrong answers are worse
    assert not wrong
    assert ok / total >= 0.75, misses


@pytest.fixture(scope="module")
def doc(nlp):
    return nlp("Protests spread from Tbilisi to Batumi on Sunday, and Georgian police blocked the road to "
               "the Black Sea coast, the West said.")


def test_recognise(doc):
    names = [doc.text[s:e] for s, e in recognise(doc)]
    assert "Tbilisi" in names and "Batumi" in names
    assert "Georgian" not in names and "West" not in names


def test_list_of_peers_is_not_a_qualifier():
    r = res("Cases were reported in Iraq, Iran and Syria.", "Iraq")
    assert iso(r[0]) == "IRQ" and r[0].feature == "country"
    r = res("Storms crossed Illinois, Indiana and Ohio.", "Illinois")
    assert r[0].feature == "admin1" and r[0].name == "Illinois"


def test_gazetteer_gap_is_none_not_a_far_hamlet():
    # "Vake" (a Tbilisi district) is only the alternate name of a German village: no answer
    text = "Georgian police in Tbilisi detained protesters in the Vake district."
    assert res(text, "Tbilisi", "Vake")[1] is None


def test_dateline_names_a_town():
    text = "WASHINGTON — The Senate voted on Tuesday."
    c = resolve(text, [(0, 10)], dateline=(0, 10))[0]
    assert c.feature == "city" and abs(c.lat - 38.9) < 0.2
