"""`wirewatch load DIR --db URL`: bulk-load the part files of `wirewatch batch --out DIR`."""

from __future__ import annotations

import json

import typer

from ..settings import load_settings


def load_cmd(
    folder: str = typer.Argument(..., help="The --out folder of `wirewatch batch`."),
    db: str | None = typer.Option(None, "--db", help="Store URL: a SQLite file or postgresql://... [settings: db]"),
    no_stories: bool = typer.Option(False, "--no-stories", help="Skip story clustering and fusion afterwards."),
    no_watches: bool = typer.Option(False, "--no-watches", help="Do not check the new articles against the watches."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Load batch part files into a store (idempotent: a re-load adds nothing)."""
    from ..batch import load

    settings = load_settings(db=db)
    stats = load(folder, settings.db, stories=not no_stories, watches=not no_watches)
    if as_json:
        typer.echo(json.dumps(stats.to_dict()))
    else:
        typer.echo(f"{stats.records:,} records in {stats.files:,} files: {stats.stored:,} new, "
                   f"{stats.duplicates:,} duplicate links, {stats.errors:,} errors, {stats.alerts:,} alerts "
                   f"in {stats.seconds:.1f} s "
                   f"-> {settings.db}")


def register(app: typer.Typer) -> None:
    app.command("load")(load_cmd)
