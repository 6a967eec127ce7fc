"""Polite fetching of feeds and pages: RSS/Atom with conditional requests, robots.txt, per-host delay.

`Fetcher` is the only thing that touches the network. It names wirewatch in
its user agent, honours robots.txt (and its Crawl-delay), waits between two
requests to the same host, and stops a page at a size and a time limit.
`FeedReader` polls feeds with ETag / Last-Modified and yields the linked
pages as articles; it collects each feed's new state in `updates`, which the
caller saves only after the articles are stored - so a crash re-polls instead
of skipping entries.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import InputError, WirewatchError
from ..settings import Settings
from .files import read_bytes
from .sources import Item, ReadFailure, Sourced

# Robots rules are re-read after a day, as crawlers commonly do (RFC 9309 suggests at most 24 h).
ROBOTS_TTL = 24 * 3600.0
CHUNK = 64 * 1024


class FetchError(WirewatchError):
    """A URL could not be fetched: unreachable, refused by robots.txt, too big, too slow, HTTP error."""

    def __init__(self, url: str, problem: str, *, status: int | None = None):
        self.url = url
        self.problem = problem
        self.status = status  # the HTTP status, when there was one
        super().__init__(f"{url}: {problem}")


@dataclass(frozen=True, slots=True)
class Response:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str]  # lower-cased names

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").lower()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Fetcher:
    """Fetches URLs politely; one instance per run so the per-host clock and robots cache are shared."""

    def __init__(self, *, user_agent: str, timeout: float = 20.0, max_bytes: int = 5_000_000,
                 host_delay: float = 2.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if "wirewatch" not in user_agent.lower():
            raise ValueError("the user agent must name wirewatch, so site owners know who is fetching")
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.host_delay = host_delay
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._robots: dict[str, tuple[float, urllib.robotparser.RobotFileParser]] = {}
        self._opener = urllib.request.build_opener()

    @classmethod
    def from_settings(cls, s: Settings) -> Fetcher:
        return cls(user_agent=s.user_agent, timeout=s.fetch_timeout, max_bytes=s.fetch_max_bytes,
                   host_delay=s.host_delay)

    # -- politeness -------------------------------------------------------

    def _wait(self, netloc: str, delay: float) -> None:
        last = self._last.get(netloc)
        if last is not None:
            wait = last + delay - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last[netloc] = self._clock()

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(origin)
        if cached and self._clock() - cached[0] < ROBOTS_TTL:
            return cached[1]
        rp = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            resp = self._get(origin + "/robots.txt", robots=False)
            rp.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        except FetchError as e:
            status = e.status
            if status in (401, 403) or (status is not None and status >= 500):
                rp.disallow_all = True  # RFC 9309: unreachable rules (5xx) mean "stay out"
            else:
                rp.allow_all = True  # no robots.txt (404) or host down: the page fetch reports that
        self._robots[origin] = (self._clock(), rp)
        return rp

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets wirewatch fetch this URL."""
        return self._robots_for(url).can_fetch(self.user_agent, url)

    def _delay_for(self, url: str) -> float:
        rp = self._robots.get("{0.scheme}://{0.netloc}".format(urlsplit(url)))
        crawl = rp[1].crawl_delay(self.user_agent) if rp else None
        return max(self.host_delay, float(crawl or 0))

    # -- fetching ---------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Response:
        """GET a URL (conditional when etag/last_modified are given; 304 comes back as a Response)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(url, "not an http(s) URL")
        if not self.allowed(url):
            raise FetchError(url, "disallowed by robots.txt")
        return self._get(url, etag=etag, last_modified=last_modified)

    def _get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
             robots: bool = True) -> Response:
        netloc = urlsplit(url).netloc
        self._wait(netloc, self._delay_for(url) if robots else self.host_delay)
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        req = urllib.request.Request(url, headers=headers)
        start = self._clock()
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                hdrs = {k.lower(): v for k, v in resp.headers.items()}
                length = hdrs.get("content-length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise FetchError(url, f"page is {int(length):,} bytes, over the {self.max_bytes:,}-byte limit")
                chunks: list[bytes] = []
                size = 0
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(url, f"page is over the {self.max_bytes:,}-byte limit")
                    if self._clock() - start > self.timeout:
                        raise FetchError(url, f"took longer than {self.timeout:g} s")
                    chunks.append(chunk)
                return Response(url=resp.geturl(), status=resp.status, body=b"".join(chunks), headers=hdrs)
        except urllib.error.HTTPError as e:
            if e.code == 304:
                return Response(url=url, status=304, body=b"", headers={k.lower(): v for k, v in e.headers.items()})
            raise FetchError(url, f"HTTP {e.code} {e.reason}", status=e.code) from e
        except urllib.error.URLError as e:
            raise FetchError(url, f"unreachable ({e.reason})") from e
        except TimeoutError as e:
            raise FetchError(url, f"no answer within {self.timeout:g} s") from e
        except (ConnectionError, OSError) as e:
            raise FetchError(url, f"connection failed ({e})") from e


# -- feeds ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """A feed's state after a poll, to save with `Store.update_feed` once its articles are stored."""

    url: str
    status: str
    polled_at: str
    etag: str | None = None
    last_modified: str | None = None
    title: str | None = None


