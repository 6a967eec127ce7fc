"""Event benchmark: wirewatch's PLOVER events against a plain-spaCy lexicon baseline, on coded sentences.

    python bench/events.py [GSR_JSON] [--table CAMEO2PLOVER.txt] [--show N]
                           (default: ../shared/eval/events/plover-gsr/)

Gold: the PLOVER gold-standard records (a JSON array of single coded sentences, PLOVER 0.5b1
labels derived from the CAMEO manual). Their older labels are mapped onto PLOVER's 16 types
through the CAMEO->PLOVER table beside them: each 0.5b1 type is one CAMEO root (DEMAND = 10,
DISAPPROVE = 11, INVESTIGATE = 09, FIGHT = 19, ...), and the root's heading in the table names the
current type (10 -> REQUEST, 09 and 11 -> ACCUSE, 19 -> ASSAULT); where a gold `mode` names a
CAMEO code the table moves to another type, that code decides (COERCE/destroy = 1712 -> ASSAULT).
Sentences coded twice (two events in one sentence) carry both types.

Systems, on the same sentences in the same run (no publication date):

- wirewatch: `Extractor.extract_many`; an event's actor/target codes are the `country` of its
  actor/target entities (an IGO code such as UN or NATO counts as the gold's generic "IGO").
- baseline (plain spaCy, same model, same lexicon `wirewatch/data/plover_lexicon.json`): every
  token whose lemma is in the lexicon's `verbs` (VERB/AUX) or `nouns` (NOUN) lists is a trigger of
  that type; the main event is the trigger closest to the dependency root (then the first);
  actor = the nearest GPE/NORP entity before the trigger, target = the nearest one after it, each
  coded by exact lookup of its text in the country names, short forms, demonyms and capitals of
  `wirewatch/data/countries.json` and the IGO names/aliases of `igos.json` (-> "IGO").

Scores:
- type accuracy: the main event's type (wirewatch: highest confidence, then first) is a gold type
  of the sentence; a sentence with no event counts as wrong;
- type P/R/F1 over (sentence, type) pairs, all events of every status; no event = all misses;
- actor / target code accuracy per coded record with a gold code: the system event of the gold
  type if it has one (else its main event) has an actor (target) with a gold code. "end-to-end"
  counts records with no event as wrong; "given type" only scores records whose type was found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DIR = ROOT.parent / "shared" / "eval" / "events" / "plover-gsr"
DATA = ROOT / "wirewatch" / "data"

# PLOVER 0.5b1 event types and the CAMEO root each one was built from.
OLD_ROOTS = {
    "AGREE": "03", "CONSULT": "04", "SUPPORT": "05", "COOPERATE": "06", "AID": "07", "CONCEDE": "08",
    "RETREAT": "08", "INVESTIGATE": "09", "DEMAND": "10", "DISAPPROVE": "11", "REJECT": "12",
    "THREATEN": "13", "PROTEST": "14", "MOBILIZE": "15", "SANCTION": "16", "COERCE": "17",
    "ASSAULT": "18", "FIGHT": "19",
}
# Gold (type, mode) pairs that name one CAMEO code (used only where the table moves that code).
MODE_CODES = {("COERCE", "destroy"): "1712"}
# Codes in the gold that predate its ISO 3166 clean-up.
GOLD_CODE_FIX = {"JAP": "JPN", "ITL": "ITA", "VTN": "VNM"}
NONE = "-"  # "no event" in confusion counts


@dataclass(slots=True)
class CameoTable:
    roots: dict[str, list[str]] = field(default_factory=dict)  # "10" -> ["REQUEST"]
    codes: dict[str, str] = field(default_factory=dict)  # "1712" -> "ASSAULT"

    def new_type(self, old: str, mode: str | None = None) -> str:
        """PLOVER 0.5b1 label (+ gold mode) -> current PLOVER type; unknown labels pass through."""
        code = MODE_CODES.get((old, (mode or "").strip()))
        if code and code in self.codes:
            return self.codes[code]
        heads = self.roots.get(OLD_ROOTS.get(old, ""), [])
        if old in heads or not heads:
            return old
        return heads[0]


def read_cameo_table(path: Path) -> CameoTable:
    """`NN: TYPE` root headings and `code: TYPE, mode, context # description` lines."""
    t = CameoTable()
    for line in path.read_text("utf-8").splitlines():
        m = re.match(r"\s*(\d{2,4}):\s*([A-Z]+)", line)
        if not m:
            continue
        code, typ = m.groups()
        if len(code) == 2:
            t.roots.setdefault(code, []).append(typ)
        else:
            t.codes.setdefault(code, typ)
    return t


@dataclass(slots=True)
class Coded:
    """One gold record: a sentence, its (mapped) event type, and the source/target codes."""

    id: str
    text: str
    old: str
    type: str
    sources: set[str]
    targets: set[str]


def _codes(actors: Any) -> set[str]:
    if not isinstance(actors, list):  # "" / None / a stray string: no actor coded
        return set()
    out = set()
    for a in actors:
        c = (a.get("code") or "").strip().upper() if isinstance(a, dict) else ""
        if c:
            out.add(GOLD_CODE_FIX.get(c, c))
    return out


def read_gsr(path: Path, table: CameoTable) -> list[Coded]:
    """The coded sentences (the DOCUMENT header record and text-less records are skipped)."""
    out = []
    for r in json.loads(path.read_text("utf-8")):
        text = (r.get("text") or "").strip().strip("{}").strip()
        if r.get("event") == "DOCUMENT" or not text:
            continue
        out.append(Coded(r["id"], text, r["event"], table.new_type(r["event"], r.get("mode")),
                         _codes(r.get("source")), _codes(r.get("target"))))
    return out


@dataclass(slots=True)
class Pred:
    type: str
    actors: set[str]
    targets: set[str]
    trigger: str = ""
    status: str = ""


# --- scoring ---------------------------------------------------------------

def pick(preds: list[Pred], gold_type: str) -> Pred | None:
    """The event a record is judged on: one of the gold type if any, else the main (first) one."""
    return next((p for p in preds if p.type == gold_type), preds[0] if preds else None)


@dataclass(slots=True)
class Report:
    n_sent: int = 0
    main_right: int = 0
    with_event: int = 0
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    roles: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0]))

    def prf(self) -> tuple[float, float, float]:
        tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(gold: list[Coded], preds: dict[str, list[Pred]]) -> Report:
    """`preds`: sentence text -> the system's events, main event first."""
    rep = Report()
    by_text: dict[str, set[str]] = defaultdict(set)
    for g in gold:
        by_text[g.text].add(g.type)
    for text, types in by_text.items():
        ps = preds.get(text, [])
        rep.n_sent += 1
        rep.with_event += bool(ps)
        main = ps[0].type if ps else NONE
        rep.main_right += main in types
        rep.confusion[(min(types), main) if main not in types else (main, main)] += 1
        got = {p.type for p in ps}
        for t in got & types:
            rep.tp[t] += 1
        for t in got - types:
            rep.fp[t] += 1
        for t in types - got:
            rep.fn[t] += 1
    for g in gold:
        ev = pick(preds.get(g.text, []), g.type)
        typed = ev is not None and ev.type == g.type
        for role, want, have in (("actor", g.sources, ev.actors if ev else set()),
                                 ("target", g.targets, ev.targets if ev else set())):
            if not want:
                continue
            hit = bool(want & have)
            c = rep.roles[role]  # [records, hits, records with type right, hits among those]
            c[0] += 1
            c[1] += hit
            c[2] += typed
            c[3] += hit and typed
    return rep


