"""Exports: JSONL round trip, CSV/Parquet columns, GDELT and PLOVER shapes, filters, the CLI and the mapping doc."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wirewatch.api.query import Query
from wirewatch.export import (
    EVENT_COLUMNS,
    GDELT_COLUMNS,
    PLOVER_SCORE,
    PLOVER_TO_CAMEO,
    export,
    export_string,
    import_jsonl,
    quad_class,
)
from wirewatch.models import PLOVER_TYPES
from wirewatch.read.files import article_from_mapping
from wirewatch.store import open_store

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def records(extractor):
    rows = [json.loads(x) for x in (FIXTURES / "analyst_articles.jsonl").read_text().splitlines() if x]
    return list(extractor.extract_many([article_from_mapping(a, f"f{i}") for i, a in enumerate(rows)]))


@pytest.fixture
def filled(store, records):
    for r in records:
        store.put(r)
    return store


def test_jsonl_round_trip(filled, records, tmp_path):
    first = export_string(filled, "jsonl")
    assert [json.loads(x) for x in first.splitlines()] == [json.loads(json.dumps(r.to_dict())) for r in records]
    with open_store(str(tmp_path / "copy.db")) as copy:
        assert import_jsonl(copy, io.StringIO(first)) == len(records)
        assert import_jsonl(copy, io.StringIO(first)) == 0  # idempotent
        assert export_string(copy, "jsonl") == first
        assert copy.stats().events == filled.stats().events


def test_csv_and_parquet_columns(filled, records, tmp_path):
    n_events = sum(len(r.events) for r in records)
    n = export(filled, "csv", tmp_path / "e.csv")
    rows = list(csv.DictReader((tmp_path / "e.csv").open(encoding="utf-8")))
    assert n == len(rows) == n_events
    assert list(rows[0]) == [c for c, _ in EVENT_COLUMNS]
    assert all(r["type"] in PLOVER_TYPES for r in rows)
    pq = pytest.importorskip("pyarrow.parquet")
    assert export(filled, "parquet", tmp_path / "e.parquet") == n_events
    table = pq.read_table(tmp_path / "e.parquet")
    assert table.column_names == [c for c, _ in EVENT_COLUMNS] and table.num_rows == n_events
    assert str(table.schema.field("lat").type) == "double"
    pd = pytest.importorskip("pandas")
    df = pd.read_parquet(tmp_path / "e.parquet")
    assert list(df.columns) == [c for c, _ in EVENT_COLUMNS]
    assert list(pd.read_csv(tmp_path / "e.csv").columns) == [c for c, _ in EVENT_COLUMNS]


def test_gdelt(filled, records):
    lines = export_string(filled, "gdelt").splitlines()
    header = lines[0].split("\t")
    assert header == list(GDELT_COLUMNS) and len(header) == 61
    rows = [dict(zip(header, x.split("\t"), strict=True)) for x in lines[1:]]
    assert len(rows) == sum(len(r.events) for r in records)
    for r in rows:
        assert r["EventRootCode"] in {v for v in PLOVER_TO_CAMEO.values()} | {"19", "20"}
        assert r["EventCode"] == r["EventRootCode"] + "0"
        assert int(r["QuadClass"]) == quad_class(r["EventRootCode"])
        assert r["SQLDATE"] == "" or (len(r["SQLDATE"]) == 8 and r["SQLDATE"].isdigit())
        if r["ActionGeo_Lat"]:
            assert -90 <= float(r["ActionGeo_Lat"]) <= 90
    assert len({r["GLOBALEVENTID"] for r in rows}) == len(rows)


def test_plover(filled, records):
    recs = [json.loads(x) for x in export_string(filled, "plover").splitlines()]
    assert len(recs) == sum(len(r.events) for r in records)
    for r in recs:
        assert {"id", "date", "actor", "event"} <= set(r)  # the required PLOVER fields
        assert r["event"][0] in PLOVER_TYPES and r["quad_code"] in (1, 2, 3, 4)
        assert r["event_scale"] == PLOVER_SCORE[r["event"][0]]
        for ent in r["actor"] + r["recipient"]:
            assert "code" in ent and "entity_text" in ent
    assert len({r["id"] for r in recs}) == len(recs)


def test_filters_apply(filled):
    types = {r["type"] for r in csv.DictReader(io.StringIO(export_string(filled, "csv")))}
    t = sorted(types)[0]
    got = list(csv.DictReader(io.StringIO(export_string(filled, "csv", Query.parse(type=t)))))
    assert got and {r["type"] for r in got} == {t}
    some = export_string(filled, "jsonl", Query.parse(q="pension"))
    assert [json.loads(x)["article"]["title"] for x in some.splitlines()] == [
        "Thousands protest in Paris against pension reform"]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "gdelt", "plover"])
def test_cli(filled, store_url, fmt, tmp_path):
    from wirewatch.cli.app import _register, app

    _register()
    out = tmp_path / f"out.{fmt}"
    r = CliRunner().invoke(app, ["export", "--format", fmt, "-o", str(out), "--db", store_url])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 0 and "wrote" in r.output
    r = CliRunner().invoke(app, ["export", "--format", fmt, "-o", str(out), "--db", store_url, "--type", "nope"])
    assert r.exit_code != 0


def test_mapping_is_documented():
    doc = (ROOT / "docs" / "gdelt-mapping.md").read_text()
    for plover, root in PLOVER_TO_CAMEO.items():
        assert f"| {plover} | {root} |" in doc, plover
    for col in ("GLOBALEVENTID", "EventRootCode", "QuadClass", "GoldsteinScale", "ActionGeo_*", "SOURCEURL"):
        assert col in doc


def test_cli_round_trip(filled, tmp_path):
    from wirewatch.cli.app import _register, app

    _register()
    out = tmp_path / "all.jsonl"
    run = CliRunner().invoke
    assert run(app, ["export", "-f", "jsonl", "-o", str(out), "--db", filled.url, "--quiet"]).exit_code == 0
    copy = str(tmp_path / "copy.db")
    r = run(app, ["import-records", str(out), "--db", copy])
    assert r.exit_code == 0, r.output
    again = tmp_path / "again.jsonl"
    assert run(app, ["export", "-f", "jsonl", "-o", str(again), "--db", copy, "--quiet"]).exit_code == 0
    assert again.read_text() == out.read_text()
