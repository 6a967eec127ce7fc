"""`wirewatch batch`: the ingest path, with extraction and writes spread over a Dask cluster.

    driver:  read sources (+ Parquet) -> de-duplicate in input order: the very admission
             `wirewatch ingest` runs (ingest._Ingest) -> partitions of new articles
               --client.submit(retries=)-->
    worker:  ingest.extract_batch(Extractor) (model loaded once per worker process, and the driver's
             actor knowledge base installed, both by worker plugins)
             -> store.bulk.put_many straight into the store, or one part file under --out
    driver:  duplicate links once their original is stored, errors, progress; then stories + fusion,
             then watches over the new articles (in seq order, as ingest's hooks would have)

Why reading and de-duplication stay on the driver: which copy of a story is the
"first" (analysed) one depends on input order, so only a sequential pass gives
the same store as `wirewatch ingest`. It runs at thousands of articles/s while
one worker extracts ~13/s, so it is not the bottleneck below a few hundred
workers (docs/cluster.md has the sizing model). Workers need no shared
filesystem: articles travel inside the tasks.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import ConfigError, StoreError, WirewatchError
from .ingest import IngestStats, _Ingest, extract_batch, ready
from .models import Article, ArticleRecord
from .read.files import article_from_mapping
from .read.sources import SUPPORTED, Item, ReadFailure, Sourced, iter_files, iter_source, read_path
from .settings import Settings, load_settings
from .store.base import Duplicate, Store, open_store
from .store.bulk import Pending, put_many

try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # the dask extra is optional; `load` works without it
    WorkerPlugin = object  # type: ignore[misc,assignment]

if TYPE_CHECKING:
    from distributed import Client, Future

    from .nlp.pipeline import Extractor

log = logging.getLogger(__name__)

PARQUET_SUFFIXES = (".parquet", ".pq")
# Articles per Dask task: each task pays the scheduler's round trip and the records' transfer,
# so partitions are larger than a local worker's task (ingest.CHUNK).
PARTITION = 32
MANIFEST = "_manifest.db"  # the driver's state under --out: stubs for dedup, duplicate links, errors
Format = Literal["jsonl", "parquet"]
# (key, error or None, stage of the error) for each article of a partition
PartResult = list[tuple[int, str | None, str]]


class BatchError(WirewatchError):
    """The batch could not start or go on (no cluster, bad --cluster, unreadable --out)."""


# -- inputs ---------------------------------------------------------------------------------------

def read_parquet(path: Path, *, max_bytes: int = 5_000_000) -> Iterator[Item]:
    """Rows of a Parquet file with columns text and optional title, published, url, source, author."""
    import pyarrow.parquet as pq

    base = str(path.resolve())
    try:
        pf = pq.ParquetFile(path)
    except (OSError, ValueError) as e:  # pyarrow raises ArrowInvalid (a ValueError) for a non-Parquet file
        yield ReadFailure(base, f"cannot read Parquet ({e})")
        return
    if "text" not in pf.schema_arrow.names:
        yield ReadFailure(base, f"no 'text' column (columns: {', '.join(pf.schema_arrow.names)})")
        return
    n = 0
    try:
        for rb in pf.iter_batches(batch_size=1024):
            for row in rb.to_pylist():
                n += 1
                sid = f"{base}#R{n}"
                text = row.get("text")
                if isinstance(text, str) and len(text.encode("utf-8", "replace")) > max_bytes:
                    yield ReadFailure(sid, f"text is over the {max_bytes:,}-byte limit")
                    continue
                obj = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()
                       if v is not None}
                try:
                    yield Sourced(article_from_mapping(obj, sid), sid)
                except WirewatchError as e:
                    yield ReadFailure(sid, getattr(e, "problem", str(e)))
    except (OSError, ValueError) as e:
        yield ReadFailure(base, f"damaged Parquet file after {n} row(s) ({e})")


def _is_parquet(p: Path) -> bool:
    return p.name.lower().endswith(PARQUET_SUFFIXES)


def iter_inputs(specs: Iterable[str], *, settings: Settings, include: Sequence[str] = (),
                exclude: Sequence[str] = (), seen: Callable[[str], bool] | None = None) -> Iterator[Item]:
    """What `wirewatch ingest` reads (same order, same source ids), plus Parquet files and folders of them."""
    for spec in specs:
        p = Path(spec)
        if p.is_file() and _is_parquet(p):
            yield from read_parquet(p, max_bytes=settings.max_bytes)
        elif p.is_dir():
            # The same sorted walk as ingest; without --include, its suffix filter widened to Parquet.
            for f in iter_files(p, include=include or ("*",), exclude=exclude):
                low = f.name.lower()
                if _is_parquet(f):
                    yield from read_parquet(f, max_bytes=settings.max_bytes)
                elif include or low.endswith(SUPPORTED):
                    yield from read_path(f, settings=settings)
        else:
            yield from iter_source(spec, settings=settings, include=include, exclude=exclude, seen=seen)


def estimate_total(specs: Iterable[str], *, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> int | None:
    """Articles the inputs hold, from a cheap pass (line counts, Parquet metadata); None if unknown (WARC, URLs)."""
    import gzip

    total = 0
    files: list[Path] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            files += list(iter_files(p, include=include or ("*",), exclude=exclude))
        elif p.is_file():
            files.append(p)
        else:
            return None
    for f in files:
        low = f.name.lower()
        if _is_parquet(f):
            import pyarrow.parquet as pq

            try:
                total += pq.ParquetFile(f).metadata.num_rows
            except (OSError, ValueError):
                total += 1  # counted as its read failure
        elif low.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
            try:
                with (gzip.open(f, "rb") if low.endswith(".gz") else open(f, "rb")) as fh:
                    total += sum(1 for line in fh if line.strip())
            except (OSError, EOFError):
                total += 1
        elif low.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")):
            return None
        elif include or low.endswith(SUPPORTED):
            total += 1
    return total


# -- on the workers ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Job:
    """One admitted article, with what the store keeps beside it."""

    key: int
    article: Article
    source_id: str
    fetched_at: str | None
    signature: bytes | None


@dataclass(frozen=True, slots=True)
class Partition:
    index: int
    jobs: tuple[Job, ...]


@dataclass(frozen=True, slots=True)
class Target:
    """Where workers write: a store URL, or a folder of part files."""

    db: str | None = None
    out: str | None = None
    format: Format = "jsonl"
    run_id: str = ""


# Per worker process, keyed by settings / URL: the model and the connection outlive tasks.
_EXTRACTORS: dict[Settings, Extractor] = {}
_STORES: dict[str, Store] = {}


def worker_extractor(settings: Settings) -> Extractor:
    """This process's Extractor for these settings, loading the model on first use only."""
    ex = _EXTRACTORS.get(settings)
    if ex is None:
        from .nlp.pipeline import Extractor

        ex = Extractor(settings)
        _ = ex.nlp
        _EXTRACTORS[settings] = ex
    return ex


