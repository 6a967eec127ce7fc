"""Read queries behind the API, the dashboard and the exports, written once for both store back ends.

The Store interface covers articles and events with the common filters; the
analyst surfaces also need sector and radius filters, full-text search on
events, facets, timelines, map points and actor aggregates. Those live here as
plain SQL over the store's normalised tables (`?` placeholders, portable
between SQLite and PostgreSQL), so the store itself stays small. They go
through the store's public `read` and `text_match`, and take the filter
conditions `Filters` covers from the store's own builders (`store.sql`), so a
filter means the same in the library and in the API.
"""

from __future__ import annotations

import base64
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import WirewatchError
from ..models import PLOVER_TYPES, SECTORS, STATUSES, ArticleRecord
from ..store.base import Filters, Store
from ..store.sql import Where, article_conditions, event_conditions

Row = tuple[Any, ...]

# Kilometres per degree of latitude (mean Earth radius 6371 km * pi / 180).
KM_PER_DEG = 111.195
MAX_LIMIT = 500


class QueryError(WirewatchError):
    """A query parameter has a value wirewatch cannot use; `field` names it."""

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def read(store: Store, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """Run a read-only statement (`Store.read`: it never waits for ingest's write transaction)."""
    return store.read(sql, params)


def _iso_day(field: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    v = value.strip()
    ok = len(v) >= 4 and v[:4].isdigit() and all(
        part.isdigit() for part in v[:10].split("-")) and len(v[:10].split("-")) <= 3
    if not ok:
        raise QueryError(field, f"expected an ISO date like 2021-04-15, got {value!r}")
    return v[:10]


# The coded filters: the field, how its case is folded, the codes it takes and the error's wording.
_CODES: tuple[tuple[str, Callable[[str], str], Sequence[str], str], ...] = (
    ("type", str.upper, PLOVER_TYPES, "is not a PLOVER type ({})"),
    ("status", str.lower, STATUSES, "is not one of {}"),
    ("sector", str.upper, SECTORS, "is not one of {}"),
)


@dataclass(frozen=True, slots=True)
class Query:
    """One set of filters, shared by every list endpoint, the exports and the dashboard.

    Strings match as documented in `store.base.Filters`; `sector` is an actor or
    target sector; `near` + `radius_km` keep events whose place lies within the
    radius (articles: any place of the article). `q` is full-text over the article.
    """

    q: str | None = None
    actor: str | None = None
    country: str | None = None
    sector: str | None = None
    type: str | None = None
    status: str | None = None
    since: str | None = None
    until: str | None = None
    place: str | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    source: str | None = None
    actor_exact: str | None = None  # exact (case-insensitive) name, for the actor view

    @classmethod
    def parse(cls, **raw: Any) -> Query:
        """Validate raw strings (from a URL, the CLI or a watch) into a Query; QueryError names the bad field."""
        v: dict[str, Any] = {k: (x.strip() if isinstance(x, str) else x) for k, x in raw.items()
                             if x is not None and x != ""}
        unknown = set(v) - {f.name for f in fields(cls)}
        if unknown:
            raise QueryError(sorted(unknown)[0], "unknown filter")
        for key, case, allowed, problem in _CODES:
            if key in v:
                v[key] = case(str(v[key]))
                if v[key] not in allowed:
                    raise QueryError(key, f"{raw[key]!r} {problem.format(', '.join(allowed))}")
        if "country" in v:
            v["country"] = str(v["country"]).upper()
        for k in ("since", "until"):
            if k in v:
                v[k] = _iso_day(k, str(v[k]))
        if "near" in v and not isinstance(v["near"], tuple):
            try:
                lat_s, lon_s = str(v["near"]).split(",")
                lat, lon = float(lat_s), float(lon_s)
            except ValueError as e:
                raise QueryError("near", f"expected 'lat,lon' in decimal degrees, got {raw['near']!r}") from e
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise QueryError("near", f"{raw['near']!r} is outside -90..90, -180..180")
            v["near"] = (lat, lon)
        if "radius_km" in v:
            try:
                v["radius_km"] = float(v["radius_km"])
            except (TypeError, ValueError) as e:
                raise QueryError("radius_km", f"expected a number of kilometres, got {raw['radius_km']!r}") from e
            if not 0 < v["radius_km"] <= 20_000:
                raise QueryError("radius_km", "must be between 0 and 20000")
        if ("near" in v) != ("radius_km" in v):
            raise QueryError("near" if "near" not in v else "radius_km", "near and radius_km go together")
        return cls(**v)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        if "near" in d:
            d["near"] = f"{d['near'][0]},{d['near'][1]}"
        return d

    def with_(self, **kw: Any) -> Query:
        return replace(self, **kw)


# -- cursors ------------------------------------------------------------------

def encode_cursor(*key: Any) -> str:
    """An opaque, URL-safe cursor holding the sort key of the last row of a page."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, n: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError as e:
        raise QueryError("cursor", "invalid cursor: pass back a next_cursor from a previous page") from e
    if not isinstance(key, list) or len(key) != n:
        raise QueryError("cursor", "invalid cursor: pass back a next_cursor from a previous page")
    return key


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def _after(w: Where, after: Sequence[Any] | None, ord_col: str) -> None:
    """Keyset paging over (article seq descending, `ord_col` ascending): only rows past the key `after`."""
    if after:
        w.add(f"(a.seq < ? OR (a.seq = ? AND {ord_col} > ?))", after[0], after[0], after[1])


def _next_cursor(rows: list[Row], limit: int, *key: int) -> str | None:
    """The cursor of the next page, from the `key` columns of its last row; None on the last page
    (pages fetch `limit + 1` rows, so an extra row is how we know there is more)."""
    return encode_cursor(*(int(rows[limit - 1][c]) for c in key)) if len(rows) > limit else None


# -- WHERE clauses ------------------------------------------------------------

def _near(q: Query, alias: str) -> tuple[str, list[Any]]:
    """A radius test with only arithmetic (both back ends): equirectangular distance, exact enough
    for radii of a few hundred km away from the poles; longitudes are not wrapped at +-180."""
    assert q.near and q.radius_km
    lat0, lon0 = q.near
    k = math.cos(math.radians(lat0))
    r = (q.radius_km / KM_PER_DEG) ** 2
    sql = (f"{alias}.lat IS NOT NULL AND (({alias}.lat - ?) * ({alias}.lat - ?) + "
           f"(({alias}.lon - ?) * ?) * (({alias}.lon - ?) * ?)) <= ?")
    return sql, [lat0, lat0, lon0, k, lon0, k, r]


def _filters(q: Query) -> Filters:
    """The part of a Query the store's own `Filters` covers."""
    return Filters(**{f.name: getattr(q, f.name) for f in fields(Filters)})


def _extras(store: Store, q: Query) -> dict[str, Any]:
    """The filters of a Query beyond `Filters`, as the store's condition builders take them."""
    return {"text": store.text_match(q.q) if q.q else None, "sector": q.sector, "actor_exact": q.actor_exact,
            "near": _near(q, "p") if q.near else None}


def _event_where(store: Store, q: Query) -> Where:
    # SQLite: pin the plan so each article's events are probed by primary key (see `event_conditions`).
    return event_conditions(_filters(q), pin_plan=store.dialect == "sqlite", **_extras(store, q))


def _article_where(store: Store, q: Query) -> Where:
    return article_conditions(_filters(q), **_extras(store, q))


def event_where(store: Store, q: Query) -> tuple[list[str], list[Any]]:
    """WHERE conditions over `events v JOIN articles a`."""
    w = _event_where(store, q)
    return w.conds, w.params


def article_where(store: Store, q: Query) -> tuple[list[str], list[Any]]:
    """WHERE conditions over `articles a`: an article matches if it has a matching entity/place/event."""
    w = _article_where(store, q)
    return w.conds, w.params


# -- events -------------------------------------------------------------------

_EVENT_COLS = ("SELECT v.article_id, v.id, a.seq, v.ord, v.type, v.mode, v.status, v.date, v.confidence, "
               "v.place, v.time, v.trigger_start, v.trigger_end, v.trigger_text, v.sentence_start, "
               "v.sentence_end, substr(a.text, v.sentence_start + 1, v.sentence_end - v.sentence_start), "
               "a.title, a.source, a.published, a.url FROM articles a CROSS JOIN events v")
# SQLite keeps the written join order for CROSS JOIN: walking articles newest first (seq is the rowid) and
# probing each one's events by primary key returns a page after reading about a page of rows, where the
# planner's own choice (scan all events, sort) costs a full sort per request. PostgreSQL plans freely.
_JOIN = "v.article_id = a.id"
_SEQ_ORD = (2, 3)  # the key columns of an event row: article seq, event ordinal


def _event_rows(store: Store, q: Query, limit: int, after: Sequence[Any] | None) -> list[Row]:
    w = _event_where(store, q)
    _after(w, after, "v.ord")
    return read(store, _EVENT_COLS + w.clause(_JOIN) + " ORDER BY a.seq DESC, v.ord LIMIT ?", [*w.params, limit])


def _event_dicts(store: Store, rows: list[Row]) -> list[dict[str, Any]]:
    """Turn event rows into API dicts, resolving actors, targets and places with one query per table."""
    aids = sorted({r[0] for r in rows})
    ents: dict[tuple[str, str], dict[str, Any]] = {}
    places: dict[tuple[str, str], dict[str, Any]] = {}
    args: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    if aids:
        marks = ", ".join("?" * len(aids))
        for aid, eid, name, typ, country, sector in read(
                store, f"SELECT article_id, id, name, type, country, sector FROM entities "
                       f"WHERE article_id IN ({marks})", aids):
            ents[aid, eid] = {"id": eid, "name": name, "type": typ, "country": country, "sector": sector}
        for aid, pid, name, country, lat, lon, gid, feature in read(
                store, f"SELECT article_id, id, name, country, lat, lon, geonameid, feature FROM places "
                       f"WHERE article_id IN ({marks})", aids):
            places[aid, pid] = {"id": pid, "name": name, "country": country,
                                "lat": None if lat is None else float(lat),
                                "lon": None if lon is None else float(lon),
                                "geonameid": None if gid is None else int(gid), "feature": feature}
        for aid, vid, role, eid in read(
                store, f"SELECT article_id, event_id, role, entity_id FROM event_args "
                       f"WHERE article_id IN ({marks}) ORDER BY article_id, event_id, role, ord", aids):
            args[aid, vid, role].append(eid)
    out = []
    for (aid, vid, _seq, _ord, typ, mode, status, date, conf, place, time, ts, te, tt, ss, se, sent,
         title, source, published, url) in rows:
        def who(role: str, aid: str = aid, vid: str = vid) -> list[dict[str, Any]]:
            return [ents.get((aid, e), {"id": e, "name": e, "type": None, "country": None, "sector": None})
                    for e in args.get((aid, vid, role), [])]

        out.append({
            "id": f"{aid}/{vid}", "article_id": aid, "event_id": vid, "type": typ, "mode": mode,
            "status": status, "date": date, "confidence": round(float(conf), 4),
            "actors": who("actor"), "targets": who("target"),
            "place": places.get((aid, place)) if place else None, "time": time,
            "trigger": {"start": int(ts), "end": int(te), "text": tt},
            "sentence": {"start": int(ss), "end": int(se), "text": sent or ""},
            "article": {"id": aid, "title": title, "source": source, "published": published, "url": url},
        })
    return out


def _event_batches(store: Store, q: Query, size: int, total: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Every matching event (at most `total`) in page order, `size` at a time, each batch read after the last."""
    after: list[int] | None = None
    left = total
    while left is None or left > 0:
        n = size if left is None else min(size, left)
        rows = _event_rows(store, q, n, after)
        if rows:
            yield _event_dicts(store, rows)
        if len(rows) < n:
            return
        after = [int(rows[-1][c]) for c in _SEQ_ORD]
        left = None if left is None else left - n


def events_page(store: Store, q: Query, *, limit: int = 50, cursor: str | None = None
                ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of events, newest article first then in article order; cursors stay valid as articles arrive."""
    limit = _limit(limit)
    rows = _event_rows(store, q, limit + 1, decode_cursor(cursor, 2))
    return _event_dicts(store, rows[:limit]), _next_cursor(rows, limit, *_SEQ_ORD)


def iter_events(store: Store, q: Query, *, batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every matching event, streamed a page at a time (exports)."""
    for items in _event_batches(store, q, batch):
        yield from items


def count_events(store: Store, q: Query) -> int:
    w = _event_where(store, q)
    return int(read(store, "SELECT count(*) FROM events v JOIN articles a ON a.id = v.article_id" + w.clause(),
                    w.params)[0][0])


# Aggregates (facets, timeline, map) count the most recent SAMPLE matching events, so the dashboard
# stays interactive over a large store (~0.1-0.3 s at 100k events on 2 cores); `sampled` says when the
# cap was reached. Filtered views (a type, a country, a search) usually fall under it and are exact.
SAMPLE = 10_000


def _matching(store: Store, q: Query, cap: int) -> tuple[str, list[Any]]:
    """A `WITH m AS (...)` prefix: the newest `cap` events matching `q`, one row per event."""
    w = _event_where(store, q)
    return ("WITH m AS MATERIALIZED (SELECT v.article_id AS aid, v.id AS vid, v.type AS type, v.status AS status, "
            "a.source AS source, v.place AS place, substr(coalesce(v.date, a.published), 1, 10) AS day "
            f"FROM articles a CROSS JOIN events v{w.clause(_JOIN)} ORDER BY a.seq DESC LIMIT ?) "), [*w.params, cap]


def facets(store: Store, q: Query, *, top: int = 12, cap: int = SAMPLE) -> dict[str, Any]:
    """Event counts by type, status, country (actor, target or place) and source under the current filters."""
    cte, p = _matching(store, q, cap)
    rows = read(store, cte + (
        "SELECT 'type', type, count(*) FROM m GROUP BY type "
        "UNION ALL SELECT 'status', status, count(*) FROM m GROUP BY status "
        "UNION ALL SELECT 'source', source, count(*) FROM m GROUP BY source "
        "UNION ALL SELECT 'country', k, count(*) FROM ("
        "SELECT m.aid, m.vid, e.country AS k FROM m CROSS JOIN event_args x CROSS JOIN entities e "
        "WHERE x.article_id = m.aid AND x.event_id = m.vid AND e.article_id = x.article_id AND e.id = x.entity_id "
        "UNION SELECT m.aid, m.vid, pl.country FROM m CROSS JOIN places pl "
        "WHERE pl.article_id = m.aid AND pl.id = m.place"
        ") c GROUP BY k "
        "UNION ALL SELECT 'total', NULL, count(*) FROM m"), p)
    out: dict[str, Any] = {"type": [], "status": [], "country": [], "source": []}
    total = 0
    for facet, value, n in rows:
        if facet == "total":
            total = int(n)
        elif value is not None:
            out[facet].append({"value": value, "count": int(n)})
    for k in ("type", "status", "country", "source"):
        out[k] = sorted(out[k], key=lambda b: (-b["count"], str(b["value"])))[:top]
    out["sampled"] = total >= cap
    return out


def timeline(store: Store, q: Query, *, cap: int = SAMPLE) -> list[dict[str, Any]]:
    """Event counts per day and type (event date, else the article's published date)."""
    cte, p = _matching(store, q, cap)
    rows = read(store, cte + "SELECT day, type, count(*) FROM m WHERE length(day) = 10 GROUP BY day, type "
                             "ORDER BY day, type", p)
    return [{"date": d, "type": t, "count": int(n)} for d, t, n in rows]


def map_points(store: Store, q: Query, *, top: int = 1000, cap: int = SAMPLE) -> dict[str, Any]:
    """Event locations (aggregated per place) and event counts per place country."""
    cte, p = _matching(store, q, cap)
    join = " FROM m JOIN places pl ON pl.article_id = m.aid AND pl.id = m.place"
    pts = read(store, cte + f"SELECT pl.name, pl.country, pl.lat, pl.lon, count(*) AS n{join} "
                            "WHERE pl.lat IS NOT NULL AND pl.lon IS NOT NULL "
                            "GROUP BY pl.name, pl.country, pl.lat, pl.lon ORDER BY n DESC, pl.name LIMIT ?", [*p, top])
    cty = read(store, cte + f"SELECT pl.country, count(*) AS n{join} WHERE pl.country IS NOT NULL "
                            "GROUP BY pl.country ORDER BY n DESC", p)
    return {"points": [{"name": n, "country": c, "lat": float(la), "lon": float(lo), "count": int(k)}
                       for n, c, la, lo, k in pts],
            "countries": [{"country": c, "count": int(n)} for c, n in cty]}


# -- articles -----------------------------------------------------------------

def articles_page(store: Store, q: Query, *, limit: int = 50, cursor: str | None = None
                  ) -> tuple[list[dict[str, Any]], str | None]:
    limit = _limit(limit)
    w = _article_where(store, q)
    after = decode_cursor(cursor, 1)
    if after:
        w.add("a.seq < ?", after[0])
    rows = read(store, "SELECT a.id, a.seq, a.title, a.source, a.url, a.published, a.ingested_at, "
                       "substr(a.text, 1, 240), (SELECT count(*) FROM events v WHERE v.article_id = a.id) "
                       f"FROM articles a{w.clause()} ORDER BY a.seq DESC LIMIT ?", [*w.params, limit + 1])
    items = [{"id": r[0], "title": r[2], "source": r[3], "url": r[4], "published": r[5], "ingested_at": r[6],
              "snippet": r[7], "n_events": int(r[8])} for r in rows[:limit]]
    return items, _next_cursor(rows, limit, 1)


# -- actors, places, quotes ---------------------------------------------------

ACTOR_TYPES = ("PERSON", "ORG", "NORP", "GPE")


def _name_country(alias: str, name: str | None, country: str | None) -> Where:
    """The conditions shared by the actor and place lists: a name substring and a country code."""
    w = Where()
    if name:
        w.add(f"lower({alias}.name) LIKE ?", f"%{name.lower()}%")
    if country:
        w.add(f"{alias}.country = ?", country.upper())
    return w


def _name_key(alias: str) -> str:
    """The key the actor and place lists group and page by: the name, then the country ('' for none)."""
    return f"{alias}.name, coalesce({alias}.country, '')"


def _key_page(store: Store, table: str, w: Where, limit: int, cursor: str | None
              ) -> tuple[list[tuple[str, str]], str | None]:
    """One page of distinct (name, country) keys of `table` ("entities e": a table and its alias) in key order.

    Done apart from the counts so a page reads about `limit` index entries (the
    `*_name_country` indexes of migration 201) instead of aggregating every row.
    """
    alias = table.split()[-1]
    w = Where(w.conds, w.params)
    after = decode_cursor(cursor, 2)
    if after:
        w.add(f"({alias}.name > ? OR ({alias}.name = ? AND coalesce({alias}.country, '') > ?))",
              after[0], after[0], after[1])
    rows = read(store, f"SELECT DISTINCT {_name_key(alias)} FROM {table}{w.clause()} "
                       f"ORDER BY {_name_key(alias)} LIMIT ?", [*w.params, limit + 1])
    keys = [(r[0], r[1]) for r in rows[:limit]]
    return keys, encode_cursor(*keys[-1]) if len(rows) > limit and keys else None


def _grouped_page(store: Store, table: str, w: Where, limit: int, cursor: str | None, *, counts: str,
                  join: str) -> tuple[list[Row], str | None]:
    """One page of `table` grouped by (name, country) in key order: rows of name, country and then the
    `counts` columns, aggregated over `table` with `join`."""
    keys, nxt = _key_page(store, table, w, limit, cursor)
    if not keys:
        return [], None
    alias = table.split()[-1]
    names = sorted({k[0] for k in keys})  # a name may stand in several keys (one per country)
    named = Where(w.conds, w.params)
    named.add(f"{alias}.name IN ({', '.join('?' * len(names))})", *names)
    key = _name_key(alias)
    rows = read(store, f"SELECT {key}, {counts} FROM {table} {join}{named.clause()} GROUP BY {key}", named.params)
    got = {(r[0], r[1]): r for r in rows}
    return [got[k] for k in keys if k in got], nxt


def actors_page(store: Store, *, name: str | None = None, country: str | None = None,
                sector: str | None = None, limit: int = 50, cursor: str | None = None
                ) -> tuple[list[dict[str, Any]], str | None]:
    """Actors (entities that can act: people, organisations, groups, states) grouped by name and country,
    in name order (a stable key: pages never repeat or skip as articles arrive)."""
    limit = _limit(limit)
    w = Where([f"e.type IN ({', '.join('?' * len(ACTOR_TYPES))})"], ACTOR_TYPES)
    w.extend(_name_country("e", name, country))
    if sector:
        w.add("e.sector = ?", sector.upper())
    rows, nxt = _grouped_page(
        store, "entities e", w, limit, cursor,
        counts="max(e.type), max(e.sector), count(DISTINCT e.article_id), count(x.event_id)",
        join="LEFT JOIN event_args x ON x.article_id = e.article_id AND x.entity_id = e.id")
    return [{"name": r[0], "country": r[1] or None, "type": r[2], "sector": r[3], "articles": int(r[4]),
             "events": int(r[5])} for r in rows], nxt


def actor_detail(store: Store, name: str, *, max_events: int = 500) -> dict[str, Any] | None:
    """An actor across articles: codes, role history, its events and the actor -> target network."""
    inst = read(store, "SELECT e.article_id, e.id, e.name, e.type, e.country, e.sector, a.published "
                       "FROM entities e JOIN articles a ON a.id = e.article_id WHERE lower(e.name) = ? "
                       "ORDER BY a.seq", [name.lower()])
    if not inst:
        return None
    roles = read(store, "SELECT r.title, r.country, r.sector, a.published, a.id, a.title FROM entity_roles r "
                        "JOIN entities e ON e.article_id = r.article_id AND e.id = r.entity_id "
                        "JOIN articles a ON a.id = r.article_id WHERE lower(e.name) = ? "
                        "ORDER BY a.published, a.seq, r.ord", [name.lower()])
    history: dict[tuple[str, str | None], dict[str, Any]] = {}
    for title, country, sector, published, aid, _atitle in roles:
        h = history.setdefault((title, country), {"title": title, "country": country, "sector": sector,
                                                  "first_seen": published, "last_seen": published,
                                                  "articles": []})
        h["last_seen"] = published or h["last_seen"]
        if aid not in h["articles"]:
            h["articles"].append(aid)
    events = [ev for batch in _event_batches(store, Query(actor_exact=name), 200, max_events) for ev in batch]
    edges: Counter[tuple[str, str, str]] = Counter()
    for ev in events:
        for a in ev["actors"]:
            for t in ev["targets"]:
                if a["name"] != t["name"]:
                    edges[a["name"], t["name"], ev["type"]] += 1
    nodes: dict[str, dict[str, Any]] = {}
    for (a, t, _typ), n in edges.items():
        for who in (a, t):
            nodes.setdefault(who, {"id": who, "events": 0})["events"] += n
    codes = Counter((r[4], r[5]) for r in inst)
    return {
        "name": inst[0][2], "type": Counter(r[3] for r in inst).most_common(1)[0][0],
        "codes": [{"country": c, "sector": s, "count": n} for (c, s), n in codes.most_common()],
        "articles": len({r[0] for r in inst}),
        "first_seen": min((r[6] for r in inst if r[6]), default=None),
        "last_seen": max((r[6] for r in inst if r[6]), default=None),
        "roles": sorted(history.values(), key=lambda h: (h["first_seen"] or "", h["title"])),
        "events": events,
        "network": {"nodes": list(nodes.values()),
                    "edges": [{"source": a, "target": t, "type": typ, "count": n}
                              for (a, t, typ), n in edges.most_common()]},
    }


def places_page(store: Store, *, name: str | None = None, country: str | None = None, limit: int = 50,
                cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Resolved places grouped by name, country and coordinates, in name order, with article and event counts."""
    rows, nxt = _grouped_page(
        store, "places pl", _name_country("pl", name, country), _limit(limit), cursor,
        counts="avg(pl.lat), avg(pl.lon), max(pl.geonameid), max(pl.feature), count(DISTINCT pl.article_id), "
               "count(v.id)",
        join="LEFT JOIN events v ON v.article_id = pl.article_id AND v.place = pl.id")
    return [{"name": r[0], "country": r[1] or None, "lat": None if r[2] is None else round(float(r[2]), 5),
             "lon": None if r[3] is None else round(float(r[3]), 5),
             "geonameid": None if r[4] is None else int(r[4]), "feature": r[5], "articles": int(r[6]),
             "events": int(r[7])} for r in rows], nxt


def quotes_page(store: Store, q: Query, *, limit: int = 50, cursor: str | None = None
                ) -> tuple[list[dict[str, Any]], str | None]:
    """Quotes, newest article first; `q` matches the quote text, `actor` the speaker, `country` its code."""
    limit = _limit(limit)
    w = Where()
    if q.q:
        w.add("lower(qt.text) LIKE ?", f"%{q.q.lower()}%")
    if q.actor:
        w.add("(lower(e.name) LIKE ? OR lower(qt.speaker_text) LIKE ?)", *[f"%{q.actor.lower()}%"] * 2)
    if q.country:
        w.add("e.country = ?", q.country)
    if q.sector:
        w.add("e.sector = ?", q.sector)
    w.extend(article_conditions(Filters(source=q.source, since=q.since, until=q.until)))
    _after(w, decode_cursor(cursor, 2), "qt.ord")
    rows = read(store, "SELECT qt.article_id, qt.id, a.seq, qt.ord, qt.text, qt.start_char, qt.end_char, "
                       "qt.speaker, qt.speaker_text, qt.cue, qt.direct, e.name, e.country, e.sector, a.title, "
                       "a.published, a.source FROM quotes qt JOIN articles a ON a.id = qt.article_id "
                       "LEFT JOIN entities e ON e.article_id = qt.article_id AND e.id = qt.speaker"
                       f"{w.clause()} ORDER BY a.seq DESC, qt.ord LIMIT ?", [*w.params, limit + 1])
    items = [{"id": f"{r[0]}/{r[1]}", "article_id": r[0], "quote_id": r[1], "text": r[4],
              "start": int(r[5]), "end": int(r[6]),
              "speaker": None if r[7] is None else {"id": r[7], "name": r[11], "country": r[12], "sector": r[13]},
              "speaker_text": r[8], "cue": r[9], "direct": bool(r[10]),
              "article": {"id": r[0], "title": r[14], "published": r[15], "source": r[16]}}
             for r in rows[:limit]]
    return items, _next_cursor(rows, limit, 2, 3)


# -- evidence -----------------------------------------------------------------

KINDS = ("entity", "place", "time", "quantity", "quote", "event")


def highlights(rec: ArticleRecord) -> list[dict[str, Any]]:
    """Every extracted item's span in the article text: kind, offsets, the item id and a label."""
    out: list[dict[str, Any]] = []
    for e in rec.entities:
        out += [{"kind": "entity", "start": m.start, "end": m.end, "ref": e.id,
                 "label": f"{e.name} ({e.type}{', ' + e.country if e.country else ''})"} for m in e.mentions]
    for pl in rec.places:
        out += [{"kind": "place", "start": m.start, "end": m.end, "ref": pl.id,
                 "label": f"{pl.name}{', ' + pl.country if pl.country else ''}"} for m in pl.mentions]
    out += [{"kind": "time", "start": t.start, "end": t.end, "ref": t.id, "label": f"{t.type} {t.value}"}
            for t in rec.times]
    out += [{"kind": "quantity", "start": x.start, "end": x.end, "ref": x.id,
             "label": f"{x.value} {x.unit or ''}".strip()} for x in rec.quantities]
    out += [{"kind": "quote", "start": x.start, "end": x.end, "ref": x.id, "label": f"quote ({x.cue or ''})"}
            for x in rec.quotes]
    out += [{"kind": "event", "start": v.trigger.start, "end": v.trigger.end, "ref": v.id,
             "label": f"{v.type} ({v.status})"} for v in rec.events]
    n = len(rec.article.text)
    return sorted((h for h in out if 0 <= h["start"] < h["end"] <= n), key=lambda h: (h["start"], -h["end"]))


def segments(text: str, spans: list[dict[str, Any]], *, offset: int = 0) -> list[dict[str, Any]]:
    """Cut `text` (which starts at `offset` in the article) into runs covered by the same spans.

    Spans may nest or overlap (a name inside a quote); each run lists every span over
    it, innermost (shortest) first, so a renderer can colour by all and link to the first.
    """
    end_all = offset + len(text)
    inside = [s for s in spans if s["start"] < end_all and s["end"] > offset]
    cuts = sorted({offset, end_all, *(max(offset, s["start"]) for s in inside),
                   *(min(end_all, s["end"]) for s in inside)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a >= b:
            continue
        cover = sorted((s for s in inside if s["start"] <= a and s["end"] >= b), key=lambda s: s["end"] - s["start"])
        out.append({"text": text[a - offset:b - offset], "start": a, "end": b, "spans": cover})
    return out


def event_detail(store: Store, article_id: str, event_id: str) -> dict[str, Any] | None:
    """An event with its evidence: the sentence and the spans of trigger, actors, targets, place and time in it."""
    rec = store.get_record(article_id)
    if rec is None:
        return None
    ev = next((v for v in rec.events if v.id == event_id), None)
    if ev is None:
        return None
    rows = read(store, _EVENT_COLS + f" WHERE {_JOIN} AND v.article_id = ? AND v.id = ?", [article_id, event_id])
    d = _event_dicts(store, rows)[0]
    s0, s1 = ev.sentence.start, ev.sentence.end
    ents = {e.id: e for e in rec.entities}
    places = {p.id: p for p in rec.places}
    times = {t.id: t for t in rec.times}
    spans: list[dict[str, Any]] = [{"kind": "trigger", "start": ev.trigger.start, "end": ev.trigger.end,
                                    "ref": ev.id, "text": ev.trigger.text}]
    for role, ids in (("actor", ev.actors), ("target", ev.targets)):
        for eid in ids:
            e = ents.get(eid)
            for m in e.mentions if e else []:
                if s0 <= m.start and m.end <= s1:
                    spans.append({"kind": role, "start": m.start, "end": m.end, "ref": eid, "text": m.text})
    if ev.place and ev.place in places:
        for m in places[ev.place].mentions:
            if s0 <= m.start and m.end <= s1 or ev.place_source == "dateline":
                spans.append({"kind": "place", "start": m.start, "end": m.end, "ref": ev.place, "text": m.text})
    if ev.time and ev.time in times:
        t = times[ev.time]
        spans.append({"kind": "time", "start": t.start, "end": t.end, "ref": t.id, "text": t.text})
    d["evidence"] = sorted(spans, key=lambda s: (s["start"], -s["end"]))
    d["date_source"] = ev.date_source
    d["place_source"] = ev.place_source
    return d
