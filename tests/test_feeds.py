"""Feeds and page fetching, against a local HTTP server on 127.0.0.1 serving fixtures (never the internet)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wirewatch.read.feeds import FeedReader, Fetcher, FetchError, read_feed_list
from wirewatch.read.sources import ReadFailure, Sourced, iter_source

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
UA = "wirewatch/0.1 (+https://github.com/wirewatch/wirewatch)"


class FixtureServer:
    """Serves tests/fixtures/feeds with ETag/Last-Modified, plus pages that are too big, slow or missing."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, dict[str, str]]] = []
        self.etag = '"rss-v1"'
        self.modified = "Thu, 15 Apr 2021 22:00:00 GMT"
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                server.log.append((time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()}))
                server.handle(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> list[str]:
        return [p for _, p, _ in self.log]

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        if path == "/big.html":
            return self.send(h, 200, b"<html><body>" + b"<p>word word word</p>" * 10_000 + b"</body></html>")
        if path == "/big-stream.html":  # no Content-Length: the limit must hold while reading
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            for _ in range(200):
                h.wfile.write(b"<p>" + b"x" * 1000 + b"</p>")
            return None
        if path == "/slow.html":  # dribbles bytes: each read is quick, the whole page is not
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            try:
                for _ in range(30):
                    h.wfile.write(b"<p>" + b"slow " * 20_000 + b"</p>")
                    h.wfile.flush()
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        f = FIXTURES / path.lstrip("/")
        if not f.is_file() or FIXTURES.resolve() not in f.resolve().parents:
            return self.send(h, 404, b"not found")
        body = f.read_bytes()
        if f.suffix == ".xml":
            body = body.replace(b"{BASE}", self.base.encode())
            if path == "/rss.xml":
                if h.headers.get("If-None-Match") == self.etag or \
                        h.headers.get("If-Modified-Since") == self.modified:
                    return self.send(h, 304, b"")
                return self.send(h, 200, body, "application/rss+xml",
                                 {"ETag": self.etag, "Last-Modified": self.modified})
            return self.send(h, 200, body, "application/xml")
        ctype = "text/plain" if f.suffix == ".txt" else "text/html; charset=utf-8"
        return self.send(h, 200, body, ctype)

    @staticmethod
    def send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "text/html",
             headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if status != 304:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if status != 304:
            h.wfile.write(body)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FixtureServer()
    yield s
    s.close()


def fetcher(**kw: object) -> Fetcher:
    opts: dict = {"user_agent": UA, "timeout": 1.0, "max_bytes": 100_000, "host_delay": 0.0}
    opts.update(kw)
    return Fetcher(**opts)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- fetching ----------------------------------------------------------------------


def test_user_agent_names_wirewatch(server):
    resp = fetcher().fetch(server.base + "/a1.html")
    assert resp.status == 200 and b"Brussels" in resp.body
    assert all("wirewatch" in hdrs["user-agent"] for _, _, hdrs in server.log)
    with pytest.raises(ValueError, match="wirewatch"):
        Fetcher(user_agent="Mozilla/5.0")


def test_robots_txt_is_respected_and_cached(server):
    f = fetcher()
    with pytest.raises(FetchError, match="robots.txt"):
        f.fetch(server.base + "/private/secret.html")
    f.fetch(server.base + "/a1.html")
    f.fetch(server.base + "/a2.html")
    assert server.paths() == ["/robots.txt", "/a1.html", "/a2.html"]  # robots read once; secret never
    bad = Fetcher(user_agent="badbot-wirewatch-test/1.0", host_delay=0.0)
    assert not bad.allowed(server.base + "/a1.html")  # "User-agent: badbot / Disallow: /"


def test_politeness_delay_per_host(server):
    now = [0.0]
    slept: list[float] = []

    def sleep(d: float) -> None:
        slept.append(round(d, 3))
        now[0] += d

    f = fetcher(host_delay=2.0, clock=lambda: now[0], sleep=sleep)
    port = server.base.rsplit(":", 1)[1]
    f.fetch(server.base + "/a1.html")  # robots.txt, then the page: one delay
    now[0] += 0.5
    f.fetch(server.base + "/a2.html")  # 0.5 s later: waits the remaining 1.5 s
    f.fetch(f"http://localhost:{port}/a3.html")  # another host: its own robots.txt, no wait for 127.0.0.1
    assert slept == [2.0, 1.5, 2.0]
    assert [p for p in server.paths()] == ["/robots.txt", "/a1.html", "/a2.html", "/robots.txt", "/a3.html"]
    # and with the real clock
    f = fetcher(host_delay=0.3)
    start = time.monotonic()
    for p in ("/a1.html", "/a2.html"):
        f.fetch(server.base + p)
    assert time.monotonic() - start >= 0.6  # robots.txt, a1, a2: two waits


def test_conditional_requests(server):
    f = fetcher()
    first = f.fetch(server.base + "/rss.xml")
    assert first.status == 200 and first.headers["etag"] == '"rss-v1"'
    assert f.fetch(server.base + "/rss.xml", etag='"rss-v1"').status == 304
    assert f.fetch(server.base + "/rss.xml", last_modified=server.modified).status == 304
    assert server.log[-1][2]["if-modified-since"] == server.modified
    assert f.fetch(server.base + "/rss.xml", etag='"old"').status == 200


@pytest.mark.parametrize("path, problem", [
    ("/big.html", "over the 100,000-byte limit"),
    ("/big-stream.html", "over the 100,000-byte limit"),
    ("/missing.html", "HTTP 404"),
])
def test_limits_and_http_errors(server, path, problem):
    with pytest.raises(FetchError, match=problem):
        fetcher().fetch(server.base + path)


def test_time_limit(server):
    start = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 0.5 s|no answer"):
        fetcher(timeout=0.5, max_bytes=10_000_000).fetch(server.base + "/slow.html")
    assert time.monotonic() - start < 2.0


def test_unreachable_host():
    with pytest.raises(FetchError, match="unreachable|connection"):
        fetcher().fetch(f"http://127.0.0.1:{closed_port()}/a.html")
    with pytest.raises(FetchError, match="http"):
        fetcher().fetch("ftp://127.0.0.1/a.html")


# -- feeds -------------------------------------------------------------------------


def test_rss_feed_entries_become_articles(server):
    url = server.base + "/rss.xml"
    reader = FeedReader([(url, None, None)], fetcher())
    items = list(reader)
    ok = [i for i in items if isinstance(i, Sourced)]
    bad = [i for i in items if isinstance(i, ReadFailure)]
    assert [i.source_id for i in ok] == [server.base + p for p in ("/a1.html", "/a2.html", "/a1-copy.html")]
    a1 = ok[0].article
    assert a1.title == "Ministers meet in Brussels over troop withdrawal"
    assert a1.published == "2021-04-14T10:00:00+00:00"  # from the feed entry
    assert a1.url == server.base + "/a1.html" and ok[0].fetched_at
    assert [(b.source_id.rsplit("/", 1)[-1], b.stage) for b in bad] == [("secret.html", "fetch"),
                                                                        ("missing.html", "fetch")]
    assert "robots.txt" in bad[0].reason and "404" in bad[1].reason
    assert "/private/secret.html" not in server.paths()
    [u] = reader.updates
    assert (u.status, u.etag, u.last_modified, u.title) == ("200", '"rss-v1"', server.modified, "Fixture Wire: World")


def test_seen_entries_are_not_fetched(server):
    url = server.base + "/rss.xml"
    seen = {server.base + "/a1.html", server.base + "/a2.html"}
    items = list(FeedReader([(url, None, None)], fetcher(), seen=seen.__contains__))
    assert [i.source_id for i in items if isinstance(i, Sourced)] == [server.base + "/a1-copy.html"]
    assert "/a1.html" not in server.paths() and "/a2.html" not in server.paths()


def test_atom_and_not_modified(server):
    reader = FeedReader([(server.base + "/atom.xml", None, None), (server.base + "/rss.xml", '"rss-v1"', None)],
                        fetcher())
    items = list(reader)
    assert [i.source_id for i in items] == [server.base + "/a3.html"]
    assert items[0].article.published == "2021-04-16T07:00:00+00:00"
    assert [u.status for u in reader.updates] == ["200", "304"]


def test_malformed_feed_and_unreachable_feed_are_errors(server):
    dead = f"http://127.0.0.1:{closed_port()}/rss.xml"
    reader = FeedReader([(server.base + "/malformed.xml", '"keep"', None), (dead, None, None)], fetcher())
    items = list(reader)
    assert [(type(i).__name__, i.stage) for i in items] == [("ReadFailure", "feed"), ("ReadFailure", "feed")]
    assert "malformed feed" in items[0].reason and "unreachable" in items[1].reason
    assert [u.status.split(":")[0] for u in reader.updates] == ["error", "error"]
    assert reader.updates[0].etag is None  # validators are not replaced by a broken response


def test_url_source_feed_or_page(server):
    f = fetcher()
    page = list(iter_source(server.base + "/a2.html", fetcher=f))
    assert [type(i) for i in page] == [Sourced] and page[0].source_id == server.base + "/a2.html"
    feed = list(iter_source(server.base + "/atom.xml", fetcher=f))
    assert [i.source_id for i in feed] == [server.base + "/a3.html"]


def test_feed_list_file(tmp_path):
    p = tmp_path / "feeds.txt"
    p.write_text("# my feeds\nhttps://a.example/rss\n\n  http://b.example/atom.xml  # Asia desk\n")
    assert read_feed_list(p) == ["https://a.example/rss", "http://b.example/atom.xml"]
    p.write_text("a.example/rss\n")
    with pytest.raises(Exception, match="not an http"):
        read_feed_list(p)


# -- polling into the store, and the CLI -------------------------------------------------


def test_poll_feeds_into_store(server, store, extractor):
    from wirewatch.ingest import poll_feeds
    from wirewatch.settings import Settings

    settings = Settings(host_delay=0.0, fetch_timeout=2.0)
    f = Fetcher.from_settings(settings)  # shared between polls, as watch_feeds does: robots.txt read once
    rss, atom = server.base + "/rss.xml", server.base + "/atom.xml"
    store.add_feed(rss)
    store.add_feed(atom)
    s1 = poll_feeds(store, settings=settings, extractor=extractor, fetcher=f)
    assert (s1.stored, s1.near, s1.errors) == (3, 1, 2)  # a1, a2, a3; a1-copy linked; secret + missing
    [dup] = store.duplicates_of(store.search_articles("Brussels").items[0].id)
    assert dup.source_id == server.base + "/a1-copy.html" and dup.kind == "near"
    feeds = {f.url: f for f in store.list_feeds()}
    assert feeds[rss].etag == '"rss-v1"' and feeds[rss].title == "Fixture Wire: World"
    assert {e.stage for e in store.list_errors()} == {"fetch"}

    n = len(server.log)
    s2 = poll_feeds(store, settings=settings, extractor=extractor, fetcher=f)  # rss: 304; atom: entries already seen
    assert (s2.stored, s2.duplicates) == (0, 0)
    assert [p for p in server.paths()[n:]] == ["/rss.xml", "/atom.xml"]
    assert {f.url: f.last_status for f in store.list_feeds()} == {rss: "304", atom: "200"}

    server.etag = '"rss-v2"'  # the feed changed: its old entries are still known, the failed ones retried
    server.modified = "Fri, 16 Apr 2021 10:00:00 GMT"
    n = len(server.log)
    s3 = poll_feeds(store, settings=settings, extractor=extractor, fetcher=f)
    assert s3.stored == 0 and "/a1.html" not in server.paths()[n:]
    assert store.stats().articles == 3


def test_feeds_cli(tmp_path, server, extractor):
    import typer
    from typer.testing import CliRunner

    from wirewatch.cli import feeds

    app = typer.Typer()
    feeds.register(app)
    db = str(tmp_path / "cli.db")
    run = CliRunner().invoke
    lst = tmp_path / "list.txt"
    lst.write_text(f"{server.base}/atom.xml\n")
    r = run(app, ["feeds", "add", server.base + "/rss.xml", "--file", str(lst), "--db", db])
    assert r.exit_code == 0, r.output
    assert r.output.count("added") == 2
    r = run(app, ["feeds", "list", "--db", db])
    assert server.base + "/rss.xml" in r.output and "never polled" in r.output
    r = run(app, ["watch-feeds", "--once", "--db", db, "--host-delay", "0"])
    assert r.exit_code == 0, r.output
    assert "3 new" in r.output
    r = run(app, ["feeds", "remove", server.base + "/rss.xml", "--db", db])
    assert r.exit_code == 0 and "removed" in r.output
    r = run(app, ["feeds", "remove", server.base + "/rss.xml", "--db", db])
    assert r.exit_code == 1


def test_ingest_a_feed_url_twice_fetches_pages_once(server, tmp_path, extractor):
    from wirewatch.ingest import ingest
    from wirewatch.settings import Settings

    db = str(tmp_path / "url.db")
    settings = Settings(host_delay=0.0, fetch_timeout=2.0, db=db)
    first = ingest([server.base + "/rss.xml"], settings=settings, extractor=extractor)
    assert (first.stored, first.near, first.errors) == (2, 1, 2)
    n = len(server.log)
    again = ingest([server.base + "/rss.xml"], settings=settings, extractor=extractor)
    assert (again.stored, again.duplicates) == (0, 0)
    # only robots.txt, the feed and the two pages that failed before are requested again
    assert sorted(server.paths()[n:]) == ["/missing.html", "/robots.txt", "/rss.xml"]
