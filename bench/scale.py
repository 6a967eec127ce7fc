"""Scale-out: `wirewatch batch` on 1 and 2 local Dask workers vs the single-machine ingest, same corpus, same
run; plus the PostgreSQL write path alone and the driver's read + de-duplicate rate, so the bottleneck of an
N-worker cluster can be worked out on paper (docs/cluster.md, "Sizing").

    eval "$(bash .ci/postgres.sh)"         # a throwaway PostgreSQL (or pass --pg URL)
    python bench/scale.py                  # 160 articles, 3 rounds of each configuration
    python bench/scale.py -n 400 --rounds 3 --writes 4000 --json

Figures (articles/s; every run stores into a fresh PostgreSQL schema, writes included):
  ingest -w0       the single-machine path in this process, model already loaded
  ingest -w2       the single-machine path with 2 extraction processes (model loading included)
  batch Nw         `run_batch` on a LocalCluster of N single-threaded worker processes, models preloaded
                   by the worker plugin (not timed): read + dedup on the driver, extraction + bulk writes on
                   the workers
  efficiency       rate(2 workers) / (2 x rate(1 worker)); the issue's target is >= 0.85
  CPU ms/article   CPU time per article of the workers, the driver (reading, dedup, scheduler) and PostgreSQL
                   in the 2-worker runs; workers / total is the efficiency a quiet 2-core machine would give
                   (rate(1) = 1/workers with the spare core absorbing the rest, rate(2) = 2/total), a figure
                   that other jobs on a shared machine cannot distort
  write-only       records/s of the store's write path with no extraction: `put` per article, `put_many` per
                   partition, and 2 concurrent `put_many` writers (the workers' pattern)
  driver           read + MinHash de-duplication of the corpus alone (the part that does not scale out)
The best of the rounds is the figure (the machine is shared; noise only ever slows a run down); every
round is printed too. Rounds alternate between configurations so a noisy minute hits all of them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from ingest_speed import make_corpus, write_corpus  # noqa: E402  (bench/ingest_speed.py: the same seeded corpus)

from wirewatch.models import ArticleRecord  # noqa: E402


def fresh_schema(base: str) -> AbstractContextManager[str]:
    from wirewatch.store.postgres import scratch_schema

    return scratch_schema(base, "bench_")


def ingest_rate(corpus: Path, pg: str, workers: int, extractor: Any) -> float:
    from wirewatch.ingest import ingest

    with fresh_schema(pg) as url:
        stats = ingest([str(corpus)], db=url, workers=workers, extractor=extractor if workers == 0 else None)
    return stats.rate


def _cpu_self() -> float:
    t = os.times()
    return t.user + t.system


_POSTMASTER: list[int] = []


def _postmaster(pg: str) -> int | None:
    """The pid of the server behind `pg` if it runs on this machine (its data directory is readable)."""
    import psycopg

    try:
        with psycopg.connect(pg) as conn:
            data = conn.execute("SHOW data_directory").fetchone()[0]
        return int((Path(data) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError, psycopg.Error):
        return None


def _cpu_postgres() -> float:
    """CPU seconds of our PostgreSQL server and its backends (from /proc; 0 if it is not on this machine)."""
    if not _POSTMASTER:
        return 0.0
    total = 0
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # fields[1] is the parent pid; 11, 12 utime and stime
        if int(d.name) == _POSTMASTER[0] or int(fields[1]) == _POSTMASTER[0]:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def batch_rate(corpus: Path, pg: str, client: Any, partition_size: int) -> tuple[float, dict[str, float],
                                                                             list[ArticleRecord]]:
    """Articles/s, and CPU seconds per article spent by the workers, the driver (+ scheduler) and PostgreSQL."""
    from wirewatch.batch import run_batch
    from wirewatch.store import open_store

    with fresh_schema(pg) as url:
        w0, d0, p0 = sum(client.run(_cpu_self).values()), _cpu_self(), _cpu_postgres()
        stats = run_batch([str(corpus)], client=client, db=url, partition_size=partition_size, stories=False)
        w1, d1, p1 = sum(client.run(_cpu_self).values()), _cpu_self(), _cpu_postgres()
        with open_store(url) as st:
            records = list(st.iter_records())
    if stats.failed:
        raise SystemExit(f"batch partitions failed: {stats.failed}")
    n = max(1, stats.ingest.stored)
    cpu = {"workers": (w1 - w0) / n, "driver": (d1 - d0) / n, "postgres": (p1 - p0) / n}
    return stats.ingest.rate, cpu, records


@contextmanager
def cluster(n: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    from wirewatch.batch import ModelPreload
    from wirewatch.settings import load_settings

    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as lc, Client(lc) as client:
        client.register_plugin(ModelPreload(load_settings()))  # model loaded on every worker before timing
        yield client


# -- write-only ------------------------------------------------------------------------------------

def copies(records: list[ArticleRecord], n: int) -> list[ArticleRecord]:
    """n records cycling through `records`, each with a fresh article id (so every write is new)."""
    out = []
    for i in range(n):
        r = records[i % len(records)]
        aid = hashlib.sha256(f"{i}:{r.article.id}".encode()).hexdigest()
        out.append(replace(r, article=replace(r.article, id=aid)))
    return out


def _writer(url: str, records: list[ArticleRecord], chunk: int) -> None:
    from wirewatch.store import open_store
    from wirewatch.store.bulk import Pending, put_many

    with open_store(url, migrate=False) as st:
        if chunk <= 1:
            for r in records:
                st.put(r, source_id=r.article.id, signature=b"\0" * 512)
        else:
            for i in range(0, len(records), chunk):
                put_many(st, [Pending(r, r.article.id, None, b"\0" * 512) for r in records[i:i + chunk]])


def write_rate(pg: str, records: list[ArticleRecord], *, chunk: int, writers: int = 1) -> float:
    from wirewatch.store import open_store

    with fresh_schema(pg) as url:
        open_store(url).close()  # migrate first
        started = time.perf_counter()
        if writers == 1:
            _writer(url, records, chunk)
        else:
            ctx = mp.get_context("spawn")
            procs = [ctx.Process(target=_writer, args=(url, records[i::writers], chunk)) for i in range(writers)]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
        elapsed = time.perf_counter() - started
    return len(records) / elapsed


def driver_rate(corpus: Path) -> float:
    """Read + de-duplicate only: what the driver does per article, with nothing sent anywhere."""
    from wirewatch.dedup import Deduper
    from wirewatch.read.sources import Sourced, iter_sources
    from wirewatch.store import open_store

    with tempfile.TemporaryDirectory() as tmp, open_store(str(Path(tmp) / "d.db")) as st:
        dd = Deduper()
        started = time.perf_counter()
        n = 0
        for item in iter_sources([str(corpus)]):
            if isinstance(item, Sourced):
                v = dd.classify(item.article.id, item.article.text, st)
                if v.minhash is not None:
                    dd.admit(item.article.id, v.minhash)
                    dd.signature_bytes(v.minhash)
                n += 1
        return n / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=160, help="articles in the corpus")
    ap.add_argument("--per-article", type=int, default=8, help="dev-article lines per generated article")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each configuration (best is reported)")
    ap.add_argument("--partition-size", type=int, default=16, help="articles per Dask task")
    ap.add_argument("--writes", type=int, default=2000, help="records written by the write-only benchmark")
    ap.add_argument("--pg", default=os.environ.get("WIREWATCH_TEST_PG"), help="PostgreSQL URL [WIREWATCH_TEST_PG]")
    ap.add_argument("--no-ingest-w2", action="store_true", help="skip the 2-process single-machine ingest")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object too")
    args = ap.parse_args()
    if not args.pg:
        sys.exit('needs PostgreSQL: eval "$(bash .ci/postgres.sh)" or --pg postgresql://...')

    from wirewatch.nlp.pipeline import Extractor

    if (pm := _postmaster(args.pg)) is not None:
        _POSTMASTER.append(pm)
    rows = make_corpus(args.n, per_article=args.per_article)
    words = sum(len(r["text"].split()) for r in rows) / len(rows)
    tmp = Path(tempfile.mkdtemp(prefix="wirewatch-scale-"))
    corpus = write_corpus(rows, tmp / "corpus.jsonl")
    print(f"corpus: {len(rows)} articles, {words:.0f} words on average; {os.cpu_count()} cores; "
          f"partitions of {args.partition_size}")

    runs: dict[str, list[float]] = {"ingest -w0": [], "batch 1w": [], "batch 2w": []}
    ex = Extractor()
    _ = ex.nlp
    records: list[ArticleRecord] = []
    cpus: list[dict[str, float]] = []
    # The clusters stay up across rounds (start-up is not what is measured); rounds alternate configs.
    with cluster(1) as c1, cluster(2) as c2:
        for rnd in range(args.rounds):
            runs["ingest -w0"].append(ingest_rate(corpus, args.pg, 0, ex))
            r1, _, records = batch_rate(corpus, args.pg, c1, args.partition_size)
            runs["batch 1w"].append(r1)
            r2, cpu, _ = batch_rate(corpus, args.pg, c2, args.partition_size)
            runs["batch 2w"].append(r2)
            cpus.append(cpu)
            print(f"round {rnd + 1}: " + ", ".join(f"{k} {v[-1]:.2f}/s" for k, v in runs.items()), flush=True)
    if not args.no_ingest_w2:
        runs["ingest -w2"] = [ingest_rate(corpus, args.pg, 2, None)]
    best = {k: max(v) for k, v in runs.items()}
    eff = best["batch 2w"] / (2 * best["batch 1w"])
    eff_rounds = [b / (2 * a) for a, b in zip(runs["batch 1w"], runs["batch 2w"], strict=True)]

    sample = records
    recs = copies(sample, args.writes)
    writes = {
        "put (1 txn/article)": write_rate(args.pg, recs, chunk=1),
        "put_many 32": write_rate(args.pg, recs, chunk=32),
        "put_many 32 x2 writers": write_rate(args.pg, recs, chunk=32, writers=2),
    }
    drv = driver_rate(corpus)
    rec_kb = sum(len(json.dumps(r.to_dict())) for r in sample) / len(sample) / 1024

    print()
    print(f"{'configuration':<28}{'articles/s':>12}{'vs ingest -w0':>15}   rounds")
    for k, v in runs.items():
        print(f"{k:<28}{best[k]:>12.2f}{best[k] / best['ingest -w0']:>15.2f}   "
              + " ".join(f"{x:.2f}" for x in v))
    print(f"{'scaling efficiency (2w)':<28}{eff:>12.2f}{'':>15}   "
          + " ".join(f"{x:.2f}" for x in eff_rounds) + "   (target >= 0.85)")
    # Noise-free view: CPU seconds per article in the 2-worker runs (median of rounds). On a quiet machine
    # with one core per worker, rate(1) = 1/workers (driver and PostgreSQL use the spare core) and
    # rate(2) = 2/(workers + driver + postgres) on 2 cores, so efficiency = workers / total.
    med = {k: sorted(c[k] for c in cpus)[len(cpus) // 2] for k in cpus[0]}
    total_cpu = sum(med.values())
    eff_cpu = med["workers"] / total_cpu
    print(f"{'CPU ms/article (2w runs)':<28}" + " · ".join(f"{k} {v * 1000:.1f}" for k, v in med.items())
          + f"   -> quiet-machine efficiency on 2 cores {eff_cpu:.2f}")
    print()
    print(f"{'write-only (PostgreSQL)':<28}{'records/s':>12}")
    for k, v in writes.items():
        print(f"{k:<28}{v:>12.0f}")
    print(f"{'driver read + dedup':<28}{drv:>12.0f}   articles/s")
    print(f"record size: {rec_kb:.1f} KiB as JSON")
    per_worker = best["batch 1w"]
    w = writes["put_many 32 x2 writers"]
    print()
    print("on paper (docs/cluster.md): cluster rate ~= min(N x per-worker x e, PostgreSQL writes, driver)")
    for n in (2, 4, 8, 16, 32):
        cpu = n * per_worker * min(1.0, eff)
        bound = min(cpu, w, drv)
        which = "workers" if bound == cpu else ("PostgreSQL" if bound == w else "driver")
        print(f"  N={n:<3} workers {cpu:7.1f}/s · PostgreSQL {w:7.0f}/s · driver {drv:7.0f}/s -> "
              f"{bound:7.1f}/s ({which}-bound)")
    if args.json:
        print(json.dumps({"corpus": len(rows), "words": round(words), "runs": runs, "best": best,
                          "efficiency": round(eff, 3), "cpu_per_article": med,
                          "efficiency_cpu": round(eff_cpu, 3), "writes": writes, "driver": drv,
                          "record_kib": round(rec_kb, 2)}))


if __name__ == "__main__":
    main()
