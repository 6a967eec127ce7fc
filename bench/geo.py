"""Toponym resolution benchmark: wirewatch vs a most-populous baseline, on gold spans, plus recognition.

    python bench/geo.py [FILES_OR_DIRS...]      (default: ../shared/eval/geo/geovirus/)

Reads GeoVirus XML (<article><source><text><locations><location><name><start><end><lat><lon>)
and LGL / TR-News XML (<article><text><toponyms><toponym><start><end><phrase>
<gaztag geonameid><lat><lon>). Paragraph-level GeoVirus <article>s that share a
<source> are one news story, so they are resolved together as one document.

Prints acc@161km, AUC of the error curve (Gritta et al. 2018: mean of
log(1+km)/log(20039), lower is better), median error km, and recognition
P/R/F1 (spaCy toponyms vs gold spans, exact and overlap).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT.parent / "shared" / "eval" / "geo" / "geovirus"
MAX_KM = 20039.0  # half the Earth's circumference: the largest possible error


@dataclass(slots=True)
class Gold:
    start: int
    end: int
    name: str
    lat: float
    lon: float


@dataclass(slots=True)
class Doc:
    key: str
    text: str
    golds: list[Gold]


def _f(el: ET.Element | None, tag: str) -> str | None:
    if el is None:
        return None
    x = el.find(tag)
    return x.text if x is not None else None


def _align(text: str, g: Gold) -> Gold:
    """Snap a gold span onto its name: GeoVirus offsets are one character late (1-based)."""
    if not g.name or text[g.start:g.end] == g.name:
        return g
    for d in (-1, 1, -2, 2, -3, 3):
        s = g.start + d
        if s >= 0 and text[s:s + len(g.name)] == g.name:
            return Gold(s, s + len(g.name), g.name, g.lat, g.lon)
    return g


def read_xml(path: Path, *, join: bool = True) -> list[Doc]:
    """Both formats; GeoVirus paragraphs with one <source> are joined into one document (if `join`)."""
    root = ET.parse(path).getroot()
    docs: list[Doc] = []
    by_source: dict[str, Doc] = {}
    for i, art in enumerate(root.iter("article")):
        text = _f(art, "text") or ""
        golds: list[Gold] = []
        for loc in art.iter("location"):  # GeoVirus
            golds.append(Gold(int(_f(loc, "start") or 0), int(_f(loc, "end") or 0), _f(loc, "name") or "",
                              float(_f(loc, "lat") or "nan"), float(_f(loc, "lon") or "nan")))
        for top in art.iter("toponym"):  # LGL / TR-News
            gaz = top.find("gaztag")
            lat, lon = _f(gaz, "lat"), _f(gaz, "lon")
            if gaz is None or lat is None or lon is None:
                continue  # unresolved in gold: not scorable
            golds.append(Gold(int(_f(top, "start") or 0), int(_f(top, "end") or 0), _f(top, "phrase") or "",
                              float(lat), float(lon)))
        golds = [g for g in (_align(text, g) for g in golds) if not math.isnan(g.lat) and text[g.start:g.end]]
        source = _f(art, "source") if join else None
        if source and source in by_source:
            d = by_source[source]
            off = len(d.text) + 2
            d.text += "\n\n" + text
            d.golds += [Gold(g.start + off, g.end + off, g.name, g.lat, g.lon) for g in golds]
            continue
        d = Doc(source or f"{path.name}#{i}", text, golds)
        docs.append(d)
        if source:
            by_source[source] = d
    return docs


def files(args: list[str]) -> list[Path]:
    out: list[Path] = []
    for a in args or [str(DEFAULT)]:
        p = Path(a)
        out += sorted(p.glob("*.xml")) if p.is_dir() else [p]
    return out


def summary(errors: list[float]) -> dict[str, float]:
    n = len(errors)
    if not n:
        return {"n": 0, "acc161": 0.0, "auc": 1.0, "median_km": math.nan}
    return {"n": n, "acc161": sum(e <= 161 for e in errors) / n,
            "auc": sum(math.log(1 + min(e, MAX_KM)) for e in errors) / (n * math.log(MAX_KM)),
            "median_km": statistics.median(errors)}


def baseline(cands: list, *, towns_only: bool = False) -> object | None:
    """Most populous same-named GeoNames place (any class; or populated places only, as in NOTES.md)."""
    if towns_only:
        cands = [c for c in cands if c.feature == "city"]
    return max(cands, key=lambda c: c.population) if cands else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--no-recognition", action="store_true", help="skip the spaCy recognition score")
    ap.add_argument("--paragraphs", action="store_true",
                    help="resolve each <article> alone (GeoVirus: paragraphs) instead of joining by <source>")
    ap.add_argument("--errors", type=int, default=0, help="print the N worst wirewatch errors")
    args = ap.parse_args(argv)

    from wirewatch.geo.gazetteer import gazetteer
    from wirewatch.geo.geoparse import haversine, recognise, resolve

    gaz = gazetteer()
    t0 = time.perf_counter()
    for path in files(args.paths):
        docs = read_xml(path, join=not args.paragraphs)
        ww: list[float] = []
        base: list[float] = []
        towns: list[float] = []
        by_feature: dict[str, list[float]] = {}
        worst: list[tuple[float, str, str]] = []
        t = time.perf_counter()
        for d in docs:
            res = resolve(d.text, [(g.start, g.end) for g in d.golds])
            for g, r in zip(d.golds, res, strict=True):
                e = haversine(g.lat, g.lon, r.lat, r.lon) if r else MAX_KM
                ww.append(e)
                by_feature.setdefault(r.feature if r else "unresolved", []).append(e)
                worst.append((e, d.text[g.start:g.end], f"{r.name} {r.country_iso3} {r.feature}" if r else "-"))
                cands = gaz.candidates(d.text[g.start:g.end])
                for out, b in ((base, baseline(cands)), (towns, baseline(cands, towns_only=True))):
                    out.append(haversine(g.lat, g.lon, b.lat, b.lon) if b else MAX_KM)  # type: ignore[attr-defined]
        secs = time.perf_counter() - t
        print(f"== {path} ({len(docs)} documents, {sum(len(d.golds) for d in docs)} gold toponyms,"
              f" resolved in {secs:.1f} s)")
        for name, errs in (("wirewatch", ww), ("baseline (most populous)", base),
                           ("baseline (populous town)", towns)):
            s = summary(errs)
            print(f"  {name:<26} acc@161km {s['acc161']:.3f}   AUC {s['auc']:.3f}   median {s['median_km']:.0f} km"
                  f"   (n={s['n']})")
        # where the errors are: large areas (countries, states, continents) lose mostly to the
        # representative-point convention of the gold, "unresolved" to gazetteer gaps
        print("  wirewatch by resolved class: " + ", ".join(
            f"{k} {summary(v)['acc161']:.2f} (n={len(v)})" for k, v in sorted(by_feature.items(), key=lambda x: -len(x[1]))))
        if args.errors:
            from collections import Counter

            bad = Counter((n, r) for e, n, r in worst if e > 161)
            for (n, r), k in bad.most_common(args.errors):
                print(f"    {k:>3}x {n!r} -> {r}")
        if not args.no_recognition:
            from wirewatch.nlp.pipeline import load_model
            from wirewatch.settings import load_settings

            nlp = load_model(load_settings().model)
            tp = tpo = npred = ngold = 0
            for d, doc in zip(docs, nlp.pipe(d.text for d in docs), strict=True):
                pred = set(recognise(doc))
                gold = {(g.start, g.end) for g in d.golds}
                npred += len(pred)
                ngold += len(gold)
                tp += len(pred & gold)
                tpo += sum(any(ps < ge and gs < pe for gs, ge in gold) for ps, pe in pred)
            for label, hit in (("exact", tp), ("overlap", tpo)):
                p = hit / npred if npred else 0.0
                r = min(hit, ngold) / ngold if ngold else 0.0
                f = 2 * p * r / (p + r) if p + r else 0.0
                print(f"  recognition ({label:<7})   P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