# --- systems -----------------------------------------------------------------

def igo_codes() -> set[str]:
    orgs = json.loads((DATA / "igos.json").read_text("utf-8"))["organisations"]
    return {o["code"] for o in orgs if o.get("kind", "igo") == "igo"}


def wirewatch_preds(texts: list[str]) -> dict[str, list[Pred]]:
    from wirewatch.nlp.pipeline import Extractor
    from wirewatch.read.files import article_from_parts

    igos = igo_codes()

    def code(e: Any) -> str | None:
        if e.country in igos or (e.country is None and e.sector == "IGO"):
            return "IGO"
        if e.country is None and e.sector == "NGO":
            return "NGO"
        return e.country

    arts = [article_from_parts({"title": None, "text": t}, f"<gsr {i}>", None) for i, t in enumerate(texts)]
    out: dict[str, list[Pred]] = {}
    for t, rec in zip(texts, Extractor().extract_many(arts), strict=True):
        ents = {e.id: e for e in rec.entities}
        evs = sorted(enumerate(rec.events), key=lambda iv: (-iv[1].confidence, iv[0]))
        out[t] = [Pred(v.type, {c for a in v.actors if a in ents and (c := code(ents[a]))},
                       {c for a in v.targets if a in ents and (c := code(ents[a]))}, v.trigger.text, v.status)
                  for _, v in evs]
    return out


