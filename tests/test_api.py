"""The REST API over a store filled by the real pipeline, on SQLite and PostgreSQL (`store_url` fixture).

The extractor improves while these tests stand, so they assert what must hold
whatever it finds: structure, filters agreeing with the data, pagination,
errors, auth and escaping - never a particular event count.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wirewatch.api.app import create_app
from wirewatch.models import PLOVER_TYPES, Article, ArticleRecord, Entity, Mention, Place
from wirewatch.read.files import article_from_mapping, text_id
from wirewatch.settings import load_settings
from wirewatch.store import open_store

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "test-token-123"


def load_articles() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "analyst_articles.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def records(extractor) -> list[ArticleRecord]:
    arts = [article_from_mapping(a, f"fixture{i}") for i, a in enumerate(load_articles())]
    return list(extractor.extract_many(arts))


@pytest.fixture
def filled(store_url, records):
    st = open_store(store_url)
    for r in records:
        st.put(r, source_id=r.article.url)
    yield st
    st.close()


def make_client(store, extractor=None, **settings) -> TestClient:
    s = load_settings(**{"api_token": TOKEN, **settings})
    app = create_app(store, settings=s, extractor_factory=(lambda: extractor) if extractor else None)
    return TestClient(app)


@pytest.fixture
def client(filled, extractor):
    with make_client(filled, extractor) as c:
        yield c


def all_events(client: TestClient, query: str = "") -> list[dict]:
    out, url = [], f"/api/events?limit=500{'&' + query if query else ''}"
    r = client.get(url)
    assert r.status_code == 200, r.text
    out += r.json()["items"]
    assert r.json()["next_cursor"] is None
    return out


# -- lists and filters ------------------------------------------------------------

def _namesake(i: int, country: str) -> ArticleRecord:
    """An article whose one actor and one place share their names with other articles' in other countries."""
    text = f"Jane Doe spoke in Springfield, {country} (story {i})."
    art = Article(text=text, title=f"story {i}", published="2021-04-15")
    art.id = text_id(text)
    return ArticleRecord(
        article=art,
        entities=[Entity(id="e1", name="Jane Doe", type="PERSON", country=country, sector="GOV",
                         mentions=[Mention(0, 8, "Jane Doe")])],
        places=[Place(id="p1", name="Springfield", country=country, lat=10.0 + i, lon=20.0,
                      mentions=[Mention(18, 29, "Springfield")])])


def test_lists_keep_one_name_in_several_countries_apart(store_url):
    st = open_store(store_url)
    for i, country in enumerate(("USA", "GBR", "AUS")):
        st.put(_namesake(i, country))
    try:
        with make_client(st) as c:
            for path, name in (("/api/actors", "Jane Doe"), ("/api/places", "Springfield")):
                want = [(name, "AUS"), (name, "GBR"), (name, "USA")]
                r = c.get(path)
                assert r.status_code == 200, r.text
                assert [(x["name"], x["country"]) for x in r.json()["items"]] == want
                walked, url = [], f"{path}?limit=2"
                while url:
                    body = c.get(url).json()
                    walked += [(x["name"], x["country"]) for x in body["items"]]
                    url = body["next"]
                assert walked == want
    finally:
        st.close()


def test_events_list_structure(client, records):
    events = all_events(client)
    assert len(events) == sum(len(r.events) for r in records)
    texts = {r.article.id: r.article.text for r in records}
    for ev in events:
        assert {"id", "article_id", "event_id", "type", "status", "date", "actors", "targets", "place",
                "trigger", "sentence", "article", "links"} <= set(ev)
        assert ev["type"] in PLOVER_TYPES
        text = texts[ev["article_id"]]
        assert text[ev["trigger"]["start"]:ev["trigger"]["end"]] == ev["trigger"]["text"]
        assert text[ev["sentence"]["start"]:ev["sentence"]["end"]] == ev["sentence"]["text"]
        assert ev["links"]["self"] == f"/api/events/{ev['article_id']}/{ev['event_id']}"
        for a in ev["actors"] + ev["targets"]:
            assert set(a) == {"id", "name", "type", "country", "sector"}


