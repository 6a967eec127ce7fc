"""Read one article from a file: plain text, HTML or JSON, in any common encoding."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..models import Article

BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def decode(data: bytes, source: str) -> str:
    """Decode bytes as UTF-8 (BOM or not), UTF-16, else cp1252; refuse binary."""
    if not data.strip():
        raise InputError(source, "empty input")
    for bom, enc in BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace").lstrip("\ufeff")
    # UTF-16 without BOM: every other byte is NUL for mostly-ASCII text.
    sample = data[:4000]
    if len(sample) >= 4 and sample.count(b"\x00") * 3 >= len(sample):
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        enc = "utf-16-le" if odd > even else "utf-16-be"
        try:
            text = data.decode(enc)
            if not _looks_binary(text):
                return text
        except UnicodeDecodeError:
            pass
    if b"\x00" in sample:
        raise InputError(source, "binary file, not text (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if _looks_binary(text):
        raise InputError(source, "binary file, not text (too many control characters)")
    return text


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    odd = sum(1 for ch in sample if unicodedata.category(ch) in {"Cc", "Cn", "Co", "Cs"} and ch not in "\n\r\t\f")
    return odd > 0.05 * max(len(sample), 1)


def normalise_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def text_id(text: str) -> str:
    """Article id: sha256 of the whitespace- and case-normalised text."""
    norm = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().lower()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


# "BRUSSELS:", "LUANDA, Angola —", "NAIROBI, Kenya (AP) —", "WASHINGTON (Reuters) -"
DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'\- ]{1,40}?(?:,\s*[A-Z][\w.' ]{1,30}?)?)"
    r"(?:\s*\((?P<agency>[A-Za-z.\- ]{1,20})\))?\s*(?::|—|–|--|-)\s+"
)


def find_dateline(body: str) -> tuple[str, int, int] | None:
    """The place of a dateline at the start of the body: (text, start, end), if any."""
    m = DATELINE.match(body)
    if not m:
        return None
    parts = m.group("place").split(",")
    head = parts[0].strip()
    if len(parts) > 1 and re.match(r"\s*(?:\d|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d)",
                                   parts[1]):
        # "BRUSSELS, April 15 -": the part after the comma is the date, not a country or state
        end = m.start("place") + len(parts[0].rstrip())
        return head, m.start("place"), end
    # The first word must be in capitals ("BRUSSELS", "NEW YORK"), not a sentence start.
    if not head or head.upper() != head or len(head) < 2:
        return None
    return m.group("place").strip(), m.start("place"), m.start("place") + len(m.group("place").strip())


def parse_plain(text: str) -> dict[str, Any]:
    """Split a reader's plain text into title, byline and body (see eval/dev for the shape)."""
    text = normalise_text(text).strip("\n")
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    title = byline = None
    if len(blocks) >= 2 and "\n" not in blocks[0].strip() and len(blocks[0]) < 300:
        title = blocks[0].strip()
        blocks = blocks[1:]
        first = blocks[0].strip() if blocks else ""
        if len(blocks) >= 2 and "\n" not in first and len(first.split()) <= 10 \
                and not re.search(r"[.!?\"”]$", first) and not find_dateline(first + " "):
            byline = first
            blocks = blocks[1:]
    body = "\n\n".join(b.strip("\n") for b in blocks)
    return {"title": title, "byline": byline, "text": body}


def article_from_parts(parts: dict[str, Any], source: str, published: str | None) -> Article:
    body = parts["text"]
    if not body.strip():
        raise InputError(source, "no article text found")
    byline = parts.get("byline")
    author = parts.get("author")
    src = parts.get("source")
    if byline:
        if byline.lower().startswith("by "):
            author = author or byline[3:].strip()
            src = src or author
        else:
            src = src or byline
    art = Article(
        text=body,
        title=parts.get("title"),
        source=src,
        url=parts.get("url"),
        published=published or parts.get("published"),
        author=author,
        path=source,
    )
    dl = find_dateline(body)
    if dl:
        from ..models import Span

        art.dateline_text, s, e = dl
        art.dateline_span = Span(s, e)
    art.id = text_id(body)
    return art


