"""`wirewatch demo`: analyse the bundled sample corpus into the embedded store."""

from __future__ import annotations

import typer


def demo_cmd() -> None:
    """Run the main job on the bundled sample corpus."""
    from importlib.resources import files

    from ..nlp.pipeline import Extractor
    from ..read.files import read_file
    from .report import text_report

    sample = files("wirewatch") / "sample"
    ex = Extractor()
    arts = [read_file(str(p)) for p in sorted(sample.iterdir()) if p.name.endswith(".txt")]
    for rec in ex.extract_many(arts):
        typer.echo(text_report(rec))


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