def test_cursor_pagination_is_complete_and_stable(client, filled, extractor):
    everything = [e["id"] for e in all_events(client)]
    assert len(everything) >= 3, "the fixture articles should yield a few events"
    seen, url, pages = [], "/api/events?limit=2", 0
    while url:
        body = client.get(url).json()
        seen += [e["id"] for e in body["items"]]
        url = body["next"]
        pages += 1
        if pages == 1:
            # An article arriving mid-walk must not shift the pages still to come.
            new = extractor.extract(article_from_mapping(
                {"text": "PARIS, May 2 - French police arrested 12 protesters in Lyon on Sunday.",
                 "published": "2021-05-03", "title": "Arrests in Lyon"}, "late"))
            filled.put(new)
    assert seen == everything
    assert len(set(seen)) == len(seen)
    assert pages == -(-len(everything) // 2)


def test_filters_agree_with_the_data(client):
    events = all_events(client)
    for t in {e["type"] for e in events}:
        got = all_events(client, f"type={t.lower()}")
        assert got and all(e["type"] == t for e in got)
        assert len(got) == sum(e["type"] == t for e in events)
    for s in {e["status"] for e in events}:
        assert all(e["status"] == s for e in all_events(client, f"status={s}"))
    countries = {a["country"] for e in events for a in e["actors"] + e["targets"] if a["country"]}
    for c in countries:
        got = all_events(client, f"country={c}")
        assert got
        for e in got:
            codes = {a["country"] for a in e["actors"] + e["targets"]} | {(e["place"] or {}).get("country")}
            assert c in codes
    named = next(a["name"] for e in events for a in e["actors"] if a["name"])
    frag = named[1:5].lower()
    for e in all_events(client, f"actor={frag}"):
        assert any(frag in a["name"].lower() for a in e["actors"] + e["targets"])
    sectors = {a["sector"] for e in events for a in e["actors"] + e["targets"] if a["sector"]}
    for sec in sectors:
        for e in all_events(client, f"sector={sec}"):
            assert any(a["sector"] == sec for a in e["actors"] + e["targets"])
    for e in all_events(client, "source=wire%20one"):
        assert e["article"]["source"] == "Wire One"
    dates = sorted((e["date"] or e["article"]["published"])[:10] for e in events)
    mid = dates[len(dates) // 2]
    early, late = all_events(client, f"until={mid}"), all_events(client, f"since={mid}")
    assert all((e["date"] or e["article"]["published"])[:10] <= mid for e in early)
    assert all((e["date"] or e["article"]["published"])[:10] >= mid for e in late)
    assert len(early) + len(late) >= len(events)


def test_full_text_and_radius_filters(client, records):
    events = all_events(client)
    for e in all_events(client, "q=Khartoum"):
        rec = next(r for r in records if r.article.id == e["article_id"])
        assert "khartoum" in (rec.article.text + (rec.article.title or "")).lower()
    located = [e for e in events if e["place"] and e["place"]["lat"] is not None]
    assert located, "some fixture events should have a resolved place"
    p = located[0]["place"]
    near = all_events(client, f"near={p['lat']},{p['lon']}&radius_km=50")
    assert located[0]["id"] in {e["id"] for e in near}
    for e in near:
        assert abs(e["place"]["lat"] - p["lat"]) < 1 and abs(e["place"]["lon"] - p["lon"]) < 1.5
    far = all_events(client, f"near={-p['lat']},{(p['lon'] + 180) % 360 - 180}&radius_km=50")
    assert located[0]["id"] not in {e["id"] for e in far}


def test_articles_search_and_detail(client, records):
    body = client.get("/api/articles?limit=2").json()
    assert len(body["items"]) == 2 and body["next_cursor"]
    hits = client.get("/api/articles?q=pension%20reform").json()["items"]
    assert [h["title"] for h in hits] == ["Thousands protest in Paris against pension reform"]
    rec = records[0]
    d = client.get(f"/api/articles/{rec.article.id}").json()
    assert {k: d[k] for k in rec.to_dict()} == json.loads(json.dumps(rec.to_dict()))
    assert d["meta"]["source_id"] == rec.article.url
    kinds = {h["kind"] for h in d["highlights"]}
    assert {"entity", "event"} <= kinds
    for h in d["highlights"]:
        assert 0 <= h["start"] < h["end"] <= len(rec.article.text)


def test_event_detail_has_evidence(client, records):
    rec = next(r for r in records if r.events)
    ev = rec.events[0]
    d = client.get(f"/api/events/{rec.article.id}/{ev.id}").json()
    assert d["type"] == ev.type and d["trigger"]["text"] == ev.trigger.text
    kinds = [s["kind"] for s in d["evidence"]]
    assert "trigger" in kinds
    for s in d["evidence"]:
        assert rec.article.text[s["start"]:s["end"]] == s["text"]


def test_aggregates(client, records):
    n_events = sum(len(r.events) for r in records)
    f = client.get("/api/facets").json()["facets"]
    assert sum(b["count"] for b in f["type"]) == n_events
    assert sum(b["count"] for b in f["status"]) == n_events
    assert {b["value"] for b in f["source"]} <= {r.article.source for r in records}
    tl = client.get("/api/timeline").json()["items"]
    assert tl and all(len(x["date"]) == 10 and x["count"] > 0 for x in tl)
    m = client.get("/api/map").json()
    assert m["points"] and all(-90 <= p["lat"] <= 90 and -180 <= p["lon"] <= 180 for p in m["points"])
    s = client.get("/api/stats").json()
    assert s["articles"] == len(records) and s["events"] == n_events
    actors = client.get("/api/actors?limit=500").json()["items"]
    assert actors and all(a["articles"] >= 1 for a in actors)
    names = [a["name"] for a in actors]
    assert names == sorted(names)
    walked, url = [], "/api/actors?limit=3"
    while url:
        b = client.get(url).json()
        walked += [(a["name"], a["country"]) for a in b["items"]]
        url = b["next"]
    assert walked == [(a["name"], a["country"]) for a in actors]
    who = next(a for a in actors if a["events"])
    d = client.get(f"/api/actors/{who['name']}").json()
    assert d["events"] and {"roles", "network", "codes"} <= set(d)
    assert client.get("/api/places?limit=500").json()["items"]
    quotes = client.get("/api/quotes?limit=500").json()["items"]
    assert len(quotes) == sum(len(r.quotes) for r in records)
    assert client.get("/api/stories").status_code == 200


# -- errors ------------------------------------------------------------------------

@pytest.mark.parametrize("url, status, field", [
    ("/api/events?type=EXPLODE", 400, "type"),
    ("/api/events?status=maybe", 400, "status"),
    ("/api/events?since=yesterday", 400, "since"),
    ("/api/events?near=1,2", 400, "radius_km"),
    ("/api/events?near=north&radius_km=5", 400, "near"),
    ("/api/events?cursor=not-a-cursor", 400, "cursor"),
    ("/api/events?limit=0", 400, "limit"),
    ("/api/events?limit=many", 400, "limit"),
    ("/api/articles/nope", 404, None),
    ("/api/events/nope/v1", 404, None),
    ("/api/actors/Nobody%20At%20All", 404, None),
    ("/api/watches/99", 404, None),
    ("/api/nothing-here", 404, None),
])
def test_errors_are_json_with_a_message(client, url, status, field):
    r = client.get(url)
    assert r.status_code == status
    err = r.json()["error"]
    assert err["status"] == status and len(err["message"]) > 5
    if field:
        assert err.get("field") == field


def test_html_errors_are_pages(client):
    r = client.get("/articles/nope")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "no article with id" in r.text


def test_openapi_is_valid(client):
    spec = client.get("/openapi.json").json()
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(spec)
    for path in ("/api/events", "/api/articles", "/api/actors", "/api/places", "/api/quotes", "/api/stories",
                 "/api/watches", "/api/alerts", "/api/events/{article_id}/{event_id}"):
        assert path in spec["paths"], path


# -- writes and auth -----------------------------------------------------------------

ARTICLE = {"title": "Clashes in El Fasher", "published": "2021-05-02", "source": "Test Wire",
           "text": "EL FASHER, May 1 - Sudanese troops attacked rebel fighters in El Fasher on Saturday, "
                   "residents said."}


def test_writes_need_the_token(filled, extractor):
    with make_client(filled, extractor) as c:
        assert c.post("/api/articles", json=ARTICLE).status_code == 401
        r = c.post("/api/articles", json=ARTICLE, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 403 and "not valid" in r.json()["error"]["message"]
        assert c.post("/api/watches", json={"type": "ASSAULT"}).status_code == 401
        assert c.delete("/api/watches/1").status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        r = c.post("/api/articles", json=ARTICLE, headers=auth)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["stored"] is True
        assert c.get(body["links"]["self"]).json()["article"]["title"] == ARTICLE["title"]
        assert c.post("/api/articles", json=ARTICLE, headers=auth).json()["stored"] is False
        r = c.post("/api/articles", json={"title": "no text"}, headers=auth)
        assert r.status_code == 400 and "text" in r.json()["error"]["message"]
        r = c.post("/api/articles", json={"url": "file:///etc/passwd"}, headers=auth)
        assert r.status_code == 400
    with make_client(filled, extractor, api_token=None) as c:
        r = c.post("/api/articles", json=ARTICLE, headers={"Authorization": "Bearer x"})
        assert r.status_code == 403 and "WIREWATCH_API_TOKEN" in r.json()["error"]["message"]


def test_closed_reads(filled, extractor):
    with make_client(filled, extractor, api_open_reads=False) as c:
        r = c.get("/api/events")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert c.get("/api/events", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/").status_code == 401
        assert c.post("/login", content=f"token={TOKEN}",
                      headers={"Content-Type": "application/x-www-form-urlencoded"},
                      follow_redirects=False).status_code == 303
        assert c.get("/").status_code == 200  # the login cookie


class _Page(BaseHTTPRequestHandler):
    body = (b"<html><head><title>Talks in Vienna</title></head><body><article><h1>Talks in Vienna</h1>"
            b"<p>VIENNA, June 3 - Iranian and European negotiators met in Vienna on Thursday to discuss "
            b"the nuclear agreement, diplomats said. The talks will resume next week, officials said.</p>"
            b"<p>Iran's foreign ministry said the United States must lift sanctions first.</p>"
            b"</article></body></html>")

    def do_GET(self):  # noqa: N802
        if self.path == "/robots.txt":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


def test_ingest_a_url(filled, extractor):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}/vienna.html"
    try:
        with make_client(filled, extractor, host_delay=0.0) as c:
            r = c.post("/api/articles", json={"url": url}, headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 201, r.text
            d = c.get(r.json()["links"]["self"]).json()
            assert d["article"]["url"] == url and "Vienna" in d["article"]["text"]
            r = c.post("/api/articles", json={"url": f"http://127.0.0.1:{srv.server_address[1] + 1 or 1}/x"},
                       headers={"Authorization": f"Bearer {TOKEN}"})
            assert r.status_code == 502 and "could not fetch" in r.json()["error"]["message"]
    finally:
        srv.shutdown()


def test_watches_api(filled, extractor):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with make_client(filled, extractor) as c:
        r = c.post("/api/watches", json={"name": "El Fasher", "text": "El Fasher"}, headers=auth)
        assert r.status_code == 201
        wid = r.json()["id"]
        assert c.post("/api/watches", json={"type": "BOMB"}, headers=auth).status_code == 400
        assert c.post("/api/watches", json={}, headers=auth).status_code == 400
        assert [w["id"] for w in c.get("/api/watches").json()["items"]] == [wid]
        posted = c.post("/api/articles", json=ARTICLE, headers=auth).json()
        assert len(posted["alerts"]) == 1
        alerts = c.get("/api/alerts").json()["items"]
        assert alerts[0]["watch"]["id"] == wid and "El Fasher" in alerts[0]["evidence"]["text"]
        assert c.delete(f"/api/watches/{wid}", headers=auth).json() == {"deleted": wid}
        assert c.get("/api/alerts").json()["items"] == []


# -- the dashboard ---------------------------------------------------------------------

def test_dashboard_pages_render(client, records):
    rec = next(r for r in records if r.events)
    for url in ("/", "/?type=ASSAULT", "/?q=Khartoum", "/actors", "/watches", "/stories",
                f"/articles/{rec.article.id}", f"/events/{rec.article.id}/{rec.events[0].id}",
                f"/actors/{rec.entities[0].name}"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "script-src 'self'" in r.headers["content-security-policy"]
    page = client.get(f"/articles/{rec.article.id}").text
    assert 'class="hl k-' in page and f'/events/{rec.article.id}/{rec.events[0].id}' in page
    assert client.get("/static/world.geojson").json()["type"] == "FeatureCollection"


def test_article_text_is_escaped(client, records):
    xss = next(r for r in records if "<script>" in r.article.text)
    for url in (f"/articles/{xss.article.id}", "/", f"/events/{xss.article.id}/{xss.events[0].id}"
                if xss.events else "/"):
        page = client.get(url).text
        assert "<script>window" not in page and "<img src=x" not in page
        assert "<b>Evil</b>" not in page
    page = client.get(f"/articles/{xss.article.id}").text
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert 'href="javascript:' not in page
    assert "&lt;script&gt;window.__xss_title=1&lt;/script&gt;" in page


def test_serve_command(tmp_path, records):
    """`wirewatch serve` starts a real server on 127.0.0.1 and answers (then is stopped by the test)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    db = str(tmp_path / "serve.db")
    with open_store(db) as st:
        st.put(records[0])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "wirewatch", "serve", "--db", db, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                body = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=2).read())
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.monotonic() < deadline, "serve did not answer within 60 s"
                time.sleep(0.2)
        assert body["articles"] == 1
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    finally:
        proc.terminate()
        proc.wait(10)
