"""Readers: folders with globs, JSON Lines, WARC archives; bad input becomes a ReadFailure, never a crash."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from pathlib import Path

import pytest

from wirewatch.read.sources import ReadFailure, Sourced, iter_files, iter_source, iter_sources, read_warc
from wirewatch.settings import Settings

PAGES = Path(__file__).parent / "fixtures" / "feeds"
BODY = "LUANDA — Officials of the two governments met on Monday to sign a border agreement, a spokesman said."


def write(p: Path, text: str | bytes) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    write(root / "a.txt", f"Title A\n\n{BODY} A.")
    write(root / "2021" / "b.json", json.dumps({"title": "B", "text": BODY + " B.", "published": "2021-04-15"}))
    write(root / "2021" / "04" / "c.html", (PAGES / "a2.html").read_text())
    write(root / "2021" / "notes.md", "# not an article")
    write(root / ".hidden" / "d.txt", BODY)
    write(root / ".e.txt", BODY)
    write(root / "drafts" / "draft.txt", BODY + " draft")
    write(root / "empty.txt", "")
    return root


def rel(root: Path, paths) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_iter_files_recursive_sorted_with_globs(folder):
    assert rel(folder, iter_files(folder)) == ["a.txt", "empty.txt", "2021/b.json", "2021/04/c.html",
                                               "drafts/draft.txt"]  # hidden and unsupported files skipped
    assert rel(folder, iter_files(folder, exclude=["drafts/*", "empty.txt"])) == ["a.txt", "2021/b.json",
                                                                                "2021/04/c.html"]
    assert rel(folder, iter_files(folder, include=["*.json", "*.md"])) == ["2021/b.json", "2021/notes.md"]
    assert rel(folder, iter_files(folder, include=["2021/*"], exclude=["*.md"])) == ["2021/b.json",
                                                                                   "2021/04/c.html"]


def test_folder_source_yields_articles_and_failures(folder):
    items = list(iter_source(str(folder), exclude=["drafts/*"]))
    ok = {Path(i.source_id).name: i for i in items if isinstance(i, Sourced)}
    bad = [i for i in items if isinstance(i, ReadFailure)]
    assert set(ok) == {"a.txt", "b.json", "c.html"}
    assert ok["a.txt"].source_id == str((folder / "a.txt").resolve())  # stable: absolute path
    assert ok["a.txt"].article.title == "Title A"
    assert ok["b.json"].article.published == "2021-04-15"
    assert ok["c.html"].article.title == "Protesters fill Tbilisi avenue for third night"
    assert [(Path(b.source_id).name, b.reason) for b in bad] == [("empty.txt", "empty input")]


def test_missing_path_and_size_limit(tmp_path):
    [miss] = list(iter_source(str(tmp_path / "nope")))
    assert isinstance(miss, ReadFailure) and miss.reason == "no such file or folder"
    big = write(tmp_path / "big.txt", "word " * 100)
    [fail] = list(iter_source(str(big), settings=Settings(max_bytes=100)))
    assert isinstance(fail, ReadFailure) and "over the 100-byte limit" in fail.reason


def test_jsonl(tmp_path):
    rows = [json.dumps({"text": BODY + " one", "title": "One", "url": "https://x.org/1"}), "",
            "{not json", json.dumps([1, 2]), json.dumps({"title": "no text"}),
            json.dumps({"text": BODY + " two", "published": "2021-04-16"})]
    p = write(tmp_path / "batch.jsonl", "\n".join(rows) + "\n")
    gz = tmp_path / "batch.jsonl.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    for path in (p, gz):
        items = list(iter_source(str(path)))
        base = str(path.resolve())
        assert [(i.source_id, type(i).__name__) for i in items] == [
            (f"{base}#L1", "Sourced"), (f"{base}#L3", "ReadFailure"), (f"{base}#L4", "ReadFailure"),
            (f"{base}#L5", "ReadFailure"), (f"{base}#L6", "Sourced")]
        assert items[0].article.url == "https://x.org/1" and items[4].article.published == "2021-04-16"
        assert "invalid JSON" in items[1].reason and "'text'" in items[3].reason


def make_warc(path: Path, *, gz: bool = True) -> Path:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)

        def response(uri: str, body: bytes, ctype: str = "text/html; charset=utf-8", status: str = "200 OK",
                     date: str = "2021-04-15T10:00:00Z") -> None:
            headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(uri, "response", payload=BytesIO(body), http_headers=headers,
                                                warc_headers_dict={"WARC-Date": date}))

        w.write_record(w.create_warcinfo_record("fixture.warc", {"software": "tests"}))
        response("https://wire.example/a1", (PAGES / "a1.html").read_bytes())
        response("https://wire.example/logo.png", b"\x89PNG....", ctype="image/png")
        response("https://wire.example/gone", b"<html>not found</html>", status="404 Not Found")
        response("https://wire.example/a3", (PAGES / "a3.html").read_bytes(), date="2021-04-16T08:00:00Z")
        response("https://wire.example/empty", b"<html><head><title>x</title></head><body></body></html>")
    return path


def test_warc_html_responses_only(tmp_path):
    items = list(iter_source(str(make_warc(tmp_path / "crawl.warc.gz"))))
    assert [(i.source_id, type(i).__name__) for i in items] == [
        ("warc:https://wire.example/a1@2021-04-15T10:00:00Z", "Sourced"),
        ("warc:https://wire.example/a3@2021-04-16T08:00:00Z", "Sourced"),
        ("warc:https://wire.example/empty@2021-04-15T10:00:00Z", "ReadFailure")]
    a1 = items[0]
    assert a1.article.url == "https://wire.example/a1" and a1.fetched_at == "2021-04-15T10:00:00Z"
    assert a1.article.title == "Ministers meet in Brussels over troop withdrawal"
    assert "7,000 troops" in a1.article.text
    plain = list(iter_source(str(make_warc(tmp_path / "crawl.warc", gz=False))))
    assert [i.source_id for i in plain] == [i.source_id for i in items]  # ids do not depend on the file


@pytest.mark.parametrize("gz", [True, False])
def test_truncated_warc_keeps_what_it_read(tmp_path, gz):
    whole = make_warc(tmp_path / "whole.warc", gz=gz).read_bytes()
    cut = write(tmp_path / "cut.warc", whole[: int(len(whole) * 0.6)])
    items = list(read_warc(cut))
    assert isinstance(items[0], Sourced)
    assert isinstance(items[-1], ReadFailure) and "truncated" in items[-1].reason
    garbage = write(tmp_path / "garbage.warc.gz", b"\x1f\x8b\x08\x00garbage" * 10)
    [fail] = list(read_warc(garbage))
    assert isinstance(fail, ReadFailure) and fail.source_id == str(garbage.resolve())


def test_arc_file(tmp_path):
    """An old-style ARC file (v1): read through warcio's ARC-to-WARC conversion."""
    html = (PAGES / "a3.html").read_bytes()
    http = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + html
    filedesc_body = b"1 0 Fixture\nURL IP-address Archive-date Content-type Archive-length\n"
    header = f"filedesc://fixture.arc 0.0.0.0 20210416080000 text/plain {len(filedesc_body)}\n".encode()
    rec = f"https://wire.example/a3 127.0.0.1 20210416080000 text/html {len(http)}\n".encode()
    p = write(tmp_path / "old.arc", header + filedesc_body + b"\n" + rec + http + b"\n")
    [item] = list(iter_source(str(p)))
    assert isinstance(item, Sourced), item
    assert item.source_id.startswith("warc:https://wire.example/a3@2021-04-16")
    assert item.article.title == "Aid flights resume to quake-hit western Nepal"


def test_iter_sources_chains(folder, tmp_path):
    p = write(tmp_path / "one.txt", BODY)
    items = list(iter_sources([str(p), str(folder / "a.txt")]))
    assert [type(i) for i in items] == [Sourced, Sourced]
