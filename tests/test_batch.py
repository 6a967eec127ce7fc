"""`wirewatch batch` on a real LocalCluster (2 single-threaded worker processes) and a real PostgreSQL:
the store it builds equals `wirewatch ingest`'s, a killed worker loses and duplicates nothing, and the
--out / `load` path gives the same store on SQLite."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import _pg_base_url
from test_ingest import tiny_corpus

from wirewatch.batch import BatchStats, estimate_total, iter_inputs, load, parse_cluster, run_batch
from wirewatch.errors import ConfigError
from wirewatch.ingest import ingest
from wirewatch.models import ArticleRecord
from wirewatch.settings import load_settings
from wirewatch.store import open_store
from wirewatch.store.bulk import Pending, put_many
from wirewatch.store.postgres import scratch_schema

LONG = ("GENEVA — Negotiators from both delegations met for a third day of talks on prisoner exchanges, "
        "with mediators saying that a framework covering the release of detainees, the return of remains "
        "and access for humanitarian monitors was close to agreement. A spokesman said the sides would "
        "meet again on Thursday to settle the sequence of releases and the role of the Red Cross.")


def _rows() -> list[dict[str, Any]]:
    rows = tiny_corpus(38, seed=11)
    rows.insert(5, {"title": "Talks resume", "text": LONG, "source": "AP", "published": "2021-05-02"})
    rows.insert(9, dict(rows[0], title="Same text, new headline"))  # exact copy of row 0
    rows.insert(20, {"title": "Talks resume (wire)", "text": LONG.replace("Thursday", "Friday"),  # near copy
                     "source": "AFP", "published": "2021-05-02"})
    return rows


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    lines = [json.dumps(r) for r in _rows()]
    lines.insert(14, "{broken json")  # a read failure, logged the same way by both paths
    (d / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as cluster, Client(cluster) as c:
        yield c


@contextmanager
def fresh_pg() -> Iterator[str]:
    """A new empty schema on the test server, as a store URL."""
    with scratch_schema(_pg_base_url(), "b_") as url:
        yield url


def content(url: str) -> dict[str, Any]:
    """Everything ingest decides, independent of write order: records, sources, links, errors."""
    with open_store(url) as st:
        ids = [r[0] for r in st.execute("SELECT id FROM articles ORDER BY id")]
        records = {}
        for aid in ids:
            rec = st.get_record(aid)
            meta = st.get_meta(aid)
            assert rec is not None and meta is not None
            records[aid] = (rec.to_dict(), meta.source_id, meta.fetched_at)
        sigs = dict(st.iter_signatures())
        dups = sorted(st.execute("SELECT article_id, source_id, original_id, kind, similarity, title, url "
                                 "FROM duplicates"))
        errors = sorted((e.source_id, e.stage, e.reason, e.article_id, e.count) for e in st.list_errors(limit=1000))
    return {"records": records, "signatures": sigs, "duplicates": dups, "errors": errors}


@pytest.fixture(scope="module")
def reference_pg(corpus: Path, extractor) -> Iterator[dict[str, Any]]:
    with fresh_pg() as url:
        stats = ingest([str(corpus)], db=url, extractor=extractor)
        assert (stats.stored, stats.exact, stats.near, stats.errors) == (39, 1, 1, 1)
        yield content(url)


@pytest.mark.postgres
@pytest.mark.slow
def test_batch_equals_ingest_and_rerun_adds_nothing(corpus, client, reference_pg):
    seen: list[BatchStats] = []
    with fresh_pg() as url:
        stats = run_batch([str(corpus)], client=client, db=url, partition_size=4, progress=seen.append)
        assert (stats.ingest.stored, stats.ingest.exact, stats.ingest.near, stats.ingest.errors) == (39, 1, 1, 1)
        assert stats.failed == [] and stats.total == 42 and stats.done == 42 and stats.workers == 2
        assert seen and seen[-1].done == 42
        assert content(url) == reference_pg
        with open_store(url) as st:  # story clustering ran over what was loaded
            assert st.execute("SELECT count(*) FROM story_articles")[0][0] == 39
        again = run_batch([str(corpus)], client=client, db=url, partition_size=4, stories=False)
        assert (again.ingest.stored, again.ingest.unchanged, again.partitions) == (0, 41, 0)
        assert content(url)["records"] == reference_pg["records"]


@pytest.mark.postgres
@pytest.mark.slow
def test_killed_worker_still_stores_every_article_once(corpus, client, reference_pg):
    killed: list[int] = []

    def kill_one(s: BatchStats) -> None:
        # After the first partition lands, SIGKILL a worker that has work: Dask reschedules its tasks.
        if killed or s.partitions_done < 1:
            return
        busy = [w for w, tasks in client.processing().items() if tasks] or list(client.processing())
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    with fresh_pg() as url:
        stats = run_batch([str(corpus)], client=client, db=url, partition_size=2, progress=kill_one,
                          stories=False)
        assert killed, "the job finished before a worker could be killed"
        assert stats.failed == [] and stats.ingest.stored == 39
        got = content(url)
        assert len(got["records"]) == 39 and got == reference_pg
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, model preloaded by the plugin


@pytest.mark.postgres
@pytest.mark.slow
def test_failed_partition_is_retried_then_reported_and_the_rest_finishes(client, extractor, tmp_path):
    rows = tiny_corpus(3, seed=5)
    rows[1]["text"] += "\x00"  # PostgreSQL refuses NUL in text: this article can never be stored
    corpus = tmp_path / "nul.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with fresh_pg() as url:  # a partition of its own fails whole: retried, then reported
        stats = run_batch([str(corpus)], client=client, db=url, partition_size=1, retries=1, stories=False)
        assert [(f.articles, "NUL" in f.reason) for f in stats.failed] == [(1, True)]
        assert (stats.ingest.stored, stats.ingest.errors) == (2, 1)
        got = content(url)
        assert len(got["records"]) == 2 and [e[1] for e in got["errors"]] == ["store"]
    with fresh_pg() as url, fresh_pg() as ref:  # inside a partition it is isolated, exactly as ingest does
        stats = run_batch([str(corpus)], client=client, db=url, partition_size=3, stories=False)
        assert stats.failed == [] and (stats.ingest.stored, stats.ingest.errors) == (2, 1)
        ingest([str(corpus)], db=ref, extractor=extractor)
        assert content(url) == content(ref)


@pytest.mark.slow
def test_out_parts_and_load_equal_ingest_on_sqlite(corpus, client, extractor, tmp_path):
    ref = tmp_path / "ingest.db"
    ingest([str(corpus)], db=str(ref), extractor=extractor)
    out = tmp_path / "parts"
    stats = run_batch([str(corpus)], client=client, out=out, fmt="parquet", partition_size=8)
    assert stats.ingest.stored == 39 and len(list(out.glob("part-*.parquet"))) == stats.partitions == 5
    again = run_batch([str(corpus)], client=client, out=out, fmt="jsonl")  # the manifest remembers the first run
    assert (again.ingest.stored, again.partitions) == (0, 0)
    db = tmp_path / "loaded.db"
    first = load(out, str(db), stories=False)
    assert (first.records, first.stored, first.duplicates, first.errors) == (39, 39, 2, 1)
    assert content(str(db)) == content(str(ref))
    second = load(out, str(db), stories=False)  # idempotent
    assert (second.stored, second.duplicates, second.errors) == (0, 0, 0)
    assert content(str(db)) == content(str(ref))


def test_parquet_input_reads_like_jsonl(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = tiny_corpus(5, seed=3)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "news.parquet")
    (tmp_path / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    settings = load_settings()
    par = list(iter_inputs([str(tmp_path / "news.parquet")], settings=settings))
    jl = list(iter_inputs([str(tmp_path / "news.jsonl")], settings=settings))
    assert [i.source_id.rsplit("#", 1)[1] for i in par] == [f"R{n}" for n in range(1, 6)]
    assert [i.article.record_dict() for i in par] == [i.article.record_dict() for i in jl]
    folder = list(iter_inputs([str(tmp_path)], settings=settings))  # a folder holds both kinds
    assert len(folder) == 10 and estimate_total([str(tmp_path)]) == 10


def test_put_many_is_put_in_one_transaction(tmp_path, analyse_text):
    recs = [analyse_text(t) for t in ("Kenya and Uganda signed a trade deal in Nairobi on Monday.",
                                      "Police arrested 12 protesters in Lima, officials said.")]
    with open_store(str(tmp_path / "a.db")) as a, open_store(str(tmp_path / "b.db")) as b:
        for r in recs:
            a.put(r, source_id=r.article.id[:8], signature=b"\x01" * 8)
        items = [Pending(r, r.article.id[:8], None, b"\x01" * 8) for r in recs]
        assert put_many(b, items) == {r.article.id for r in recs}
        assert put_many(b, items) == set()  # idempotent on the article id
        for r in recs:
            got = b.get_record(r.article.id)
            assert got is not None and got.to_dict() == a.get_record(r.article.id).to_dict() == r.to_dict()
            assert isinstance(got, ArticleRecord)
        assert sorted(a.iter_signatures()) == sorted(b.iter_signatures())


def test_parse_cluster():
    assert parse_cluster("tcp://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", 0)
    assert parse_cluster("local:3") == (None, 3)
    assert parse_cluster("local")[1] >= 1
    for bad in ("local:0", "local:x", "10.0.0.5:8786"):
        with pytest.raises(ConfigError):
            parse_cluster(bad)


def test_bulk_written_articles_fire_the_watches_ingest_would(tmp_path, analyse_text):
    from wirewatch.batch import run_watches
    from wirewatch.watch import Watcher, add_watch, list_alerts

    recs = [analyse_text(t, published="2026-03-11") for t in (
        "Gunmen attacked a village in Borno state on Tuesday, killing 12 people, Nigerian officials said.",
        "Kenya and Uganda signed a trade deal in Nairobi on Monday.")]
    with open_store(str(tmp_path / "ingest.db")) as a, open_store(str(tmp_path / "bulk.db")) as b:
        for s in (a, b):
            add_watch(s, {"type": "ASSAULT"}, name="attacks")
            add_watch(s, {"text": "trade deal"}, name="trade")
        watcher = Watcher(a).attach()  # what ingest's hooks do, one article at a time
        for r in recs:
            a.put(r, source_id=r.article.id[:8])
        watcher.close()
        assert put_many(b, [Pending(r, r.article.id[:8], None, None) for r in recs]) == {r.article.id for r in recs}
        assert list_alerts(b) == []  # a bulk write bypasses on_stored ...
        assert run_watches(b, after=0) == len(list_alerts(a)) == 2  # ... so the batch driver fires them after
        assert run_watches(b, after=0) == 0  # an alert is recorded once

        def alerts(s):
            return sorted((x.watch_id, x.article_id) for x in list_alerts(s))
        assert alerts(b) == alerts(a)
