"""Ingest throughput: `wirewatch ingest` end to end vs bare spaCy and bare extraction, same corpus, same run.

    python bench/ingest_speed.py                     # 300 articles: bare nlp.pipe, extraction, ingest -w1, -w2
    python bench/ingest_speed.py --paragraphs 4      # the same on short (~140-word) articles
    python bench/ingest_speed.py --rounds 3          # the same, ingest runs three times: median per-core ratio
    python bench/ingest_speed.py -n 500 --memory 1000,10000   # also: peak memory of two corpus sizes
    python bench/ingest_speed.py -n 400 --workers "" --stories-cost   # ingest -w1 with vs without stories

The corpus is generated reproducibly (seeded) by recombining the lines of the
dev articles (../shared/eval/dev), or of the bundled sample when those are
absent, so it runs anywhere. Each line is used once per round, so no two
articles are near-copies and de-duplication does not flatter the figures. An
article has as many paragraphs as a dev article on average (11, ~380 words;
`--paragraphs 4` gives the ~140-word articles of the figures before 2026-11-29).

Figures:
  bare nlp.pipe   stock spaCy alone (spacy.load of the same model), one process, model already loaded
  extraction      Extractor.extract_many (spaCy + wirewatch stages), one process
  ingest -wN      `wirewatch ingest corpus.jsonl --workers N` into a fresh SQLite file, in a
                  subprocess: "e2e" counts from process start (model loading included),
                  "steady" from when the first batch of each worker is stored to the last article
                  (from the store's timestamps)
  bare nlp.pipe nN  spaCy alone with n_process=N, steady (as ingest): bare spaCy's own rate on N cores
  per core        steady rate / N / bare nlp.pipe rate, bare measured right before and after
                  that ingest run (the issue's target: >= 0.75); --rounds R repeats and gives the median
  per CPU second  the same steady window in CPU time of the whole ingest process tree (writer and
                  workers), against bare nlp.pipe's articles per CPU second: per core, without the
                  noise of other tenants' load on wall time
  x bare nN       steady rate / bare nlp.pipe nN rate: per core against bare spaCy's per-core rate
                  when it, too, runs on N cores
  peak RSS        of the ingest process tree (writer + workers), sampled from /proc
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # runs from a checkout without installing it
DEV = ROOT.parent / "shared" / "eval" / "dev"
SAMPLE = ROOT / "wirewatch" / "sample"


def source_paragraphs() -> list[list[str]]:
    """Body paragraphs (lines of 8+ words) of each dev article, else of each bundled sample article."""
    files = sorted(DEV.glob("*.txt")) or sorted(SAMPLE.glob("*.txt"))
    if not files:
        sys.exit("no dev articles or sample corpus found to build a benchmark corpus from")
    out: list[list[str]] = []
    for f in files:
        blocks = [b for b in re.split(r"\n\s*\n", f.read_text("utf-8")) if b.strip()]
        body = blocks[2:] if len(blocks) > 2 else blocks[-1:]  # drop title and byline
        out.append([ln.strip() for b in body for ln in b.splitlines() if len(ln.split()) >= 8])
    return out


def source_lines() -> list[str]:
    return [ln for paras in source_paragraphs() for ln in paras]


def typical_paragraphs() -> int:
    """Paragraphs per source article on average (10.5 for the dev set, ~380 words): the corpus
    articles are as long as the real ones, so per-article costs weigh as they do in real use."""
    per = [len(p) for p in source_paragraphs()]
    return max(1, round(sum(per) / len(per)))


def make_corpus(n: int, *, per_article: int | None = None, seed: int = 1) -> list[dict]:
    """n articles of `per_article` lines each (default: `typical_paragraphs()`), every line used
    once per round (no near-copies)."""
    per_article = per_article or typical_paragraphs()
    rng = random.Random(seed)
    pool = source_lines()
    rows: list[dict] = []
    r = 0
    while len(rows) < n:
        r += 1
        order = pool[:]
        rng.shuffle(order)
        for i in range(0, len(order) - per_article + 1, per_article):
            if len(rows) == n:
                break
            k = len(rows)
            rows.append({"title": f"Bench article {k}", "text": "\n".join(order[i:i + per_article]),
                         "published": f"2021-{1 + k % 12:02d}-{1 + k % 28:02d}", "source": f"bench-{r}"})
    return rows


def write_corpus(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and all its descendants, waited-for
    children included (from /proc)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def _at(samples: list[tuple[float, float]], when: float) -> float:
    """The sampled CPU total at wall time `when`, interpolated between the two nearest samples."""
    before = max((s for s in samples if s[0] <= when), default=samples[0])
    after = min((s for s in samples if s[0] >= when), default=samples[-1])
    if after[0] == before[0]:
        return before[1]
    return before[1] + (after[1] - before[1]) * (when - before[0]) / (after[0] - before[0])


WARM = 32  # articles per worker stored before the steady window opens


def run_ingest(corpus: Path, workers: int, tmp: Path, extra: tuple[str, ...] = ()) -> dict:
    db = tmp / f"bench-w{workers}-{time.monotonic_ns()}.db"
    cmd = [sys.executable, "-m", "wirewatch", "ingest", str(corpus), "--db", str(db), "--workers", str(workers),
           "--no-progress", "--json", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    cpu: list[tuple[float, float]] = []  # (wall time, CPU seconds of the process tree)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            cpu.append((time.time(), tree_cpu(proc.pid)))
            time.sleep(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.monotonic() - start
    stop.set()
    t.join()
    if proc.returncode != 0:
        sys.exit(f"ingest failed: {err.decode()[-2000:]}")
    summary = json.loads(out.decode().strip().splitlines()[-1])
    with sqlite3.connect(db) as c:
        stamps = [datetime.fromisoformat(r[0]) for r in c.execute("SELECT ingested_at FROM articles ORDER BY seq")]
    # Steady state: from the moment WARM articles per worker are stored to the end, so model loading
    # and the pipeline filling up (the workers start together, within a second) are left out.
    k = max(1, min(WARM * max(workers, 1), len(stamps) // 3))  # a small corpus: skip its first third
    span = (stamps[-1] - stamps[k - 1]).total_seconds() if k >= 1 else 0.0
    steady = (len(stamps) - k) / span if span > 0 else 0.0
    # The same window in CPU time of the whole process tree (writer + workers): articles per CPU
    # second, which other tenants of a shared VM disturb far less than wall time.
    used = _at(cpu, stamps[-1].timestamp()) - _at(cpu, stamps[k - 1].timestamp()) if cpu else 0.0
    return {"stored": summary["stored"], "duplicates": summary["duplicates"], "errors": summary["errors"],
            "e2e": summary["stored"] / wall, "steady": steady, "peak_mb": peak / 2**20,
            "per_cpu_s": (len(stamps) - k) / used if used > 0 else 0.0}


def bare_steady(nlp: object, texts: list[str], n_process: int, batch_size: int) -> float:
    """Bare `nlp.pipe(n_process=N)` in articles/s, counted like ingest's steady rate: from when the
    first round of batches (one per process) is done to the last article, so starting the
    processes is left out."""
    stamps = [time.monotonic() for _ in nlp.pipe(texts, batch_size=batch_size, n_process=n_process)]  # type: ignore[attr-defined]
    k = max(1, min(batch_size * n_process, len(stamps) // 3))  # a small corpus: skip its first third
    span = stamps[-1] - stamps[k - 1]
    return (len(stamps) - k) / span if span > 0 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=300, help="articles in the corpus")
    ap.add_argument("--paragraphs", type=int, default=None,
                    help="paragraphs per article (default: the dev articles' mean, ~380 words; 4 for short ones)")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated")
    ap.add_argument("--memory", default="", help="also compare peak memory of these corpus sizes, e.g. 1000,10000")
    ap.add_argument("--stories-cost", action="store_true",
                    help="also: ingest -w1 with and without story clustering, alternating, 2 rounds each")
    ap.add_argument("--skip-bare", action="store_true", help="skip the in-process bare/extraction rates")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the ingest runs; print the median per-core ratio")
    args = ap.parse_args()

    import spacy

    from wirewatch.nlp.pipeline import Extractor
    from wirewatch.read.files import article_from_mapping

    rows = make_corpus(args.n, per_article=args.paragraphs)
    words = sum(len(r["text"].split()) for r in rows) / len(rows)
    print(f"corpus: {len(rows)} articles, {words:.0f} words on average, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="wirewatch-bench-") as d:
        tmp = Path(d)
        corpus = write_corpus(rows, tmp / "corpus.jsonl")
        if args.stories_cost:
            # Alternating runs (ABAB) so a change in the machine's load hits both sides alike.
            rates: dict[str, list[float]] = {"with": [], "without": []}
            for _ in range(2):
                for label, extra in (("with", ()), ("without", ("--no-stories",))):
                    r = run_ingest(corpus, 1, tmp, extra)
                    rates[label].append(r["steady"])
                    print(f"ingest -w1 {label + ' stories':<17}{r['steady']:8.1f} articles/s steady "
                          f"({r['e2e']:.1f} e2e)")
            w, wo = sum(rates["with"]) / 2, sum(rates["without"]) / 2
            print(f"story clustering: ingest with stories runs at {w / wo:.2f} x ingest without "
                  f"({1 - w / wo:+.1%} cost; issue 5 budget: at most 10%)")
        workers = [int(x) for x in args.workers.split(",") if x.strip()]
        if workers and args.skip_bare:
            sys.exit("--workers needs the bare rate: drop --skip-bare or pass --workers ''")
        if not args.skip_bare:
            arts = [article_from_mapping(r, f"row{i}") for i, r in enumerate(rows)]
            texts = [a.text for a in arts]
            ex = Extractor()
            # Stock spaCy, as a user would run it: not wirewatch's pipeline (which memoises the lemmatizer).
            nlp = spacy.load(ex.settings.model)
            list(nlp.pipe(texts[:8]))  # warm up

            bare_cpu: list[float] = []  # bare nlp.pipe's articles per CPU second, every run

            def bare_rate() -> float:
                t, c = time.monotonic(), time.process_time()
                for _ in nlp.pipe(texts, batch_size=ex.settings.batch_size):
                    pass
                bare_cpu.append(len(texts) / (time.process_time() - c))
                return len(texts) / (time.monotonic() - t)

            bare = bare_rate()
            # spaCy's own N-process rate, steady like ingest's: what N cores give bare spaCy here
            # (two processes on this VM's two vCPUs do not run twice as fast as one).
            bare_n = {n: bare_steady(nlp, texts, n, ex.settings.batch_size) for n in sorted(set(workers) - {0, 1})}
            t = time.monotonic()
            for _ in ex.extract_many(arts):
                pass
            extraction = len(arts) / (time.monotonic() - t)
            print(f"{'bare nlp.pipe':<16}{bare:8.1f} articles/s   {bare_cpu[0]:.1f} per CPU second")
            for n, rate in bare_n.items():
                print(f"{'bare nlp.pipe n' + str(n):<16}{rate:8.1f} articles/s steady   per core {rate / n / bare:5.2f} "
                      f"x one process")
            print(f"{'extraction':<16}{extraction:8.1f} articles/s   {extraction / bare:5.2f} x bare")
        per_core: dict[int, list[float]] = {w: [] for w in workers}
        per_cpu: dict[int, list[float]] = {w: [] for w in workers}
        for rnd in range(args.rounds if workers else 0):
            for w in workers:
                # bare nlp.pipe right before and after each ingest run, so the ratio compares runs made
                # under the same load (the machine is shared)
                before = bare if rnd == 0 and w == workers[0] else bare_rate()
                r = run_ingest(corpus, w, tmp)
                ref = (before + bare_rate()) / 2
                ref_cpu = (bare_cpu[-2] + bare_cpu[-1]) / 2
                cores = max(w, 1)
                per_core[w].append(r["steady"] / cores / ref)
                per_cpu[w].append(r["per_cpu_s"] / ref_cpu)
                same = f"   {r['steady'] / bare_n[w]:5.2f} x bare n{w}" if w in bare_n else ""
                print(f"{'ingest -w' + str(w):<16}{r['steady']:8.1f} articles/s steady ({r['e2e']:.1f} e2e)   "
                      f"bare around it {ref:5.1f}   per core {per_core[w][-1]:5.2f}{same}   "
                      f"per CPU second {r['per_cpu_s']:5.1f} = {per_cpu[w][-1]:4.2f} x bare   "
                      f"{r['steady'] / extraction / cores:5.2f} x extraction per core   "
                      f"peak RSS {r['peak_mb']:.0f} MB   (stored {r['stored']}, dup {r['duplicates']}, "
                      f"errors {r['errors']})")
        if args.rounds > 1:
            for w, got in per_core.items():
                print(f"ingest -w{w} per core over {len(got)} rounds: median {statistics.median(got):.2f} "
                      f"({', '.join(f'{x:.2f}' for x in got)}); in CPU time: median "
                      f"{statistics.median(per_cpu[w]):.2f} ({', '.join(f'{x:.2f}' for x in per_cpu[w])}); "
                      "target >= 0.75")
        if args.memory:
            sizes = [int(x) for x in args.memory.split(",")]
            peaks = []
            for n in sizes:
                c = write_corpus(make_corpus(n, per_article=args.paragraphs, seed=2), tmp / f"mem-{n}.jsonl")
                r = run_ingest(c, 1, tmp)
                peaks.append(r["peak_mb"])
                print(f"memory: {n:>6} articles  peak RSS {r['peak_mb']:.0f} MB  ({r['steady']:.1f} articles/s)")
            print(f"memory growth {sizes[0]} -> {sizes[-1]} articles: {peaks[-1] / peaks[0] - 1:+.1%} (target within ±10%)")


if __name__ == "__main__":
    main()