def read_feed_list(path: str | Path) -> list[str]:
    """Feed URLs from a text file: one per line; blank lines and `#` comments ignored."""
    p = Path(path)
    try:
        lines = p.read_text("utf-8").splitlines()
    except OSError as e:
        raise InputError(str(p), f"cannot read feed list ({e.strerror or e})") from e
    urls = []
    for n, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if not line.startswith(("http://", "https://")):
            raise InputError(f"{p}:{n}", f"not an http(s) URL: {line!r}")
        urls.append(line)
    return urls


def _entry_date(entry: Any) -> str | None:
    st = entry.get("published_parsed") or entry.get("updated_parsed")
    if not st:
        return None
    return datetime(*st[:6], tzinfo=UTC).isoformat()


def looks_like_feed(resp: Response) -> bool:
    ct = resp.content_type
    if any(t in ct for t in ("rss", "atom", "/xml", "+xml")):
        return True
    head = resp.body[:500].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


@dataclass
class FeedReader:
    """Polls feeds and yields the new pages they link to, as articles.

    seen(url) -> True skips an entry without fetching it (the store's `seen_source`).
    After iterating, `updates` holds each feed's new state.
    """

    feeds: list[tuple[str, str | None, str | None]]  # (url, etag, last_modified)
    fetcher: Fetcher
    seen: Callable[[str], bool] = lambda url: False
    max_bytes: int = 5_000_000
    updates: list[FeedUpdate] = field(default_factory=list)
    _title: str | None = field(default=None, init=False, repr=False)
    _malformed: str | None = field(default=None, init=False, repr=False)

    def __iter__(self) -> Iterator[Item]:
        for url, etag, modified in self.feeds:
            yield from self.poll(url, etag=etag, last_modified=modified)

    def poll(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Iterator[Item]:
        polled = now_iso()
        try:
            resp = self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
        except FetchError as e:
            self.updates.append(FeedUpdate(url, status=f"error: {e.problem}", polled_at=polled))
            yield ReadFailure(url, e.problem, stage="feed")
            return
        if resp.status == 304:
            self.updates.append(FeedUpdate(url, status="304", polled_at=polled))
            return
        yield from self.entries(resp)
        if self._malformed:  # keep the old validators so the feed is fetched again next time
            self.updates.append(FeedUpdate(url, status=f"error: {self._malformed}", polled_at=polled))
            return
        self.updates.append(FeedUpdate(url, status=str(resp.status), polled_at=polled, etag=resp.headers.get("etag"),
                                       last_modified=resp.headers.get("last-modified"), title=self._title))

    def entries(self, resp: Response) -> Iterator[Item]:
        """Parse a fetched feed and fetch each new entry's page."""
        import feedparser

        parsed = feedparser.parse(resp.body, response_headers={"content-type": resp.content_type,
                                                                "content-location": resp.url})
        self._title = parsed.feed.get("title") if parsed.get("feed") else None
        self._malformed = None
        if not parsed.entries:
            if parsed.bozo:
                self._malformed = f"malformed feed ({parsed.bozo_exception})"
                yield ReadFailure(resp.url, self._malformed, stage="feed")
            return
        for entry in parsed.entries:
            link = entry.get("link")
            if not link:
                yield ReadFailure(f"{resp.url}#{entry.get('id') or entry.get('title')}", "feed entry has no link",
                                  stage="feed")
                continue
            link = urljoin(resp.url, link)
            if self.seen(link):
                continue
            yield self.page(link, published=_entry_date(entry), title=entry.get("title"))

    def page(self, url: str, *, published: str | None = None, title: str | None = None) -> Item:
        return fetch_page(self.fetcher, url, published=published, title=title, max_bytes=self.max_bytes)


def fetch_page(fetcher: Fetcher, url: str, *, published: str | None = None, title: str | None = None,
               max_bytes: int = 5_000_000) -> Item:
    """Fetch one page and read its article; failures come back as ReadFailure."""
    try:
        resp = fetcher.fetch(url)
    except FetchError as e:
        return ReadFailure(url, e.problem, stage="fetch")
    return page_item(resp, url, published=published, title=title, max_bytes=max_bytes)


def page_item(resp: Response, url: str, *, published: str | None = None, title: str | None = None,
              max_bytes: int = 5_000_000) -> Item:
    suffix = ".html" if "html" in resp.content_type else ""
    try:
        art = read_bytes(resp.body, url, suffix=suffix, url=resp.url, published=published, max_bytes=max_bytes)
    except InputError as e:
        return ReadFailure(url, e.problem, stage="fetch")
    if not art.title and title:
        art.title = title
    return Sourced(art, url, fetched_at=now_iso())


def read_url(url: str, fetcher: Fetcher, *, seen: Callable[[str], bool] = lambda u: False,
             max_bytes: int = 5_000_000) -> Iterator[Item]:
    """A URL given as a source: a feed (its entries' pages) or a single page."""
    try:
        resp = fetcher.fetch(url)
    except FetchError as e:
        yield ReadFailure(url, e.problem, stage="fetch")
        return
    if looks_like_feed(resp):
        yield from FeedReader([], fetcher, seen=seen, max_bytes=max_bytes).entries(resp)
    else:
        yield page_item(resp, url, max_bytes=max_bytes)