def _key(s: str) -> str:
    s = re.sub(r"['\u2019]s$", "", s.strip())
    s = re.sub(r"^the\s+", "", s, flags=re.I)
    return re.sub(r"\s+", " ", s).lower()


def baseline_codes() -> dict[str, str]:
    """Exact-text lookup table: country names, short forms, demonyms, capitals -> ISO3; IGO names -> IGO."""
    table: dict[str, str] = {}
    for o in json.loads((DATA / "igos.json").read_text("utf-8"))["organisations"]:
        if o.get("kind", "igo") == "igo":
            for n in [o["name"], *o.get("aliases", [])]:
                table.setdefault(_key(n), "IGO")
    for c in json.loads((DATA / "countries.json").read_text("utf-8"))["countries"]:
        for n in [c["name"], *c.get("names", []), *c.get("demonyms", []), *c.get("capitals", [])]:
            table[_key(n)] = c["iso3"]
    return table


def baseline_preds(texts: list[str]) -> dict[str, list[Pred]]:
    from wirewatch.nlp.pipeline import load_model
    from wirewatch.settings import load_settings

    lex = json.loads((DATA / "plover_lexicon.json").read_text("utf-8"))
    verbs, nouns = lex["verbs"], lex["nouns"]
    codes = baseline_codes()
    nlp = load_model(load_settings().model)
    out: dict[str, list[Pred]] = {}
    for t, doc in zip(texts, nlp.pipe(texts), strict=True):
        ents = [e for e in doc.ents if e.label_ in ("GPE", "NORP")]
        found = []
        for tok in doc:
            entry = None
            if tok.pos_ in ("VERB", "AUX"):
                entry = verbs.get(tok.lemma_.lower())
            elif tok.pos_ == "NOUN":
                entry = nouns.get(tok.lemma_.lower()) or nouns.get(tok.lower_)
            if not entry:
                continue
            depth = len(list(tok.ancestors))
            before = [e for e in ents if e.end <= tok.i]
            after = [e for e in ents if e.start > tok.i]
            actor = codes.get(_key(before[-1].text)) if before else None
            target = codes.get(_key(after[0].text)) if after else None
            found.append((depth, tok.i, Pred(entry[0], {actor} - {None}, {target} - {None}, tok.text)))  # type: ignore[arg-type]
        out[t] = [p for _, _, p in sorted(found, key=lambda x: (x[0], x[1]))]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gsr", nargs="?", type=Path, default=DEFAULT_DIR / "PLOVER_GSR_CAMEO.json")
    ap.add_argument("--table", type=Path, default=None, help="CAMEO->PLOVER table (default: beside the GSR file)")
    ap.add_argument("--show", type=int, default=0, help="print N sentences whose main wirewatch type is wrong")
    args = ap.parse_args(argv)

    table = read_cameo_table(args.table or args.gsr.with_name("CAMEO2PLOVER-2021.txt"))
    gold = read_gsr(args.gsr, table)
    texts = list(dict.fromkeys(g.text for g in gold))
    mapped = Counter((g.old, g.type) for g in gold if g.old != g.type)
    print(f"{len(gold)} coded records on {len(texts)} sentences from {args.gsr}")
    print("label mapping (0.5b1 -> current, via the CAMEO table): "
          + ", ".join(f"{o}->{n} {k}" for (o, n), k in sorted(mapped.items())))
    print("gold types: " + ", ".join(f"{t} {k}" for t, k in Counter(g.type for g in gold).most_common()))

    runs = []
    for name, fn in (("wirewatch", wirewatch_preds), ("spaCy lexicon baseline", baseline_preds)):
        t = time.perf_counter()
        preds = fn(texts)
        runs.append((name, preds, score(gold, preds), time.perf_counter() - t))

    print(f"\n{'':<24}{'type acc':>9}{'P':>7}{'R':>7}{'F1':>7}{'w/ event':>10}"
          f"{'actor e2e':>11}{'|type':>7}{'target e2e':>12}{'|type':>7}")
    for name, _, rep, secs in runs:
        p, r, f = rep.prf()
        a, tg = rep.roles["actor"], rep.roles["target"]
        print(f"{name:<24}{rep.main_right / rep.n_sent:>9.3f}{p:>7.3f}{r:>7.3f}{f:>7.3f}"
              f"{rep.with_event / rep.n_sent:>10.3f}{a[1] / max(a[0], 1):>11.3f}{a[3] / max(a[2], 1):>7.3f}"
              f"{tg[1] / max(tg[0], 1):>12.3f}{tg[3] / max(tg[2], 1):>7.3f}   ({secs:.1f} s)")
    a, tg = runs[0][2].roles["actor"], runs[0][2].roles["target"]
    print(f"(type acc/P/R/F1 over {runs[0][2].n_sent} sentences; actor over {a[0]} records with a gold actor code,"
          f" target over {tg[0]}; '|type' = among records whose gold type the system found)")

    for name, _, rep, _ in runs:
        types = sorted(set(rep.tp) | set(rep.fn) | set(rep.fp))
        print(f"\n{name} per type (TP/FP/FN): " + "  ".join(
            f"{t} {rep.tp[t]}/{rep.fp[t]}/{rep.fn[t]}" for t in types))
        wrong = Counter({k: v for k, v in rep.confusion.items() if k[0] != k[1]})
        print("  main-event confusions (gold -> predicted): " + ", ".join(
            f"{g}->{p} {k}" for (g, p), k in wrong.most_common(12)))

    # PLOVER codes a stated intention ("will support", "offered to hand over") as AGREE; wirewatch
    # codes the intended action with status planned/expected, so these count as type errors above.
    ww = runs[0][1]
    intent = sum(1 for t in texts if (ps := ww.get(t)) and ps[0].type != "AGREE"
                 and ps[0].status in ("planned", "expected") and any(g.type == "AGREE" for g in gold if g.text == t))
    print(f"\nwirewatch: {intent} gold-AGREE sentences whose main event is another type with status planned/expected"
          " (PLOVER's intent-as-AGREE convention)")

    if args.show:
        types: dict[str, set[str]] = defaultdict(set)
        for g in gold:
            types[g.text].add(g.type)
        shown = 0
        for g in gold:
            ps = ww.get(g.text, [])
            if shown >= args.show or (ps and ps[0].type in types[g.text]):
                continue
            shown += 1
            print(f"\n[{g.id}] gold {g.type} {sorted(g.sources)}->{sorted(g.targets)}: {g.text}")
            for p in ps:
                print(f"    {p.type:<10} {p.status:<12} trigger {p.trigger!r} {sorted(p.actors)}->{sorted(p.targets)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
