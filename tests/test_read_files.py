"""Reading articles: plain text with title/byline/dateline, HTML, JSON, encodings, bad input."""

from __future__ import annotations

import json

import pytest

from wirewatch.errors import InputError
from wirewatch.read.files import decode, find_dateline, read_bytes, read_file

PLAIN = (
    "Rebels agree truce\n\nBy Staff Reporter\n\n"
    "NAIROBI, Kenya (AP) — Kenyan police said on Monday that the talks had ended.\n"
    "A second paragraph follows."
)


def test_plain_text_splits_title_byline_and_body():
    art = read_bytes(PLAIN.encode(), "a.txt", suffix=".txt", published="2024-05-06")
    assert art.title == "Rebels agree truce"
    assert art.author == "Staff Reporter"
    assert art.text.startswith("NAIROBI, Kenya (AP) —")
    assert art.published == "2024-05-06"
    assert art.dateline_text == "NAIROBI, Kenya"
    assert art.text[art.dateline_span.start:art.dateline_span.end] == "NAIROBI, Kenya"
    assert len(art.id) == 64


def test_byline_without_by_is_the_source():
    art = read_bytes(b"Title here\n\n\nDM Monitoring\n\nBRUSSELS: NATO met.\nMore text.", "x.txt")
    assert art.source == "DM Monitoring"
    assert art.dateline_text == "BRUSSELS"


@pytest.mark.parametrize("body, expected", [
    ("BRUSSELS: NATO met.", "BRUSSELS"),
    ("LUANDA, Angola — The deal", "LUANDA, Angola"),
    ("WASHINGTON (Reuters) - The", "WASHINGTON"),
    ("NEW YORK — The council", "NEW YORK"),
    ("BRUSSELS, April 15 - NATO met", "BRUSSELS"),
    ("WASHINGTON, Sept. 3 (Reuters) - The", "WASHINGTON"),
    ("The minister said: nothing", None),
    ("NATO members met on Monday.", None),
])
def test_datelines(body, expected):
    found = find_dateline(body)
    assert (found[0] if found else None) == expected


def test_encodings_utf8_bom_utf16_cp1252():
    text = "Çavuşoğlu met “allies” in Türkiye"
    assert decode(b"\xef\xbb\xbf" + text.encode(), "f") == text
    assert decode(text.encode("utf-16"), "f") == text
    assert decode(text.encode("utf-16-le"), "f") == text
    assert decode("café “quoted”".encode("cp1252"), "f") == "café “quoted”"


def test_json_article_and_published_override(tmp_path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps({"title": "T", "text": "Body text here.", "published": "2021-01-02",
                             "url": "https://example.org/a", "source": "Example"}))
    art = read_file(p)
    assert (art.title, art.source, art.url, art.published) == ("T", "Example", "https://example.org/a", "2021-01-02")
    assert read_file(p, published="2022-02-02").published == "2022-02-02"


def test_html_article_via_trafilatura(tmp_path):
    body = " ".join(["The ministry said the talks in Geneva would resume next week."] * 6)
    html = (f"<html><head><title>Talks resume</title><meta name='author' content='Jane Doe'>"
            f"<meta property='article:published_time' content='2024-03-03'></head>"
            f"<body><nav>Home | World</nav><article><h1>Talks resume</h1><p>{body}</p></article></body></html>")
    p = tmp_path / "page.html"
    p.write_text(html)
    art = read_file(p)
    assert "Geneva" in art.text and "Home | World" not in art.text
    assert art.title == "Talks resume"
    assert art.published == "2024-03-03"
    assert art.text.startswith("The ministry said")  # the <h1> is the title, not the body's first line


@pytest.mark.parametrize("data, problem", [
    (b"", "empty input"),
    (b"   \n\n ", "empty input"),
    (b"\x00\x01\x02\x89PNG\x00\x00" * 20, "binary"),
    (b"{not json", "invalid JSON"),
    (b'{"title": "x"}', "'text' is missing"),
])
def test_bad_input_gives_one_line_error_naming_the_file(tmp_path, data, problem):
    p = tmp_path / "bad.json" if data.startswith(b"{") else tmp_path / "bad.txt"
    p.write_bytes(data)
    with pytest.raises(InputError) as e:
        read_file(p)
    assert str(p) in str(e.value) and problem in str(e.value) and "\n" not in str(e.value)


def test_oversized_input_is_refused(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("word " * 1000)
    with pytest.raises(InputError, match="over the 100-byte limit"):
        read_file(p, max_bytes=100)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_file(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="directory"):
        read_file(tmp_path)
