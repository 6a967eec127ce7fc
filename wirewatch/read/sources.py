"""Sources: turn paths, archives and URLs into a stream of articles, each with a stable source id.

A reader never raises for one bad input: it yields a `ReadFailure` with the
reason and goes on, so ingest records the error and the run continues.

Source ids (stable across runs, so a re-run recognises what it stored):
  file          the absolute path                  /data/news/a1.txt
  JSON Lines    path#L<line number>                /data/batch.jsonl#L12
  WARC / ARC    warc:<target URI>@<WARC-Date>      warc:https://x.org/a@2021-04-15T10:00:00Z
  web page      its URL                            https://x.org/a
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..models import Article
from ..settings import Settings, load_settings
from .files import article_from_mapping, read_bytes, read_file

if TYPE_CHECKING:
    from .feeds import Fetcher


@dataclass(frozen=True, slots=True)
class Sourced:
    """An article read from somewhere, with where (`source_id`) and when it was fetched."""

    article: Article
    source_id: str
    fetched_at: str | None = None


@dataclass(frozen=True, slots=True)
class ReadFailure:
    """An input that could not be read; ingest logs it in the store's errors table."""

    source_id: str
    reason: str
    stage: str = "read"  # read | fetch | feed


Item = Sourced | ReadFailure

ARTICLE_SUFFIXES = (".txt", ".text", ".html", ".htm", ".xhtml", ".json")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz")
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
SUPPORTED = ARTICLE_SUFFIXES + JSONL_SUFFIXES + WARC_SUFFIXES
CHUNK = 1 << 16


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(WARC_SUFFIXES):
        return "warc"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(ARTICLE_SUFFIXES):
        return "file"
    return None


