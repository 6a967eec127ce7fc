"""`wirewatch feeds add|list|remove` and `wirewatch watch-feeds`: subscribe to and poll RSS/Atom feeds."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..settings import load_settings

feeds_app = typer.Typer(help="Manage the RSS/Atom feeds that watch-feeds polls.", no_args_is_help=True)

DB_HELP = "Store URL: a SQLite file or postgresql://... [settings: db]"


@feeds_app.command("add")
def add_cmd(
    urls: list[str] = typer.Argument(None, help="Feed URLs."),
    file: Path | None = typer.Option(None, "--file", "-f", help="A feed list: one URL per line, # comments."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Subscribe to feeds."""
    from ..read.feeds import read_feed_list
    from ..store import open_store

    todo = list(urls or []) + (read_feed_list(file) if file else [])
    if not todo:
        raise typer.BadParameter("give feed URLs or --file")
    for u in todo:
        if not u.startswith(("http://", "https://")):
            raise typer.BadParameter(f"not an http(s) URL: {u}")
    with open_store(load_settings(db=db).db) as store:
        for u in todo:
            typer.echo(("added   " if store.add_feed(u) else "present ") + u)


@feeds_app.command("list")
def list_cmd(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List subscribed feeds with their last poll."""
    from dataclasses import asdict

    from ..store import open_store

    with open_store(load_settings(db=db).db) as store:
        feeds = store.list_feeds()
    if as_json:
        typer.echo(json.dumps([asdict(f) for f in feeds], indent=2))
        return
    for f in feeds:
        typer.echo(f"{f.url}\t{f.title or ''}\t{f.last_polled or 'never polled'}\t{f.last_status or ''}")


@feeds_app.command("remove")
def remove_cmd(
    urls: list[str] = typer.Argument(..., help="Feed URLs."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Unsubscribe from feeds."""
    from ..store import open_store

    missing = 0
    with open_store(load_settings(db=db).db) as store:
        for u in urls:
            if store.remove_feed(u):
                typer.echo(f"removed {u}")
            else:
                typer.echo(f"not subscribed: {u}", err=True)
                missing += 1
    if missing:
        raise typer.Exit(1)


def watch_cmd(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    interval: float = typer.Option(900.0, "--interval", "-i", min=1.0, help="Seconds between polls."),
    file: Path | None = typer.Option(None, "--file", "-f", help="Also subscribe to the feeds in this list first."),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Extraction processes (0: in this process)."),
    once: bool = typer.Option(False, "--once", help="Poll once and exit."),
    host_delay: float | None = typer.Option(None, "--host-delay", help="Seconds between requests to one host."),
) -> None:
    """Poll the subscribed feeds every --interval seconds and ingest new articles (Ctrl-C stops)."""
    from ..ingest import IngestStats, watch_feeds
    from ..read.feeds import read_feed_list
    from ..store import open_store

    settings = load_settings(db=db, host_delay=host_delay)
    with open_store(settings.db) as store:
        for u in read_feed_list(file) if file else []:
            store.add_feed(u)
        if not store.list_feeds():
            raise typer.BadParameter("no feeds subscribed: wirewatch feeds add URL (or --file)")

        def report(s: IngestStats) -> None:
            typer.echo(f"polled: {s.stored} new, {s.duplicates} duplicates, {s.unchanged} seen, {s.errors} errors",
                       err=True)

        try:
            for _ in watch_feeds(store, interval=interval, settings=settings, workers=workers,
                                 rounds=1 if once else None, on_round=report):
                pass
        except KeyboardInterrupt:
            typer.echo("stopped", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")
    app.command("watch-feeds")(watch_cmd)