def parse_json(text: str, source: str) -> dict[str, Any]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(source, f"invalid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(obj, dict):
        raise InputError(source, "JSON article must be an object with a 'text' field")
    return parts_from_mapping(obj, source)


def parts_from_mapping(obj: dict[str, Any], source: str) -> dict[str, Any]:
    body = obj.get("text")
    if not isinstance(body, str) or not body.strip():
        raise InputError(source, "field 'text' is missing or empty")
    published = obj.get("published")
    if published is not None and not isinstance(published, str):
        raise InputError(source, f"field 'published' must be an ISO date string, got {published!r}")
    return {
        "title": obj.get("title"),
        "text": normalise_text(body).strip(),
        "published": published,
        "url": obj.get("url"),
        "source": obj.get("source"),
        "author": obj.get("author"),
    }


def _same_words(a: str, b: str) -> bool:
    return re.findall(r"\w+", a.lower()) == re.findall(r"\w+", b.lower())


def parse_html(text: str, source: str, url: str | None = None) -> dict[str, Any]:
    """Main text and metadata of an HTML page, with trafilatura."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_comments=False, favor_precision=True
    )
    if doc is None or not (doc.text or "").strip():
        raise InputError(source, "no article text found in HTML")
    body = normalise_text(doc.text).strip()
    first, _, rest = body.partition("\n")
    if doc.title and rest.strip() and _same_words(first, doc.title):
        # trafilatura keeps the page's <h1>; the title is a field of its own, as in text files.
        body = rest.strip()
    return {
        "title": doc.title,
        "text": body,
        "published": doc.date,
        "url": doc.url or url,
        "source": doc.sitename or doc.hostname,
        "author": doc.author,
    }


def sniff(text: str, suffix: str) -> str:
    head = text.lstrip()[:500].lower()
    if suffix in {".json"} or head.startswith("{"):
        return "json"
    if suffix in {".html", ".htm", ".xhtml"} or head.startswith(("<!doctype html", "<html")) \
            or ("<body" in head or "<head" in head):
        return "html"
    return "text"


def read_bytes(data: bytes, source: str, *, suffix: str = "", published: str | None = None,
               max_bytes: int = 5_000_000, url: str | None = None) -> Article:
    """Turn raw bytes into an Article, choosing the format from the suffix and content."""
    if len(data) > max_bytes:
        raise InputError(source, f"file is {len(data):,} bytes, over the {max_bytes:,}-byte limit "
                                 "(raise it with --max-bytes)")
    text = decode(data, source)
    kind = sniff(text, suffix.lower())
    if kind == "json":
        parts = parse_json(text, source)
    elif kind == "html":
        parts = parse_html(text, source, url)
    else:
        parts = parse_plain(text)
    if url and not parts.get("url"):
        parts["url"] = url
    return article_from_parts(parts, source, published)


def read_file(path: str | Path, *, published: str | None = None, max_bytes: int = 5_000_000) -> Article:
    """Read one article file (.txt, .html, .json) into an Article."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(str(p), f"file is {size:,} bytes, over the {max_bytes:,}-byte limit "
                                     "(raise it with --max-bytes)")
        data = p.read_bytes()
    except IsADirectoryError as e:
        raise InputError(str(p), "is a directory, not an article file") from e
    except FileNotFoundError as e:
        raise InputError(str(p), "no such file") from e
    except PermissionError as e:
        raise InputError(str(p), "permission denied") from e
    return read_bytes(data, str(p), suffix=p.suffix, published=published, max_bytes=max_bytes)


def article_from_mapping(obj: dict[str, Any], source: str, published: str | None = None) -> Article:
    """An Article from a JSON-like mapping (JSON Lines rows, API posts, Parquet rows)."""
    return article_from_parts(parts_from_mapping(obj, source), source, published)