def _worker_store(url: str) -> Store:
    st = _STORES.get(url)
    if st is None:
        for other in list(_STORES):  # one connection per worker: a long-lived worker serves job after job
            _drop_store(other)
        st = _STORES[url] = open_store(url, migrate=False)  # the driver migrated it before submitting
    return st


def _drop_store(url: str) -> None:
    st = _STORES.pop(url, None)
    if st is not None:
        try:
            st.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
            pass


class ModelPreload(WorkerPlugin):
    """Dask worker plugin: load the spaCy model when a worker starts (or restarts), not in its first task."""

    name = "wirewatch-model"

    def __init__(self, settings: Settings):
        self.settings = settings

    def setup(self, worker: Any) -> None:
        worker_extractor(self.settings)

    def teardown(self, worker: Any) -> None:
        for url in list(_STORES):
            _drop_store(url)


class KnowledgePlugin(WorkerPlugin):
    """Dask worker plugin: install the driver's actor knowledge base in each worker, as `wirewatch ingest`
    installs it in its process (`hooks.analysis_hooks`), so untitled actors are coded the same way."""

    name = "wirewatch-kb"

    def __init__(self, kb: Any):
        self.kb = kb

    def setup(self, worker: Any) -> None:
        from . import kb as actor_kb

        actor_kb.set_default(self.kb)

    def teardown(self, worker: Any) -> None:
        from . import kb as actor_kb

        actor_kb.set_default(None)


