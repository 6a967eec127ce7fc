"""The bundled sample corpus: 28 fictional wire stories over five days (see README.md here).

23 article files (text, JSON, HTML) plus `pages.warc.gz`, a web archive of five
HTML pages (built by `scripts/build_sample_warc.py`). Plain-text files carry no
publication date, so `manifest.json` supplies one per file; `sample_articles()`
applies it, which is what the demo and tests want. WARC pages carry their own
date (`article:published_time`) and fetch time (`WARC-Date`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

from ..models import Article
from ..read.sources import Sourced

SUFFIXES = (".txt", ".json", ".html")
WARC = "pages.warc.gz"


def sample_dir() -> Path:
    return Path(str(files("wirewatch") / "sample"))


def manifest() -> dict[str, dict[str, str]]:
    """Sample key -> {"published", "story"}: the date to read it with and its expected story.

    The key is the file name for article files and the page URL for WARC pages (see `sample_key`).
    """
    return json.loads((sample_dir() / "manifest.json").read_text("utf-8"))


def sample_paths() -> list[Path]:
    """The article files, in name order (which is also a plausible arrival order)."""
    return sorted(p for p in sample_dir().iterdir() if p.suffix in SUFFIXES and p.name != "manifest.json")


def sample_key(article: Article) -> str:
    """An article's key in `manifest()`: its file name, or its URL if it came from the WARC."""
    path = article.path or ""
    if path.startswith("warc:"):
        return article.url or path
    return path.rsplit("/", 1)[-1]


def sample_items() -> Iterator[Sourced]:
    """Every sample article as a `Sourced` item: the files (source id `sample:<name>`), then the WARC pages."""
    from ..read.files import read_file
    from ..read.sources import ReadFailure, read_warc

    meta = manifest()
    for p in sample_paths():
        yield Sourced(read_file(p, published=meta.get(p.name, {}).get("published")), f"sample:{p.name}")
    for item in read_warc(sample_dir() / WARC):
        if isinstance(item, ReadFailure):  # a broken install; the sample is ours, so say so loudly
            raise RuntimeError(f"sample archive unreadable: {item.source_id}: {item.reason}")
        yield item


def sample_articles() -> Iterator[Article]:
    """Every sample article, read by the normal readers, with its manifest or page date."""
    for item in sample_items():
        yield item.article