def _matches(rel: str, patterns: Sequence[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    return any(fnmatch(rel, p) or fnmatch(name, p) for p in patterns)


def iter_files(root: str | Path, *, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Iterator[Path]:
    """Files under a folder, recursively and in a stable (sorted) order.

    With `include` globs only matching files are read, otherwise every file with a
    supported suffix; `exclude` globs win. Globs match the path relative to the
    root (`2021/*.html`) or the bare file name (`*.json`). Hidden files and
    folders are skipped.
    """
    root = Path(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            p = Path(dirpath) / fn
            rel = p.relative_to(root).as_posix()
            if include:
                if not _matches(rel, include):
                    continue
            elif _kind(p) is None:
                continue
            if exclude and _matches(rel, exclude):
                continue
            yield p


def read_path(path: Path, *, settings: Settings) -> Iterator[Item]:
    """Every article in one file: an article file, a JSON Lines file or a WARC/ARC archive."""
    kind = _kind(path)
    if kind == "warc":
        yield from read_warc(path, max_bytes=settings.max_bytes)
    elif kind == "jsonl":
        yield from read_jsonl(path, max_bytes=settings.max_bytes)
    else:
        sid = str(path.resolve())
        try:
            yield Sourced(read_file(path, max_bytes=settings.max_bytes), sid)
        except InputError as e:
            yield ReadFailure(sid, e.problem)


def read_jsonl(path: Path, *, max_bytes: int = 5_000_000) -> Iterator[Item]:
    """One article per line: objects with `text` and optional title, published, url, source, author."""
    import gzip

    base = str(path.resolve())
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        fh = opener(path, "rb")
    except OSError as e:
        yield ReadFailure(base, f"cannot open ({e.strerror or e})")
        return
    with fh:
        try:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                sid = f"{base}#L{n}"
                if len(raw) > max_bytes:
                    yield ReadFailure(sid, f"line is {len(raw):,} bytes, over the {max_bytes:,}-byte limit")
                    continue
                try:
                    obj = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as e:
                    yield ReadFailure(sid, f"invalid JSON ({e})")
                    continue
                if not isinstance(obj, dict):
                    yield ReadFailure(sid, "a JSON Lines row must be an object with a 'text' field")
                    continue
                try:
                    yield Sourced(article_from_mapping(obj, sid), sid)
                except InputError as e:
                    yield ReadFailure(sid, e.problem)
        except (OSError, EOFError, zlib.error) as e:
            yield ReadFailure(base, f"damaged or truncated file ({e})")


def read_warc(path: Path, *, max_bytes: int = 5_000_000) -> Iterator[Item]:
    """HTML responses of a WARC or ARC file (gzipped or not), with their URL and fetch date."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    base = str(path.resolve())
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the iterator needs it open
    except OSError as e:
        yield ReadFailure(base, f"cannot open ({e.strerror or e})")
        return
    with fh:
        n = 0
        try:
            for rec in ArchiveIterator(fh, arc2warc=True):
                wanted = rec.rec_type == "response" and rec.http_headers is not None
                if wanted:
                    ctype = (rec.http_headers.get_header("Content-Type") or "").lower()
                    status = rec.http_headers.get_statuscode()
                    wanted = "html" in ctype and str(status).startswith("2")
                data = rec.content_stream().read(max_bytes + 1) if wanted else b""
                # A record cut short by a truncated file: its reader runs dry before its declared length.
                while rec.raw_stream.read(CHUNK):
                    pass
                if getattr(rec.raw_stream, "limit", 0) > 0:
                    raise EOFError("a record ends before its declared length")
                if not wanted:
                    continue
                uri = rec.rec_headers.get_header("WARC-Target-URI") or f"{base}#{n}"
                date = rec.rec_headers.get_header("WARC-Date")
                sid = f"warc:{uri}@{date}"
                n += 1
                try:
                    art = read_bytes(data, sid, suffix=".html", url=uri, max_bytes=max_bytes)
                except InputError as e:
                    yield ReadFailure(sid, e.problem)
                    continue
                yield Sourced(art, sid, fetched_at=date)
        except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError, AttributeError, TypeError) as e:
            # warcio meets a cut-off or corrupt record in many ways; all mean "stop reading this file".
            yield ReadFailure(base, f"damaged or truncated archive after {n} page(s) ({type(e).__name__}: {e})")
            return
    # warcio ends quietly at a gzip member cut short, so check the compressed stream ran to its end.
    if (problem := _gzip_problem(path)) is not None:
        yield ReadFailure(base, f"damaged or truncated archive after {n} page(s) ({problem})")


def _gzip_problem(path: Path) -> str | None:
    import gzip

    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                return None  # not gzipped
        with gzip.open(path, "rb") as gz:
            while gz.read(CHUNK):
                pass
    except (EOFError, OSError, zlib.error) as e:
        return str(e)
    return None


def iter_source(spec: str, *, settings: Settings | None = None, include: Sequence[str] = (),
                exclude: Sequence[str] = (), fetcher: Fetcher | None = None,
                seen: Callable[[str], bool] | None = None) -> Iterator[Item]:
    """Everything one command-line source names: a file, a folder (recursively) or an http(s) URL.

    seen(url) -> True skips fetching a feed entry already stored (pass `Store.seen_source`).
    """
    settings = settings or load_settings()
    if spec.startswith(("http://", "https://")):
        from .feeds import Fetcher, read_url

        yield from read_url(spec, fetcher or Fetcher.from_settings(settings), seen=seen or (lambda u: False),
                            max_bytes=settings.fetch_max_bytes)
        return
    p = Path(spec)
    if p.is_dir():
        for f in iter_files(p, include=include, exclude=exclude):
            yield from read_path(f, settings=settings)
    elif p.exists():
        yield from read_path(p, settings=settings)
    else:
        yield ReadFailure(str(p.absolute()), "no such file or folder")


def iter_sources(specs: Iterable[str], *, settings: Settings | None = None, include: Sequence[str] = (),
                 exclude: Sequence[str] = (), fetcher: Fetcher | None = None,
                 seen: Callable[[str], bool] | None = None) -> Iterator[Item]:
    """All sources one after another (one fetcher, so politeness spans them all)."""
    settings = settings or load_settings()
    specs = list(specs)
    if fetcher is None and any(s.startswith(("http://", "https://")) for s in specs):
        from .feeds import Fetcher

        fetcher = Fetcher.from_settings(settings)
    for spec in specs:
        yield from iter_source(spec, settings=settings, include=include, exclude=exclude, fetcher=fetcher,
                               seen=seen)
