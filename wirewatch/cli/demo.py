"""`wirewatch demo`: the main job on the bundled sample corpus, into the embedded store.

Reads the sample articles (text, JSON, HTML and a WARC archive) with their publication dates, ingests them
with de-duplication, clusters stories and fuses events as they are stored, then prints what
an analyst would look at first: stories, fused events with their sources and conflicts, counts.
"""

from __future__ import annotations

import typer


def demo_cmd(
    db: str = typer.Option("wirewatch-demo.db", "--db", help="Store URL (a SQLite file by default)."),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Extraction processes (0: in this process)."),
) -> None:
    """Analyse the bundled sample corpus into a store and summarise it."""
    from rich.console import Console
    from rich.table import Table

    from ..fusion import fuse_store
    from ..hooks import analysis_hooks
    from ..ingest import ingest_items
    from ..sample import sample_items
    from ..store import open_store
    from ..stories import list_stories

    console = Console(width=max(Console().width, 150))
    store = open_store(db)
    try:
        items = sample_items()
        with analysis_hooks(store), console.status("analysing the sample corpus ..."):
            stats = ingest_items(items, store, workers=workers)
        console.print(f"[bold]{stats.stored}[/] articles stored, {stats.duplicates} duplicates linked, "
                      f"{stats.errors} errors, {stats.elapsed:.1f} s -> {db}")
        fused = fuse_store(store)
        stories = list_stories(store, limit=20)
        table = Table(title="Stories")
        for col in ("id", "label", "first", "last", "articles"):
            table.add_column(col)
        for s in stories:
            table.add_row(str(s.id), s.label, str(s.first_seen or ""), str(s.last_seen or ""), str(s.n_articles))
        console.print(table)
        table = Table(title="Fused events (reported by two or more articles)")
        for col in ("type", "actors", "targets", "date", "status", "articles", "sources", "conflicts"):
            table.add_column(col)
        for f in sorted(fused, key=lambda f: -f.n_articles):
            if f.n_articles < 2:
                continue
            table.add_row(f.type, ", ".join(f.actors), ", ".join(f.targets), f.date or "", f.status,
                          str(f.n_articles), str(f.n_sources), "; ".join(f.conflicts))
        console.print(table)
        st = store.stats()
        console.print(f"{st.articles} articles, {st.entities} entities, {st.events} events, {st.quotes} quotes; "
                      f"events by type: " + ", ".join(f"{k} {v}" for k, v in st.by_type[:8]))
        console.print(f"Next: [bold]wirewatch serve --db {db}[/] and open http://127.0.0.1:8000")
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
