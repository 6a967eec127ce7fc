"""The bundled sample corpus: 14 fictional wire stories over five days (see README.md here).

Plain-text files carry no publication date, so `manifest.json` supplies one per
file; `sample_articles()` applies it, which is what the demo and tests want.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

from ..models import Article

SUFFIXES = (".txt", ".json", ".html")


def sample_dir() -> Path:
    return Path(str(files("wirewatch") / "sample"))


def manifest() -> dict[str, dict[str, str]]:
    """File name -> {"published", "story"}: the date to read it with and its expected story."""
    return json.loads((sample_dir() / "manifest.json").read_text("utf-8"))


def sample_paths() -> list[Path]:
    """The article files, in name order (which is also a plausible arrival order)."""
    return sorted(p for p in sample_dir().iterdir() if p.suffix in SUFFIXES and p.name != "manifest.json")


def sample_articles() -> Iterator[Article]:
    """Every sample article, read by the normal readers, with its manifest date."""
    from ..read.files import read_file

    meta = manifest()
    for p in sample_paths():
        yield read_file(p, published=meta.get(p.name, {}).get("published"))
