"""`wirewatch watch add|list|remove` and `wirewatch alerts`: saved queries and what they caught."""

from __future__ import annotations

import json

import typer

watch_app = typer.Typer(help="Saved queries checked against every newly stored article.", no_args_is_help=True)


def _store(db: str | None):  # noqa: ANN202 - a Store; imported lazily to keep `--help` fast
    from ..settings import load_settings
    from ..store import open_store

    return open_store(load_settings(db=db).db)


DB = typer.Option(None, "--db", help="Store URL; default: the db setting.")


@watch_app.command("add")
def add_cmd(
    name: str | None = typer.Option(None, "--name", help="A label (default: the conditions)."),
    type: str | None = typer.Option(None, "--type", help="PLOVER event type, e.g. ASSAULT."),
    status: str | None = typer.Option(None, "--status", help="occurred, planned, expected, negated, hypothetical."),
    country: str | None = typer.Option(None, "--country", help="Actor, target or place country code (SDN)."),
    actor: str | None = typer.Option(None, "--actor", help="Actor/target name substring or code (NATO)."),
    sector: str | None = typer.Option(None, "--sector", help="Actor/target sector (MIL, REB, ...)."),
    text: str | None = typer.Option(None, "--text", help="A full-text term the article must contain."),
    quantity_min: float | None = typer.Option(None, "--quantity-over", help="A quantity over this value ..."),
    unit: str | None = typer.Option(None, "--unit", help="... of this unit (troops) ..."),
    place: str | None = typer.Option(None, "--place", help="... mentioned with this place or country."),
    webhook: str | None = typer.Option(None, "--webhook", help="POST each alert as JSON to this URL."),
    log: str | None = typer.Option(None, "--log", help="Append each alert to this file (JSON lines)."),
    db: str | None = DB,
) -> None:
    """Save a watch, e.g. `wirewatch watch add --type ASSAULT --country SDN --webhook http://...`."""
    from ..watch import add_watch

    with _store(db) as store:
        w = add_watch(store, {"type": type, "status": status, "country": country, "actor": actor,
                              "sector": sector, "text": text, "quantity_min": quantity_min, "unit": unit,
                              "place": place}, name=name, webhook=webhook, log_path=log)
    typer.echo(f"watch {w.id}: {w.name}")


@watch_app.command("list")
def list_cmd(db: str | None = DB, as_json: bool = typer.Option(False, "--json", help="JSON lines.")) -> None:
    """List the saved watches."""
    from ..watch import list_watches

    with _store(db) as store:
        ws = list_watches(store)
    for w in ws:
        if as_json:
            typer.echo(json.dumps(w.to_dict(), ensure_ascii=False))
        else:
            to = ", ".join(x for x in (w.webhook and f"webhook {w.webhook}", w.log_path and f"log {w.log_path}") if x)
            typer.echo(f"{w.id}\t{w.name}\t{w.query.describe()}\t{to or 'dashboard'}")
    if not ws and not as_json:
        typer.echo("no watches (add one with: wirewatch watch add --type ASSAULT --country SDN)", err=True)


@watch_app.command("remove")
def remove_cmd(watch_id: int = typer.Argument(..., help="The watch number (see `watch list`)."), db: str | None = DB) -> None:
    """Delete a watch and its alerts."""
    from ..watch import remove_watch

    with _store(db) as store:
        if not remove_watch(store, watch_id):
            typer.echo(f"error: no watch {watch_id} (see: wirewatch watch list)", err=True)
            raise typer.Exit(1)
    typer.echo(f"removed watch {watch_id}")


def alerts_cmd(
    limit: int = typer.Option(20, "--limit", "-n", help="How many, newest first."),
    watch_id: int | None = typer.Option(None, "--watch", help="Only this watch's alerts."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (the webhook payloads)."),
    db: str | None = DB,
) -> None:
    """Show the latest alerts raised by watches."""
    from ..watch import list_alerts

    with _store(db) as store:
        alerts = list_alerts(store, limit=limit, watch_id=watch_id)
    for a in alerts:
        if as_json:
            typer.echo(json.dumps(a.to_dict(), ensure_ascii=False))
            continue
        p = a.payload
        what = p["event"]["type"] if p.get("event") else (f"{p['quantity']['value']} {p['quantity']['unit'] or ''}"
                                                          if p.get("quantity") else "term")
        typer.echo(f"#{a.id} {a.created_at} [{p['watch']['name']}] {what} · {a.delivery}\n"
                   f"    {p['evidence']['text'][:200]}\n    {p['article'].get('title') or a.article_id}")
    if not alerts and not as_json:
        typer.echo("no alerts", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(watch_app, name="watch")
    app.command("alerts")(alerts_cmd)
