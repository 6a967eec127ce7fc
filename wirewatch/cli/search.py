"""`wirewatch search [QUERY]`: find articles or events in the store, as a table, JSON or CSV."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from enum import StrEnum
from typing import Any

import typer

from ..settings import load_settings


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class What(StrEnum):
    auto = "auto"
    articles = "articles"
    events = "events"


ARTICLE_COLS = ("published", "source", "title", "n_events", "id")
EVENT_COLS = ("date", "type", "status", "actors", "targets", "place", "trigger", "title", "article_id")


def _cell(v: Any) -> str:
    if isinstance(v, list):
        return "; ".join("" if x is None else str(x) for x in v)
    return "" if v is None else str(v)


def search_cmd(
    query: str = typer.Argument("", help="Words that must all appear in the title or text (optional)."),
    actor: str | None = typer.Option(None, "--actor", help="An actor's name contains this."),
    country: str | None = typer.Option(None, "--country", help="ISO3 (or organisation) code of an actor or place."),
    type_: str | None = typer.Option(None, "--type", help="PLOVER event type, e.g. PROTEST."),
    status: str | None = typer.Option(None, "--status", help="Event status: occurred, planned, ..."),
    since: str | None = typer.Option(None, "--since", help="From this date (YYYY-MM-DD), inclusive."),
    until: str | None = typer.Option(None, "--until", help="Up to this date (YYYY-MM-DD), inclusive."),
    place: str | None = typer.Option(None, "--place", help="A place name contains this."),
    source: str | None = typer.Option(None, "--source", help="The article's source, exactly."),
    what: What = typer.Option(What.auto, "--what",
                              help="articles or events; auto: events when --type, --status or --actor is given."),
    fmt: Format = typer.Option(Format.table, "--format", "-f", help="table, json or csv."),
    limit: int = typer.Option(20, "--limit", "-n", min=1, max=10_000, help="Results per page."),
    cursor: str | None = typer.Option(None, "--cursor", help="Continue from a previous page's cursor."),
    db: str | None = typer.Option(None, "--db", help="Store URL: a SQLite file or postgresql://..."),
) -> None:
    """Search stored articles and events by words, actor, country, type, date and place."""
    from ..store import Filters, open_store

    filters = Filters(actor=actor, country=country, type=type_, status=status, since=since, until=until,
                      place=place, source=source)
    events = what is What.events or (what is What.auto and bool(type_ or status or actor))
    with open_store(load_settings(db=db).db) as store:
        if events:
            page: Any = store.search_events(filters, query=query or None, limit=limit, cursor=cursor)
        else:
            page = store.search_articles(query or None, filters, limit=limit, cursor=cursor)
    rows = [asdict(h) for h in page.items]
    cols = EVENT_COLS if events else ARTICLE_COLS
    if fmt is Format.json:
        typer.echo(json.dumps({"items": rows, "next_cursor": page.next_cursor}, ensure_ascii=False, indent=2))
    elif fmt is Format.csv:
        if rows:
            w = csv.writer(sys.stdout)
            w.writerow(list(rows[0]))
            for r in rows:
                w.writerow([_cell(v) for v in r.values()])
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*cols, title=f"{len(rows)} {'events' if events else 'articles'}")
        for r in rows:
            table.add_row(*(_cell(r[c]) for c in cols))
        Console().print(table)
        if page.next_cursor:
            typer.echo(f"more: --cursor {page.next_cursor}", err=True)


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
