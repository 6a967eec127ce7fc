"""Named-entity benchmark: wirewatch's entities against bare spaCy NER, PER/ORG/LOC span F1, same run.

    python bench/ner.py [IOB2_FILE_OR_DIR ...] [--show N]
                        (default: ../shared/eval/ner/uner-english-pud/)

Reads IOB2 files in the UNER layout (`# sent_id`, `# text` comments; columns idx, token, tag, ...).
Each sentence is analysed alone (no publication date):

- wirewatch: `Extractor.extract_many`; every mention of an entity of type PERSON -> PER, ORG -> ORG,
  GPE/LOC -> LOC (NORP, EVENT, LAW dropped), its character offsets mapped onto the gold tokens;
- baseline: `doc.ents` of the same spaCy model, PERSON -> PER, ORG -> ORG, GPE/LOC/FAC -> LOC.

Score: exact typed span match (CoNLL style), P/R/F1 per type and micro; also untyped spans, and
the news (`n*`) and Wikipedia (`w*`) halves. Published anchor (UNER en_pud, trained on en_ewt):
XLM-R large micro F1 80.1 (Mayhew et al. 2024).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT = ROOT.parent / "shared" / "eval" / "ner" / "uner-english-pud"
TYPES = ("PER", "ORG", "LOC")
WIREWATCH_MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC"}
SPACY_MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}

Span = tuple[int, int, str]  # token start, token end (exclusive), type


@dataclass(slots=True)
class Sentence:
    id: str
    text: str
    tokens: list[str]
    offsets: list[tuple[int, int]] = field(default_factory=list)  # char span of each token in `text`
    gold: set[Span] = field(default_factory=set)


def iob_spans(tags: list[str]) -> set[Span]:
    """IOB2 tags -> typed token spans; a stray I- after O or another type opens a span (conlleval)."""
    spans: set[Span] = set()
    start, kind = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, typ = tag.partition("-")
        if start >= 0 and (prefix != "I" or typ != kind):
            spans.add((start, i, kind))
            start = -1
        if prefix == "B" or (prefix == "I" and start < 0):
            start, kind = i, typ
    return spans


def align(text: str, tokens: list[str]) -> list[tuple[int, int]]:
    """Character span of each token in `text`, searched left to right (tokens keep their spelling)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for tok in tokens:
        i = text.find(tok, pos)
        if i < 0:  # not found: a zero-width span where we are, so it matches no mention
            out.append((pos, pos))
            continue
        out.append((i, i + len(tok)))
        pos = i + len(tok)
    return out


def read_iob2(path: Path) -> list[Sentence]:
    """Sentences of one UNER IOB2 file, with gold spans and token character offsets."""
    sents: list[Sentence] = []
    sid, text, toks, tags = "", "", [], []

    def flush() -> None:
        nonlocal sid, text, toks, tags
        if toks:
            t = text or " ".join(toks)
            sents.append(Sentence(sid or f"{path.name}#{len(sents)}", t, toks, align(t, toks), iob_spans(tags)))
        sid, text, toks, tags = "", "", [], []

    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            flush()
        elif line.startswith("#"):
            key, _, val = line[1:].partition("=")
            if key.strip() == "sent_id":
                sid = val.strip()
            elif key.strip() == "text":
                text = val.strip()
        else:
            cols = line.split("\t")
            toks.append(cols[1])
            tags.append(cols[2] if len(cols) > 2 else "O")
    flush()
    return sents


def char_to_tokens(offsets: list[tuple[int, int]], start: int, end: int) -> tuple[int, int] | None:
    """Tokens a character span covers (any overlap), as a token range; None if it covers none."""
    hit = [i for i, (s, e) in enumerate(offsets) if s < end and start < e]
    return (hit[0], hit[-1] + 1) if hit else None


def to_spans(offsets: list[tuple[int, int]], mentions: Iterable[tuple[int, int, str]],
             mapping: dict[str, str]) -> set[Span]:
    out: set[Span] = set()
    for s, e, label in mentions:
        typ = mapping.get(label)
        rng = char_to_tokens(offsets, s, e) if typ else None
        if rng:
            out.add((rng[0], rng[1], typ))  # type: ignore[arg-type]
    return out


@dataclass(slots=True)
class Score:
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)

    def add(self, gold: set[Span], pred: set[Span]) -> None:
        for s in pred & gold:
            self.tp[s[2]] += 1
        for s in pred - gold:
            self.fp[s[2]] += 1
        for s in gold - pred:
            self.fn[s[2]] += 1

    def prf(self, typ: str | None = None) -> tuple[float, float, float]:
        keys = [typ] if typ else list(TYPES) + ["*"]
        tp = sum(self.tp[k] for k in keys)
        fp = sum(self.fp[k] for k in keys)
        fn = sum(self.fn[k] for k in keys)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def untyped(spans: set[Span]) -> set[Span]:
    return {(s, e, "*") for s, e, _ in spans}


