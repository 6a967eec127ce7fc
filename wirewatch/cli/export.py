"""`wirewatch export`: the store as JSONL records, CSV / Parquet event tables, GDELT-style TSV or PLOVER JSONL."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer


class Fmt(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    gdelt = "gdelt"
    plover = "plover"


def export_cmd(
    fmt: Fmt = typer.Option(..., "--format", "-f", help="jsonl (full records), csv, parquet, gdelt or plover."),
    out: Path = typer.Option(..., "--output", "-o", help="The file to write."),
    db: str | None = typer.Option(None, "--db", help="Store URL; default: the db setting."),
    q: str | None = typer.Option(None, "--q", help="Full-text query over the articles."),
    actor: str | None = typer.Option(None, "--actor", help="Actor or target name substring."),
    country: str | None = typer.Option(None, "--country", help="Actor, target or place country code."),
    sector: str | None = typer.Option(None, "--sector", help="Actor or target sector."),
    type: str | None = typer.Option(None, "--type", help="PLOVER event type."),
    status: str | None = typer.Option(None, "--status", help="Event status."),
    since: str | None = typer.Option(None, "--since", help="Earliest date (YYYY-MM-DD), inclusive."),
    until: str | None = typer.Option(None, "--until", help="Latest date (YYYY-MM-DD), inclusive."),
    place: str | None = typer.Option(None, "--place", help="Place name substring."),
    near: str | None = typer.Option(None, "--near", help="'lat,lon' (with --radius-km)."),
    radius_km: float | None = typer.Option(None, "--radius-km", help="Radius around --near, km."),
    source: str | None = typer.Option(None, "--source", help="Article source (exact)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Export records or events; filters as in the API. jsonl writes whole article records, the others one row per event."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..api.query import Query
    from ..export import export, total
    from ..settings import load_settings
    from ..store import open_store

    query = Query.parse(q=q, actor=actor, country=country, sector=sector, type=type, status=status, since=since,
                        until=until, place=place, near=near, radius_km=radius_km, source=source)
    with open_store(load_settings(db=db).db) as store:
        if quiet:
            n = export(store, fmt.value, out, query)
        else:
            unit = "records" if fmt is Fmt.jsonl else "events"
            with Progress(TextColumn(f"exporting {unit}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          transient=True) as bar:
                task = bar.add_task("export", total=total(store, fmt.value, query))
                n = export(store, fmt.value, out, query,
                           progress=lambda i: bar.update(task, completed=i) if i % 200 == 0 else None)
    typer.echo(f"wrote {n} {'records' if fmt is Fmt.jsonl else 'events'} to {out}", err=True)


def import_cmd(
    path: Path = typer.Argument(..., help="A JSONL file of wirewatch/article-1 records (`export --format jsonl`)."),
    db: str | None = typer.Option(None, "--db", help="Store URL; default: the db setting."),
) -> None:
    """Load exported records into a store as they are (no re-analysis): the other half of the JSONL round trip."""
    from ..export import import_jsonl
    from ..settings import load_settings
    from ..store import open_store

    with open_store(load_settings(db=db).db) as store, path.open(encoding="utf-8") as f:
        n = import_jsonl(store, f)
    typer.echo(f"imported {n} new records into {load_settings(db=db).db}", err=True)


def register(app: typer.Typer) -> None:
    app.command("export")(export_cmd)
    app.command("import-records")(import_cmd)