def run_partition(part: Partition, settings: Settings, target: Target) -> PartResult:
    """A Dask task: extract a partition with the ingest's own `extract_batch`, then write it in one go.

    Raises only for failures of the whole partition (store unreachable): Dask retries those.
    """
    ex = worker_extractor(settings)
    jobs = {j.key: j for j in part.jobs}
    results = extract_batch(ex, [(j.key, j.article) for j in part.jobs])
    out: PartResult = []
    done: list[tuple[int, Pending]] = []
    for key, rec, err in results:
        if rec is None:
            out.append((key, err or "extraction failed", "extract"))
        else:
            j = jobs[key]
            done.append((key, Pending(rec, j.source_id, j.fetched_at, j.signature)))
    if target.out is not None:
        write_part(Path(target.out), f"{target.run_id}-{part.index:06d}", [p for _, p in done], target.format)
        return out + [(k, None, "") for k, _ in done]
    assert target.db is not None
    try:
        put_many(_worker_store(target.db), [p for _, p in done])
        return out + [(k, None, "") for k, _ in done]
    except StoreError as e:
        _drop_store(target.db)
        first = e
    # One bad record must not sink the partition (as in ingest): write one by one, unless nothing works.
    single: PartResult = []
    for k, p in done:
        try:
            put_many(_worker_store(target.db), [p])
            single.append((k, None, ""))
        except StoreError as e:
            _drop_store(target.db)
            single.append((k, str(e), "store"))
    if done and all(err for _, err, _ in single):
        raise first  # the store itself is failing: let Dask retry the partition
    return out + single


# -- part files (--out) and `wirewatch load` ------------------------------------------------------

