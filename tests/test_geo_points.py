"""Representative points of countries and first-level divisions (data/geo_points.tsv, see geo/build.py)."""

from __future__ import annotations

import csv

import pytest

from wirewatch.geo.build import AGREE_KM, COUNTRIES_TSV, COUNTRY_POINT_OVERRIDES, POINTS_TSV
from wirewatch.geo.gazetteer import gazetteer
from wirewatch.geo.geoparse import haversine


def _tsv(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter="\t"))


def test_points_table_covers_countries_and_divisions():
    rows = _tsv(POINTS_TSV)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"country", "admin1"}
    assert sum(r["kind"] == "country" for r in rows) > 200
    assert sum(r["kind"] == "admin1" for r in rows) > 3000
    for r in rows:
        assert -90 <= float(r["lat"]) <= 90 and -180 <= float(r["lon"]) <= 180


def test_country_points_stay_near_the_factbook_point():
    """The consensus rule: a moved country point is the midpoint, so within AGREE_KM / 2 of the Factbook one."""
    fb = {r["iso3"]: COUNTRY_POINT_OVERRIDES.get(r["iso3"], (float(r["lat"]), float(r["lon"])))
          for r in _tsv(COUNTRIES_TSV)}
    moved = 0
    for r in _tsv(POINTS_TSV):
        if r["kind"] != "country":
            continue
        d = haversine(float(r["lat"]), float(r["lon"]), *fb[r["key"]])
        assert d <= AGREE_KM / 2 + 1, r
        moved += r["method"] == "midpoint"
    assert moved > 100


def test_gazetteer_uses_the_points():
    pts = {(r["kind"], r["key"]): (float(r["lat"]), float(r["lon"])) for r in _tsv(POINTS_TSV)}
    china = next(c for c in gazetteer().candidates("China") if c.feature == "country")
    assert haversine(china.lat, china.lon, *pts[("country", "CHN")]) < 1


@pytest.mark.parametrize("iso3", ["AUS", "CAN", "USA", "GBR", "IND", "CHN", "BRA"])
def test_division_points_lie_among_their_own_towns(iso3):
    """A division's point (the centroid of its towns' Voronoi cells) lies in its own territory: the
    nearest town of the country to it is, for nearly every division, one of its own towns."""
    con = gazetteer()._con
    towns = con.execute("SELECT lat, lon, admin1 FROM place WHERE country = ? AND feature = 'city'"
                        " AND population >= 1000", (iso3,)).fetchall()
    divisions = con.execute("SELECT name, lat, lon FROM place WHERE country = ? AND feature = 'admin1'",
                            (iso3,)).fetchall()
    inside = 0
    for name, lat, lon in divisions:
        nearest = min(towns, key=lambda t, lat=lat, lon=lon: (t[0] - lat) ** 2 + ((t[1] - lon) * 0.7) ** 2)
        inside += nearest[2] == name
    assert inside >= 0.8 * len(divisions), (inside, len(divisions))


def test_sibling_divisions_are_not_aliases():
    """ISO 3166-2 aliases matched on shared words must not make 'West Virginia' a name of Virginia."""
    wv = gazetteer().candidates("West Virginia")
    assert [c.name for c in wv if c.feature == "admin1"] == ["West Virginia"]
    bcs = gazetteer().candidates("Baja California Sur")
    assert {c.name for c in bcs if c.feature == "admin1"} == {"Baja California Sur"}
