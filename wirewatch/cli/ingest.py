"""`wirewatch ingest SOURCE...`: analyse files, folders, archives and URLs into the store."""

from __future__ import annotations

import json

import typer

from ..settings import load_settings


def ingest_cmd(
    sources: list[str] = typer.Argument(..., help="Files, folders (recursive), .jsonl, .warc/.arc(.gz) or URLs."),
    db: str | None = typer.Option(None, "--db", help="Store URL: a SQLite file or postgresql://... [settings: db]"),
    workers: int = typer.Option(1, "--workers", "-w", min=0,
                                help="Extraction processes (0: analyse in this process)."),
    include: list[str] = typer.Option([], "--include", help="Only files matching this glob (repeatable)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Skip files matching this glob (repeatable)."),
    model: str | None = typer.Option(None, "--model", help="spaCy model name or path."),
    max_bytes: int | None = typer.Option(None, "--max-bytes", help="Largest input file accepted, in bytes."),
    no_dedup: bool = typer.Option(False, "--no-dedup", help="Analyse near-duplicates too (exact ones are never re-stored)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a live progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the final summary as JSON."),
    stories: bool = typer.Option(True, "--stories/--no-stories", help="Cluster stories as articles are stored."),
    use_kb: bool = typer.Option(True, "--kb/--no-kb",
                                help="Code untitled actors from what earlier stored articles said about them."),
) -> None:
    """Ingest articles: read, de-duplicate, extract and store, one transaction per article."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..hooks import analysis_hooks
    from ..ingest import IngestStats, ingest
    from ..store import open_store

    settings = load_settings(model=model, max_bytes=max_bytes, db=db)
    console = Console(stderr=True)
    store = open_store(settings.db)
    try:
        with analysis_hooks(store, stories=stories, kb=use_kb):
            if progress and console.is_terminal:
                cols = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
                with Progress(*cols, console=console, transient=False) as bar:
                    task = bar.add_task("starting ...", total=None)

                    def show(s: IngestStats) -> None:
                        bar.update(task, description=(
                            f"[bold]{s.stored:,}[/] stored · {s.rate:,.1f} articles/s · "
                            f"{s.duplicates:,} duplicates skipped · {s.unchanged:,} already stored · "
                            f"[red]{s.errors:,} errors[/]"))

                    stats = ingest(sources, db=store, settings=settings, workers=workers, include=include,
                                   exclude=exclude, dedup=not no_dedup, progress=show)
            else:
                stats = ingest(sources, db=store, settings=settings, workers=workers, include=include,
                               exclude=exclude, dedup=not no_dedup)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(stats.to_dict()))
    else:
        typer.echo(
            f"{stats.read:,} read: {stats.stored:,} new articles, {stats.duplicates:,} duplicates "
            f"({stats.exact:,} exact, {stats.near:,} near), {stats.unchanged:,} already stored, "
            f"{stats.errors:,} errors in {stats.elapsed:.1f} s ({stats.rate:.1f} articles/s) -> {settings.db}")
        if stats.errors:
            typer.echo("see the errors with: wirewatch stats --errors", err=True)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
