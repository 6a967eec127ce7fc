"""`wirewatch stats`: what the store holds, per source, day, event type and country."""

from __future__ import annotations

import json

import typer

from ..settings import load_settings


def stats_cmd(
    db: str | None = typer.Option(None, "--db", help="Store URL: a SQLite file or postgresql://..."),
    top: int = typer.Option(10, "--top", min=1, help="Rows per breakdown."),
    errors: bool = typer.Option(False, "--errors", help="Also list the most recent errors."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Count articles, events, duplicates and errors, with breakdowns."""
    from dataclasses import asdict

    from ..store import open_store

    with open_store(load_settings(db=db).db) as store:
        s = store.stats(top=top)
        errs = store.list_errors(limit=top) if errors else []
    if as_json:
        out = s.to_dict()
        if errors:
            out["recent_errors"] = [asdict(e) for e in errs]
        typer.echo(json.dumps(out, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(f"[bold]{s.articles:,}[/] articles · {s.events:,} events · {s.entities:,} entities · "
              f"{s.quotes:,} quotes · {s.duplicates:,} duplicates · {s.errors:,} errors · {s.feeds:,} feeds")
    for title, rows in (("source", s.by_source), ("day", s.by_day), ("event type", s.by_type),
                        ("actor country", s.by_country)):
        if rows:
            t = Table(title, "count", title=f"by {title}")
            for k, n in rows:
                t.add_row(k, f"{n:,}")
            con.print(t)
    if errs:
        t = Table("last", "stage", "source", "reason", "count", title="recent errors")
        for e in errs:
            t.add_row(e.last_at[:19], e.stage, e.source_id, e.reason, str(e.count))
        con.print(t)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats_cmd)
