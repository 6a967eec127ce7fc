"""`wirewatch extract PATH...`: analyse article files and print their records."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path

import typer

from ..errors import InputError
from ..models import Article
from ..read.files import read_file
from ..settings import load_settings
from .report import text_report


class Format(StrEnum):
    json = "json"
    jsonl = "jsonl"
    text = "text"


def extract_cmd(
    paths: list[Path] = typer.Argument(..., help="Article files: .txt, .html or .json ('-' reads stdin)."),
    published: str | None = typer.Option(None, "--published", help="Publication date (ISO), overriding the file's."),
    fmt: Format = typer.Option(Format.json, "--format", "-f", help="json, jsonl or text (a readable report)."),
    model: str | None = typer.Option(None, "--model", help="spaCy model name or path."),
    max_bytes: int | None = typer.Option(None, "--max-bytes", help="Largest input accepted, in bytes."),
) -> None:
    """Extract entities, places, times, quantities, quotes and events from articles."""
    from ..nlp.pipeline import Extractor
    from ..read.files import read_bytes

    settings = load_settings(model=model, max_bytes=max_bytes)
    published = published or None
    articles: list[Article] = []
    failed = 0
    for p in paths:
        try:
            if str(p) == "-":
                articles.append(read_bytes(sys.stdin.buffer.read(), "<stdin>", published=published,
                                           max_bytes=settings.max_bytes))
            else:
                articles.append(read_file(p, published=published, max_bytes=settings.max_bytes))
        except InputError as e:
            typer.echo(f"error: {e}", err=True)
            failed += 1
    if articles:
        ex = Extractor(settings)
        for rec in ex.extract_many(articles):
            if fmt is Format.text:
                typer.echo(text_report(rec))
            elif fmt is Format.jsonl or len(articles) > 1:
                typer.echo(json.dumps(rec.to_dict(), ensure_ascii=False))
            else:
                typer.echo(json.dumps(rec.to_dict(), ensure_ascii=False, indent=2))
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_cmd)