def write_part(folder: Path, name: str, items: Sequence[Pending], fmt: Format) -> Path:
    """One partition's records as `part-<run>-<n>.<fmt>`, written atomically (a retry replaces it whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"part-{name}.{fmt}"
    tmp = folder / f".{final.name}.{uuid.uuid4().hex[:8]}.tmp"
    rows = [{"article_id": p.record.article.id, "source_id": p.source_id, "fetched_at": p.fetched_at,
             "signature": p.signature, "record": json.dumps(p.record.to_dict(), ensure_ascii=False)}
            for p in items]
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pa.schema([("article_id", pa.string()), ("source_id", pa.string()), ("fetched_at", pa.string()),
                            ("signature", pa.binary()), ("record", pa.string())])
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), tmp)
    else:
        with open(tmp, "w", encoding="utf-8") as fh:
            for r in rows:
                sig = r["signature"]
                r["signature"] = base64.b64encode(sig).decode("ascii") if sig is not None else None
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, final)
    return final


def read_part(path: Path) -> Iterator[Pending]:
    """The records of one part file, in the order they were written."""
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        rows: Iterable[dict[str, Any]] = pq.read_table(path).to_pylist()
    else:
        rows = (json.loads(line) for line in path.open(encoding="utf-8") if line.strip())
    for r in rows:
        sig = r.get("signature")
        if isinstance(sig, str):
            sig = base64.b64decode(sig)
        yield Pending(ArticleRecord.from_dict(json.loads(r["record"])), r.get("source_id"), r.get("fetched_at"),
                      sig)


@dataclass(slots=True)
class LoadStats:
    files: int = 0
    records: int = 0
    stored: int = 0  # new in the target store (a re-load stores nothing)
    duplicates: int = 0
    errors: int = 0
    alerts: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"files": self.files, "records": self.records, "stored": self.stored,
                "duplicates": self.duplicates, "errors": self.errors, "alerts": self.alerts,
                "seconds": round(self.seconds, 3)}


def load(folder: str | Path, db: str | Store, *, chunk: int = 200, stories: bool = True,
         watches: bool = True, progress: Callable[[LoadStats], None] | None = None) -> LoadStats:
    """Bulk-load a `wirewatch batch --out` folder into a store: records, then duplicate links and errors.

    Idempotent: records already stored and links already recorded are skipped, errors already logged
    are not counted twice.
    """
    folder = Path(folder)
    parts = sorted(p for p in folder.glob("part-*") if p.suffix in (".jsonl", ".parquet"))
    manifest_path = folder / MANIFEST
    if not parts and not manifest_path.exists():
        raise BatchError(f"{folder}: no part files - is this the --out folder of `wirewatch batch`?")
    stats = LoadStats()
    started = time.monotonic()
    store = db if isinstance(db, Store) else open_store(db)
    try:
        before = _max_seq(store)
        for part in parts:
            stats.files += 1
            buf: list[Pending] = []
            for p in read_part(part):
                buf.append(p)
                if len(buf) >= chunk:
                    stats.stored += len(put_many(store, buf))
                    stats.records += len(buf)
                    buf = []
            if buf:
                stats.stored += len(put_many(store, buf))
                stats.records += len(buf)
            if progress is not None:
                progress(stats)
        if manifest_path.exists():
            with open_store(str(manifest_path)) as manifest:
                for d in _all_duplicates(manifest):
                    stats.duplicates += bool(store.add_duplicate(d))
                for e in manifest.list_errors(limit=10**9):
                    if not store.execute("SELECT 1 FROM errors WHERE source_id = ? AND stage = ? AND reason = ?",
                                         (e.source_id, e.stage, e.reason)):
                        store.log_error(e.source_id, e.reason, stage=e.stage, article_id=e.article_id)
                        stats.errors += 1
        if stories:
            run_stories(store, after=before)
        if watches:
            stats.alerts = run_watches(store, after=before)
    finally:
        if not isinstance(db, Store):
            store.close()
    stats.seconds = time.monotonic() - started
    return stats


def _all_duplicates(store: Store) -> Iterator[Duplicate]:
    rows = store.execute("SELECT article_id, source_id, original_id, kind, similarity, title, url, seen_at "
                         "FROM duplicates ORDER BY seen_at, article_id, source_id")
    for r in rows:
        yield Duplicate(article_id=r[0], source_id=r[1], original_id=r[2], kind=r[3], similarity=float(r[4]),
                        title=r[5], url=r[6], seen_at=r[7])


def _max_seq(store: Store) -> int:
    return int(store.execute("SELECT max(seq) FROM articles")[0][0] or 0)


def run_stories(store: Store, *, after: int) -> int:
    """Place the articles stored after seq `after` into stories, then re-fuse the stories they touched.

    Uses the public entry points of `stories` (incremental catch-up in seq order) and `fusion`.
    Returns how many stories were touched.
    """
    from . import fusion, stories

    tracker = stories.attach(store)  # catch-up places every article not yet in a story, in seq order
    try:
        store.on_write.remove(tracker)
    except ValueError:
        pass
    # The stories of the new articles, and those a revision took earlier articles from.
    ids = sorted({int(r[0]) for r in store.execute(
        "SELECT DISTINCT story_id FROM story_articles WHERE seq > ?", (after,))} | tracker.touched)
    if ids:
        fusion.fuse_store(store, story_ids=ids)
    return len(ids)


def run_watches(store: Store, *, after: int) -> int:
    """Check the articles stored after seq `after` against every watch, in seq order, and deliver
    the alerts: bulk writes bypass `store.on_stored`, so this is where a batch fires the watches
    that `wirewatch ingest` fires per article. Runs after `run_stories` because a watch may ask for
    a story. Returns the number of new alerts."""
    from .watch import Watcher, list_watches

    if not list_watches(store):
        return 0
    watcher = Watcher(store)
    n = 0
    try:
        for rec in store.iter_records(after=after):
            n += len(watcher.on_stored(rec, store.get_meta(rec.article.id)))
    finally:
        watcher.close()
    return n


# -- the driver -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PartitionFailure:
    index: int
    articles: int
    reason: str


@dataclass(slots=True)
class BatchStats:
    """Whole-job progress, passed to the progress callback and returned at the end."""

    ingest: IngestStats
    total: int | None = None  # articles in the inputs, when a cheap pass could count them
    in_flight: int = 0
    partitions: int = 0
    partitions_done: int = 0
    failed: list[PartitionFailure] = field(default_factory=list)
    workers: int = 0
    dashboard: str | None = None
    stories: int = 0
    alerts: int = 0

    @property
    def done(self) -> int:
        """Items settled: stored, linked, skipped or failed."""
        return self.ingest.read - self.in_flight

    @property
    def rate(self) -> float:
        return self.ingest.rate

    def to_dict(self) -> dict[str, Any]:
        return {**self.ingest.to_dict(), "total": self.total, "partitions": self.partitions,
                "failed_partitions": [{"index": f.index, "articles": f.articles, "reason": f.reason}
                                      for f in self.failed],
                "workers": self.workers, "dashboard": self.dashboard, "stories": self.stories,
                "alerts": self.alerts}


class _DaskPool:
    """What `_Ingest.run` expects of its pool (`get`, `outstanding`, `close`), over Dask futures."""

    def __init__(self, client: Client, limit: int):
        from distributed import as_completed

        self.client = client
        self.limit = limit
        self.outstanding = 0
        self.done = as_completed()
        self.parts: dict[str, Partition] = {}
        self.failures: list[PartitionFailure] = []
        self.completed = 0

    def submit(self, part: Partition, settings: Settings, target: Target, retries: int) -> None:
        key = f"wirewatch-{target.run_id}-{part.index}"
        fut = self.client.submit(run_partition, part, settings, target, key=key, retries=retries, pure=False)
        self.parts[key] = part
        self.done.add(fut)
        self.outstanding += 1

    def get(self, block: bool) -> PartResult | None:
        if self.outstanding == 0 or (not block and not self.done.has_ready()):
            return None
        fut: Future = next(self.done)
        self.outstanding -= 1
        self.completed += 1
        part = self.parts.pop(str(fut.key))
        try:
            res: PartResult = fut.result()
        except Exception as e:  # noqa: BLE001 - retries are spent: report the partition, go on with the rest
            reason = f"{type(e).__name__}: {e}"
            self.failures.append(PartitionFailure(part.index, len(part.jobs), reason))
            log.warning("partition %d (%d articles) failed: %s", part.index, len(part.jobs), reason)
            stage = "store" if isinstance(e, StoreError) else "extract"
            res = [(j.key, f"batch partition failed after retries: {reason}", stage) for j in part.jobs]
        finally:
            fut.release()
        return res

    def close(self) -> None:
        futs = list(self.done.futures)
        if futs:
            self.client.cancel(futs)
        self.done.clear()


def _threads(client: Client) -> int:
    """Worker threads the cluster has now (at least 1, so a job waits for late workers)."""
    return max(1, sum(client.nthreads().values()))


class _BatchIngest(_Ingest):
    """The ingest's admission and bookkeeping, with partitions sent to Dask instead of local processes."""

    def __init__(self, store: Store, settings: Settings, *, client: Client, target: Target, partition_size: int,
                 retries: int, dedup: bool, progress: Callable[[BatchStats], None] | None, total: int | None,
                 near_threshold: float | None, dashboard: str | None):
        super().__init__(store, settings, workers=1, dedup=dedup, progress=None, extractor=None,
                         near_threshold=near_threshold)
        nworkers = _threads(client)
        self.client = client
        self.target = target
        self.partition_size = max(1, partition_size)
        self.retries = retries
        self.batch_progress = progress
        self.batch = BatchStats(self.stats, total=total, workers=nworkers, dashboard=dashboard)
        # Three partitions per worker thread in flight: one running, two queued, so no worker idles
        # while the driver collects a result; more only costs driver memory.
        self.pool = self.dask = _DaskPool(client, limit=3 * nworkers)  # type: ignore[assignment]
        self.buffer: list[tuple[int, Article]] = []
        self.ending = False

    def run(self, items: Iterable[Item]) -> IngestStats:
        def tail() -> Iterator[Item]:
            yield from items
            self.ending = True  # ingest's last (short) batch follows: flush everything from now on
            self._flush()

        try:
            return super().run(tail())
        finally:
            self.batch.failed = list(self.dask.failures)

    def submit(self, batch: list[tuple[int, Article]]) -> None:
        self.buffer += batch
        while len(self.buffer) >= self.partition_size:
            self._send(self.buffer[:self.partition_size])
            self.buffer = self.buffer[self.partition_size:]
        if self.ending:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self._send(self.buffer)
            self.buffer = []

    def _send(self, tasks: list[tuple[int, Article]]) -> None:
        pool = self.dask
        if self.batch.partitions % 16 == 15:  # workers may join or leave (adaptive clusters, restarts)
            self.batch.workers = _threads(self.client)
            pool.limit = 3 * self.batch.workers
        while pool.outstanding >= pool.limit:
            self.write(ready(pool, block=True))
            self.report()
        jobs = []
        for key, art in tasks:
            item, sig = self.inflight[key]
            jobs.append(Job(key, art, item.source_id, item.fetched_at, sig))
        pool.submit(Partition(self.batch.partitions, tuple(jobs)), self.settings, self.target, self.retries)
        self.batch.partitions += 1

    def write(self, results: list[Any]) -> None:
        """Workers stored the records already; settle them here exactly as ingest's `write` does after `put`."""
        for key, err, stage in results:
            item, sig = self.inflight.pop(key)
            aid = item.article.id
            if err is not None:
                self._error(item.source_id, err, stage=stage, article_id=aid)
                if self.dedup is not None:
                    self.dedup.failed(aid)
                continue
            if self.target.out is not None:
                # The manifest keeps a stub so later copies in this or a later run are found as duplicates.
                self.store.put(ArticleRecord(article=item.article), source_id=item.source_id,
                               fetched_at=item.fetched_at, signature=sig)
            self.stats.stored += 1
            if self.dedup is not None:
                self.dedup.stored(aid)
            for d in self.waiting_links.pop(aid, []):
                self._link(d)

    def report(self, force: bool = False) -> None:
        if self.batch_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_report >= 0.1:
            self._last_report = now
            self.batch.in_flight = len(self.inflight) + sum(len(v) for v in self.waiting_links.values())
            self.batch.partitions_done = self.dask.completed if self.pool is not None else self.batch.partitions
            self.batch.failed = list(self.dask.failures)
            self.batch_progress(self.batch)


