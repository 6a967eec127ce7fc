"""API latency benchmark: p50/p95 of the main list and search queries under concurrent clients.

    python bench/api.py [--events 100000] [--clients 8] [--seconds 20] [--db bench/.cache/api-100k.db]

Builds (once, cached) a SQLite store of generated articles with at least
`--events` events, starts `wirewatch serve` on 127.0.0.1 in its own process,
and has `--clients` threads issue the queries below round-robin for at most
`--seconds` (and at most 2,000 requests each), then prints one line per query:
p50, p95, max and requests. Bounded: it stops by itself and kills the server.
The target is p95 under 100 ms on SQLite for the event/article lists and searches.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = {
    "events (latest page)": "/api/events?limit=50",
    "events type=ASSAULT": "/api/events?type=ASSAULT&limit=50",
    "events country=SDN": "/api/events?country=SDN&limit=50",
    "events actor~army": "/api/events?actor=army&limit=50",
    "events since/until": "/api/events?since=2021-03-01&until=2021-03-31&limit=50",
    "events near Khartoum 200km": "/api/events?near=15.55,32.53&radius_km=200&limit=50",
    "events q=ceasefire": "/api/events?q=ceasefire&limit=50",
    "articles q=talks border": "/api/articles?q=talks%20border&limit=50",
    "article detail": None,  # filled in with a real id
    "event detail": None,
}

TYPES = ["ASSAULT", "CONSULT", "PROTEST", "SANCTION", "THREATEN", "AID", "ACCUSE", "MOBILIZE"]
ACTORS = [("Sudanese army", "SDN", "MIL"), ("Rapid Support Forces", "SDN", "REB"), ("NATO", "NATO", "IGO"),
          ("Russian government", "RUS", "GOV"), ("Ukrainian army", "UKR", "MIL"), ("French police", "FRA", "POL"),
          ("United Nations", "UN", "IGO"), ("Iranian government", "IRN", "GOV"), ("Protesters", "USA", "CVL")]
PLACES = [("Khartoum", "SDN", 15.55, 32.53), ("Kyiv", "UKR", 50.45, 30.52), ("Paris", "FRA", 48.85, 2.35),
          ("Brussels", "BEL", 50.85, 4.35), ("Tehran", "IRN", 35.69, 51.39), ("Omdurman", "SDN", 15.64, 32.48),
          ("Geneva", "CHE", 46.2, 6.15), ("Washington", "USA", 38.9, -77.04)]
WORDS = ("talks border ceasefire troops strike protest sanctions aid convoy election parliament minister "
         "rebels army police market drought refugees pipeline summit treaty").split()


def make_record(i: int, rng: random.Random):  # noqa: ANN201 - an ArticleRecord
    from wirewatch.models import Article, ArticleRecord, Entity, Event, Mention, Place, Span
    from wirewatch.read.files import text_id

    acts = rng.sample(ACTORS, 3)
    pl = rng.choice(PLACES)
    day = f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    sents = []
    for k in range(4):
        a, b = acts[k % 3], acts[(k + 1) % 3]
        sents.append(f"{a[0]} {rng.choice(['attacked', 'met', 'sanctioned', 'accused'])} {b[0]} in {pl[0]} "
                     f"amid {' '.join(rng.sample(WORDS, 5))} (item {i}.{k}).")
    text = " ".join(sents)
    art = Article(text=text, title=f"{acts[0][0]} and {acts[1][0]}: {' '.join(rng.sample(WORDS, 3))}",
                  source=rng.choice(["Wire One", "Wire Two", "Wire Three"]), url=f"https://example.org/{i}",
                  published=day)
    art.id = text_id(text)

    def mention(name: str) -> list[Mention]:
        j = text.find(name)
        return [Mention(j, j + len(name), name)]

    ents = [Entity(f"e{j + 1}", a[0], "ORG", a[1], a[2], mentions=mention(a[0])) for j, a in enumerate(acts)]
    place = Place("p1", pl[0], country=pl[1], lat=pl[2], lon=pl[3], feature="city", mentions=mention(pl[0]))
    events, pos = [], 0
    for k, s in enumerate(sents):
        start = text.find(s, pos)
        pos = start + len(s)
        trig = s.split()[2] if s.split()[1] == "army" or s.split()[1] == "Support" else s.split()[1]
        t0 = text.find(trig, start)
        events.append(Event(f"v{k + 1}", rng.choice(TYPES), None, [f"e{k % 3 + 1}"], [f"e{(k + 1) % 3 + 1}"], "p1",
                            None, day, "occurred", Mention(t0, t0 + len(trig), trig), Span(start, pos), 0.8))
    return ArticleRecord(article=art, entities=ents, places=[place], events=events)


def build(db: Path, n_events: int) -> None:
    from wirewatch.store import open_store

    rng = random.Random(7)
    with open_store(str(db)) as st:
        have = st.stats().events
        i = st.stats().articles
        t = time.perf_counter()
        while have < n_events:
            rec = make_record(i, rng)
            if st.put(rec):
                have += len(rec.events)
            i += 1
            if i % 5000 == 0:
                print(f"  {i:,} articles, {have:,} events ({time.perf_counter() - t:.0f} s)", file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    ap.add_argument("--db", type=Path, default=ROOT / "bench" / ".cache" / "api-100k.db")
    args = ap.parse_args(argv)
    args.db.parent.mkdir(parents=True, exist_ok=True)
    print(f"store {args.db}: building to {args.events:,} events ...", file=sys.stderr)
    build(args.db, args.events)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "wirewatch", "serve", "--db", str(args.db), "--port", str(port),
                               "--workers", str(args.workers)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/api/events?limit=1", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        import json

        first = json.loads(urllib.request.urlopen(base + "/api/events?limit=1").read())["items"][0]
        queries = dict(QUERIES)
        queries["article detail"] = f"/api/articles/{first['article_id']}"
        queries["event detail"] = f"/api/events/{first['article_id']}/{first['event_id']}"
        times: dict[str, list[float]] = defaultdict(list)
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds
        names = list(queries)

        def client(k: int) -> None:
            for n in range(2000):
                if time.monotonic() > stop_at:
                    return
                name = names[(k + n) % len(names)]
                t = time.perf_counter()
                try:
                    with urllib.request.urlopen(base + queries[name], timeout=30) as r:
                        r.read()
                except OSError as e:
                    with lock:
                        errors.append(f"{name}: {e}")
                    continue
                with lock:
                    times[name].append((time.perf_counter() - t) * 1000)

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    print(f"{args.clients} concurrent clients, {args.workers} server process(es), SQLite, {args.events:,}+ events")
    print(f"{'query':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'n':>6}")
    for name in names:
        xs = sorted(times[name])
        if not xs:
            print(f"{name:32} {'-':>8} {'-':>8} {'-':>8} {0:>6}")
            continue
        p95 = xs[min(len(xs) - 1, int(0.95 * len(xs)))]
        print(f"{name:32} {statistics.median(xs):8.1f} {p95:8.1f} {xs[-1]:8.1f} {len(xs):6}")
    if errors:
        print(f"{len(errors)} errors, first: {errors[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
