"""`wirewatch batch INPUT... --cluster ... --db URL | --out DIR`: ingest on a Dask cluster."""

from __future__ import annotations

import json

import typer

from ..settings import load_settings


def batch_cmd(
    inputs: list[str] = typer.Argument(..., help="Files, folders (recursive), .jsonl, .warc/.arc(.gz), .parquet."),
    cluster: str = typer.Option("local", "--cluster", "-c",
                                help="tcp://HOST:8786 (a running `dask scheduler`), local, or local:N workers."),
    db: str | None = typer.Option(None, "--db", help="Store the workers write into (postgresql://... for a cluster)."),
    out: str | None = typer.Option(None, "--out", help="Write part files here instead, for `wirewatch load`."),
    fmt: str = typer.Option("jsonl", "--format", help="Part file format with --out: jsonl or parquet."),
    partition_size: int = typer.Option(32, "--partition-size", min=1, help="Articles per Dask task."),
    retries: int = typer.Option(2, "--retries", min=0, help="Retries of a failed partition before it is reported."),
    include: list[str] = typer.Option([], "--include", help="Only files matching this glob (repeatable)."),
    exclude: list[str] = typer.Option([], "--exclude", help="Skip files matching this glob (repeatable)."),
    model: str | None = typer.Option(None, "--model", help="spaCy model name or path (installed on every worker)."),
    no_dedup: bool = typer.Option(False, "--no-dedup", help="Analyse near-duplicates too."),
    no_stories: bool = typer.Option(False, "--no-stories", help="Skip story clustering and fusion afterwards."),
    no_watches: bool = typer.Option(False, "--no-watches", help="Do not check the new articles against the watches."),
    use_kb: bool = typer.Option(True, "--kb/--no-kb",
                                help="Code untitled actors from what the store's articles said about them."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a live progress bar."),
    as_json: bool = typer.Option(False, "--json", help="Print the final summary as JSON."),
) -> None:
    """Run the ingest on a Dask cluster: the same extraction, records written by the workers."""
    from rich.console import Console

    from ..batch import BatchStats, connect, dashboard_link, run_batch
    from ..errors import ConfigError

    if (db is None) == (out is None):  # checked before a cluster is started for nothing
        raise ConfigError("batch: give either --db URL (workers write into it) or --out DIR (part files for "
                          "`wirewatch load`)")
    settings = load_settings(model=model)
    console = Console(stderr=True)
    kw = dict(db=db, out=out, fmt=fmt, settings=settings, partition_size=partition_size, retries=retries,
              dedup=not no_dedup, stories=not no_stories, watches=not no_watches, include=include,
              exclude=exclude, kb=use_kb)
    with connect(cluster) as client:
        if progress and console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[info]}"), TimeElapsedColumn(), console=console) as bar:
                task = bar.add_task("articles", total=None, info="starting workers ...")
                shown = {"dashboard": False}

                def show(s: BatchStats) -> None:
                    if s.dashboard and not shown["dashboard"]:
                        console.print(f"Dask dashboard: [link={s.dashboard}]{s.dashboard}[/link]")
                        shown["dashboard"] = True
                    i = s.ingest
                    failed = f" · [red]{len(s.failed)} failed parts[/]" if s.failed else ""
                    bar.update(task, completed=s.done, total=s.total, info=(
                        f"{i.rate:,.1f}/s · {i.errors:,} err{failed}"))

                stats = run_batch(inputs, client=client, progress=show, **kw)  # type: ignore[arg-type]
        else:
            if (link := dashboard_link(client)) is not None:
                console.print(f"Dask dashboard: {link}")
            stats = run_batch(inputs, client=client, **kw)  # type: ignore[arg-type]
    for f in stats.failed:
        console.print(f"[red]partition {f.index} ({f.articles} articles) failed:[/] {f.reason}")
    if as_json:
        typer.echo(json.dumps(stats.to_dict()))
    else:
        i = stats.ingest
        typer.echo(
            f"{i.read:,} read: {i.stored:,} new articles, {i.duplicates:,} duplicates ({i.exact:,} exact, "
            f"{i.near:,} near), {i.unchanged:,} already stored, {i.errors:,} errors, "
            f"{len(stats.failed)} failed partitions, on {stats.workers} workers in {i.elapsed:.1f} s "
            f"({i.rate:.1f} articles/s) -> {out or db}" + (f"; {stats.alerts:,} alerts" if stats.alerts else ""))
        if out:
            typer.echo(f"load it with: wirewatch load {out} --db URL", err=True)
    if stats.failed:
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_cmd)
