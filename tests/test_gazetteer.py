"""Offline gazetteer: name normalisation, coverage of countries/states/towns, the cache location."""

from __future__ import annotations

import pytest

from wirewatch.geo.gazetteer import gazetteer, normalise


@pytest.mark.parametrize("raw, key", [
    ("U.S.", "us"), ("St. Louis", "saint louis"), ("Côte d’Ivoire", "cote divoire"),
    ("Venezuela’s", "venezuela"), ("the Gambia", "gambia"), ("Kraków", "krakow"), ("Ak-Sai", "ak sai"),
    ("Mt. Kenya", "mount kenya"),
])
def test_normalise(raw, key):
    assert normalise(raw) == key


def kinds(name):
    return {(c.feature, c.country_iso3) for c in gazetteer().candidates(name)}


def test_countries_states_and_towns():
    assert {("country", "GEO"), ("admin1", "USA")} <= kinds("Georgia")
    assert ("country", "CIV") in kinds("Ivory Coast") and ("country", "CIV") in kinds("Côte d'Ivoire")
    assert ("country", "USA") in kinds("U.S.") and ("country", "GBR") in kinds("Britain")
    assert ("country", "COD") in kinds("DRC")
    assert ("admin1", "VEN") in kinds("Carabobo")        # admin1 outside the US
    assert ("admin1", "COD") in kinds("North Kivu")      # GeoNames "Nord Kivu", read in English
    assert ("admin1", "CHN") in kinds("Anhui")           # GeoNames "Anhui Sheng"
    assert ("admin1", "AUS") in kinds("NSW")
    assert ("admin2", "GBR") in kinds("Suffolk")         # second-level divisions too
    assert ("city", "VEN") in kinds("Naguanagua")        # small towns (>= 500 people)
    assert ("city", "COD") in kinds("Sake")
    assert ("sea", None) in kinds("Black Sea")
    assert ("continent", None) in kinds("Africa")


def test_lookups_are_exact_not_fuzzy():
    assert "ALB" not in {c for _, c in kinds("Albany")}
    assert gazetteer().candidates("") == []
    assert gazetteer().candidates("Xqzzyville") == []


def test_accent_insensitive_and_saint():
    a = {c.geonameid for c in gazetteer().candidates("Sao Paulo")}
    assert a and a == {c.geonameid for c in gazetteer().candidates("São Paulo")}
    assert any(c.country_iso3 == "USA" for c in gazetteer().candidates("Saint Louis"))


def test_capitals_are_marked():
    dc = [c for c in gazetteer().candidates("Washington") if c.capital]
    assert len(dc) == 1 and dc[0].country_iso3 == "USA" and abs(dc[0].lat - 38.9) < 0.2


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    from wirewatch.geo import build

    monkeypatch.setenv("WIREWATCH_CACHE", str(tmp_path))
    assert build.db_path().parent == tmp_path
    assert build.db_path().name == f"gazetteer-v{build.SCHEMA}.sqlite"


def test_english_variants_of_admin_names():
    from wirewatch.geo.build import _admin2_variants, _english_variants

    assert "guangxi" in _english_variants("Guangxi Zhuangzu Zizhiqu")
    assert "south darfur" in _english_variants("Southern Darfur")
    assert "north kivu" in _english_variants("Nord Kivu")
    assert _admin2_variants("Scott County") == []  # bare "Scott" would shadow towns
    assert _admin2_variants("Comuna Castra-Nova") == ["castra nova"]