def error_class(gold: set[Span], pred: set[Span]) -> Counter[str]:
    """Why predictions miss: wrong type (same tokens), wrong boundary (overlap, same type), other."""
    c: Counter[str] = Counter()
    for s, e, t in pred - gold:
        same = [g for g in gold if (g[0], g[1]) == (s, e)]
        over = [g for g in gold if g[0] < e and s < g[1]]
        if same:
            c[f"type {t}<-{same[0][2]}"] += 1
        elif any(g[2] == t for g in over):
            c[f"boundary {t}"] += 1
        elif over:
            c[f"boundary+type {t}"] += 1
        else:
            c[f"spurious {t}"] += 1
    for s, e, t in gold - pred:
        if not any(p[0] < e and s < p[1] for p in pred):
            c[f"missed {t}"] += 1
    return c


def wirewatch_mentions(sents: list[Sentence]) -> list[list[tuple[int, int, str]]]:
    from wirewatch.nlp.pipeline import Extractor
    from wirewatch.read.files import article_from_parts

    arts = [article_from_parts({"title": None, "text": s.text}, f"<{s.id}>", None) for s in sents]
    return [[(m.start, m.end, e.type) for e in rec.entities for m in e.mentions]
            for rec in Extractor().extract_many(arts)]


def spacy_mentions(sents: list[Sentence]) -> list[list[tuple[int, int, str]]]:
    from wirewatch.nlp.pipeline import load_model
    from wirewatch.settings import load_settings

    nlp = load_model(load_settings().model)
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(s.text for s in sents)]


def render(s: Sentence, spans: set[Span]) -> str:
    return ", ".join(f"{' '.join(s.tokens[a:b])}/{t}" for a, b, t in sorted(spans)) or "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--show", type=int, default=0, help="print N sentences where wirewatch is wrong")
    args = ap.parse_args(argv)

    files: list[Path] = []
    for a in args.paths or [str(DEFAULT)]:
        p = Path(a)
        files += sorted(p.glob("*.iob2")) if p.is_dir() else [p]
    sents = [s for f in files for s in read_iob2(f)]
    print(f"{len(sents)} sentences, {sum(len(s.gold) for s in sents)} gold entities from "
          + ", ".join(str(f) for f in files))

    t = time.perf_counter()
    base = [to_spans(s.offsets, m, SPACY_MAP) for s, m in zip(sents, spacy_mentions(sents), strict=True)]
    tb = time.perf_counter() - t
    t = time.perf_counter()
    ww = [to_spans(s.offsets, m, WIREWATCH_MAP) for s, m in zip(sents, wirewatch_mentions(sents), strict=True)]
    tw = time.perf_counter() - t

    halves = {"all": lambda s: True, "news (n*)": lambda s: s.id.startswith("n"),
              "wiki (w*)": lambda s: s.id.startswith("w")}
    for name, preds, secs in (("wirewatch", ww, tw), ("spaCy baseline", base, tb)):
        sc, un = Score(), Score()
        by_half = {h: Score() for h in halves}
        for s, p in zip(sents, preds, strict=True):
            sc.add(s.gold, p)
            un.add(untyped(s.gold), untyped(p))
            for h, keep in halves.items():
                if keep(s):
                    by_half[h].add(s.gold, p)
        cells = "   ".join(f"{t} {100 * sc.prf(t)[2]:5.1f}" for t in TYPES)
        p, r, f = sc.prf()
        print(f"\n{name} ({secs:.1f} s)")
        print(f"  micro  P {100 * p:5.1f}  R {100 * r:5.1f}  F1 {100 * f:5.1f}     per type F1: {cells}")
        print(f"  untyped span F1 {100 * un.prf()[2]:5.1f}    " + "   ".join(
            f"{h} F1 {100 * by_half[h].prf()[2]:5.1f}" for h in halves if h != "all"))
        errs: Counter[str] = Counter()
        for s, pr in zip(sents, preds, strict=True):
            errs += error_class(s.gold, pr)
        print("  errors: " + ", ".join(f"{k} {v}" for k, v in errs.most_common(12)))
    print("\nanchor: XLM-R large (UNER, trained on en_ewt) micro F1 80.1 on en_pud (Mayhew et al. 2024)")

    # Regressions first: sentences wirewatch gets wrong and bare spaCy gets right.
    wrong = [(s, w, b) for s, w, b in zip(sents, ww, base, strict=True) if w != s.gold]
    wrong.sort(key=lambda x: x[2] != x[0].gold)
    for s, w, b in wrong[:args.show]:
        tag = "REGRESSION " if b == s.gold else ""
        print(f"\n{tag}[{s.id}] {s.text}\n  gold {render(s, s.gold)}\n  ww   {render(s, w)}\n  base {render(s, b)}")
    if args.show:
        print(f"\n{sum(b == s.gold for s, _, b in wrong)} sentences wirewatch gets wrong and the baseline right;"
              f" {sum(w == s.gold and b != s.gold for s, w, b in zip(sents, ww, base, strict=True))} the reverse")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