def parse_cluster(spec: str) -> tuple[str | None, int]:
    """`tcp://host:8786` -> (address, 0); `local` -> (None, cores); `local:N` -> (None, N)."""
    if spec.startswith(("tcp://", "tls://", "ws://", "wss://", "inproc://")):
        return spec, 0
    if spec == "local" or spec.startswith("local:"):
        n_text = spec.partition(":")[2]
        try:
            n = int(n_text) if n_text else (os.cpu_count() or 1)
        except ValueError:
            n = 0
        if n < 1:
            raise ConfigError(f"--cluster {spec!r}: use local:N with N >= 1 workers")
        return None, n
    raise ConfigError(f"--cluster {spec!r}: expected tcp://HOST:8786 (a running scheduler), local or local:N")


def dashboard_available() -> bool:
    """The Dask dashboard needs bokeh; without it a LocalCluster serves none."""
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def dashboard_link(client: Client) -> str | None:
    """The dashboard URL when one is served: a remote scheduler's, or a local one's if bokeh is installed."""
    try:
        return client.dashboard_link if (client.cluster is None or dashboard_available()) else None
    except Exception:  # noqa: BLE001 - a scheduler without a dashboard has no link to show
        return None


@contextmanager
def connect(spec: str) -> Iterator[Client]:
    """A Dask client for `spec`; a local cluster is one single-threaded process per worker, closed on exit."""
    from distributed import Client, LocalCluster

    address, n = parse_cluster(spec)
    if address is not None:
        try:
            client = Client(address, timeout="30s")
        except OSError as e:
            raise BatchError(f"cannot reach the Dask scheduler at {address} ({e}): is `dask scheduler` "
                             "running there, and the port open?") from e
        with client:
            yield client
        return
    # The in-process scheduler logs every client and worker at INFO: noise on a command line.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    # One thread per process: spaCy holds the GIL, so threads would only queue behind each other.
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=":0" if dashboard_available() else None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        yield client


