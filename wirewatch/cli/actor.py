"""`wirewatch actor NAME`: who an actor is, by the knowledge base built from the store."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from ..errors import WirewatchError
from ..settings import load_settings


def actor_cmd(
    name: str = typer.Argument(..., help="A name or alias: 'Antony Blinken', 'Blinken', 'Secretary Blinken'."),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
    kb_file: str | None = typer.Option(None, "--kb-file", help="User entries (TOML/JSON) that take priority."),
    as_json: bool = typer.Option(False, "--json", help="Print the profile as JSON."),
) -> None:
    """Role history, events as actor and target over time, co-occurring actors and quotes."""
    from ..kb import actor_profile, kb_from_store
    from ..store import open_store

    settings = load_settings(db=db, kb_file=kb_file)
    with open_store(settings.db) as store:
        kb = kb_from_store(store, settings.kb_file)
        p = actor_profile(store, name, kb)
    if p is None:
        raise WirewatchError(f"no actor known as {name!r} (or the name is ambiguous: try the full name)")
    if as_json:
        typer.echo(json.dumps(asdict(p), ensure_ascii=False, indent=2))
        return
    a = p.actor
    typer.echo(f"{a.name}  ({a.type}; {a.country or '?'} / {a.sector or '?'}"
               f"{'; from the user file' if a.from_user else ''})")
    if a.aliases:
        typer.echo(f"  also: {', '.join(a.aliases)}")
    typer.echo(f"  in {len(a.articles)} articles")
    typer.echo("\nRoles")
    for r in a.roles:
        span = r.first_reported if r.first_reported == r.last_reported else f"{r.first_reported} … {r.last_reported}"
        typer.echo(f"  {r.title} ({r.country or '?'}/{r.sector or '?'}), reported {span or '?'}")
    typer.echo("\nEvents")
    for e in p.events:
        other = f" {'->' if e.role == 'actor' else '<-'} {', '.join(e.others)}" if e.others else ""
        typer.echo(f"  {e.date or '(undated)':<10}  as {e.role:<6} {e.type:<9} {e.status}{other}: {e.sentence[:120]}")
    typer.echo("\nAppears with")
    for n, c in p.co_actors:
        typer.echo(f"  {n} ({c})")
    typer.echo("\nQuotes")
    for q in p.quotes:
        mark = '"' if q.direct else ""
        typer.echo(f"  {q.date or '':<10}  {mark}{q.text}{mark}")


def register(app: typer.Typer) -> None:
    app.command("actor")(actor_cmd)
