"""`wirewatch stories`, `story ID`, `recluster`, `fuse`: stories and fused events of a store."""

from __future__ import annotations

import json
from typing import Any

import typer

from ..errors import WirewatchError
from ..settings import load_settings


def _open(db: str | None) -> Any:
    from ..store import open_store

    return open_store(load_settings(db=db).db)


def stories_cmd(
    since: str | None = typer.Option(None, "--since", help="Only stories last seen on or after this ISO date."),
    query: str | None = typer.Option(None, "--search", "-q", help="Search story labels and article text."),
    limit: int = typer.Option(50, "--limit", help="Most stories to list."),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """List stories, most recently active first."""
    from .. import stories

    with _open(db) as store:
        found = (stories.search_stories(store, query, limit=limit) if query
                 else stories.list_stories(store, since=since, limit=limit))
    for s in found:
        if as_json:
            typer.echo(json.dumps({"id": s.id, "label": s.label, "actors": s.actors, "place": s.place,
                                   "first_seen": s.first_seen, "last_seen": s.last_seen,
                                   "n_articles": s.n_articles}, ensure_ascii=False))
        else:
            typer.echo(f"{s.id:>5}  {s.n_articles:>3} art.  {s.label}")
    if not found and not as_json:
        typer.echo("no stories (ingest articles first, or run `wirewatch recluster`)")


def story_cmd(
    story_id: int = typer.Argument(..., help="Story id, as listed by `wirewatch stories`."),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
    as_json: bool = typer.Option(False, "--json", help="Print the story as JSON."),
) -> None:
    """One story as a timeline: its articles and its fused events, by date."""
    from .. import fusion, stories

    with _open(db) as store:
        s = stories.get_story(store, story_id)
        if s is None:
            raise WirewatchError(f"no story with id {story_id} (see `wirewatch stories`)")
        recs = [r for r in (store.get_record(a) for a in s.article_ids) if r is not None]
        fused = fusion.fuse_story(store, story_id)
    if as_json:
        typer.echo(json.dumps({"id": s.id, "label": s.label, "first_seen": s.first_seen, "last_seen": s.last_seen,
                               "articles": [{"id": r.article.id, "title": r.article.title,
                                             "source": r.article.source, "published": r.article.published}
                                            for r in recs],
                               "fused_events": [f.to_dict() for f in fused]}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Story {s.id}: {s.label}\n")
    typer.echo("Articles")
    for r in recs:
        typer.echo(f"  {r.article.published or '          '}  {r.article.source or '?'}: {r.article.title or ''}")
    typer.echo("\nEvents (fused across reports, by date)")
    for f in sorted(fused, key=lambda f: (f.date or f.earliest or "", f.type)):
        who = ", ".join(f.actors) or "?"
        whom = f" -> {', '.join(f.targets)}" if f.targets else ""
        flag = f"  CONFLICT: {', '.join(f.conflicts)}" if f.conflicts else ""
        typer.echo(f"  {f.date or '(undated)':<10}  {f.type:<9} {f.status:<12} {who}{whom}"
                   f"{' @ ' + f.place if f.place else ''}  [{f.n_mentions} mentions, {f.n_articles} articles, "
                   f"{f.n_sources} sources, conf {f.confidence}]{flag}")
        for field, claims in f.claims.items():
            if field in f.conflicts or field not in ("date", "place"):
                vals = "; ".join(f"{c.value} ({', '.join(s or '?' for s in c.sources)})" for c in claims)
                typer.echo(f"      {field}: {vals}")


def recluster_cmd(
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
    window: int | None = typer.Option(None, "--window-days", help="Story window (default: story_window_days)."),
) -> None:
    """Rebuild every story from scratch, replaying the store in ingest order."""
    from .. import stories

    settings = load_settings(db=db, story_window_days=window)
    with _open(settings.db) as store:
        n = stories.recluster(store, stories.StoryConfig(window_days=settings.story_window_days))
    typer.echo(f"{n} stories")


def fuse_cmd(
    story_id: int | None = typer.Option(None, "--story", help="Only this story (default: all)."),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
) -> None:
    """Fuse the events of each story into one event per real-world event, and save them."""
    from .. import fusion

    with _open(db) as store:
        fused = fusion.fuse_store(store, story_ids=[story_id] if story_id is not None else None)
    multi = sum(1 for f in fused if f.n_articles > 1)
    conflicts = sum(1 for f in fused if f.conflicts)
    typer.echo(f"{len(fused)} fused events ({multi} reported by several articles, {conflicts} with conflicts)")


def register(app: typer.Typer) -> None:
    app.command("stories")(stories_cmd)
    app.command("story")(story_cmd)
    app.command("recluster")(recluster_cmd)
    app.command("fuse")(fuse_cmd)