def run_batch(inputs: Sequence[str], *, client: Client, db: str | None = None, out: str | Path | None = None,
              fmt: Format = "jsonl", settings: Settings | None = None, partition_size: int = PARTITION,
              retries: int = 2, dedup: bool = True, stories: bool = True, watches: bool = True,
              include: Sequence[str] = (),
              exclude: Sequence[str] = (), near_threshold: float | None = None, kb: bool = True,
              progress: Callable[[BatchStats], None] | None = None) -> BatchStats:
    """Read, de-duplicate, extract on the cluster and store: the same result as `ingest` of the same inputs.

    db: the store workers write into (migrated here first). out: instead, a folder of part files plus
    the driver's manifest, for `load`; exactly one of the two. kb: code untitled actors from the actor
    knowledge base of the store (as `wirewatch ingest --kb`), built once here and sent to every worker.
    """
    if (db is None) == (out is None):
        raise ConfigError("batch: give either --db URL (write into the store) or --out DIR (write part files)")
    if fmt not in ("jsonl", "parquet"):
        raise ConfigError(f"--format {fmt!r}: use jsonl or parquet")
    settings = settings or load_settings()
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        store = open_store(str(Path(out) / MANIFEST))
        target = Target(out=str(Path(out).resolve()), format=fmt, run_id=time.strftime("%Y%m%dT%H%M%S")
                        + "-" + uuid.uuid4().hex[:6])
    else:
        assert db is not None
        store = open_store(db)  # migrates once, before any worker connects
        target = Target(db=db, run_id=uuid.uuid4().hex[:10])
    dashboard = dashboard_link(client)
    try:
        client.register_plugin(ModelPreload(settings))
        if kb:
            from .kb import kb_from_store

            client.register_plugin(KnowledgePlugin(kb_from_store(store, settings.kb_file) if db else None))
        else:
            client.register_plugin(KnowledgePlugin(None))
        before = _max_seq(store)
        total = estimate_total(inputs, include=include, exclude=exclude)
        run = _BatchIngest(store, settings, client=client, target=target, partition_size=partition_size,
                           retries=retries, dedup=dedup, progress=progress, total=total,
                           near_threshold=near_threshold, dashboard=dashboard)
        items = iter_inputs(inputs, settings=settings, include=include, exclude=exclude, seen=store.seen_source)
        run.run(items)
        result = run.batch
        result.in_flight = 0
        result.partitions_done = result.partitions
        if stories and out is None:
            result.stories = run_stories(store, after=before)
        if watches and out is None:
            result.alerts = run_watches(store, after=before)
        if progress is not None:
            progress(result)
        return result
    finally:
        store.close()


__all__ = ["BatchError", "BatchStats", "LoadStats", "PartitionFailure", "connect", "estimate_total",
           "dashboard_link", "iter_inputs", "load", "parse_cluster", "read_parquet", "run_batch", "run_partition",
           "run_watches"]
