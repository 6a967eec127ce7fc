"""Watches and alerts: saved structured queries checked against every newly stored article.

A `Watcher` hangs itself on `store.on_stored`; for each new article it
evaluates every watch, records one alert per match (an event, or a quantity /
term when the watch asks only for those) and hands the alert to a background
thread that delivers it by webhook (POST JSON, retried with exponential
backoff) and/or appends it to a log file. Alerts are keyed by (watch, dedup
key); the key describes the real-world event (type, actors, targets, date,
place), so the same event reported by a second article does not alert again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import WirewatchError
from .models import PLOVER_TYPES, SECTORS, STATUSES, ArticleRecord, Event, Quantity
from .store.base import Store, StoredMeta

log = logging.getLogger(__name__)

# Webhook delivery: 4 tries, waiting 0.5 s, 1 s, 2 s between them - long enough to ride out a receiver
# restart, short enough that one dead receiver does not pile up a queue.
RETRIES = 4
BACKOFF = 0.5
TIMEOUT = 10.0


class WatchError(WirewatchError):
    """A watch definition cannot be used (unknown type, bad webhook URL, ...)."""


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class WatchQuery:
    """What a watch looks for. Every condition given must hold; at least one is required.

    type/status/country/actor/sector test an event (country: an actor's, a target's or the
    place's code; actor: a substring of an actor or target name, or its exact code like NATO);
    text: a term in the article's title or text; quantity_min/unit/place: a quantity over
    `quantity_min` whose unit (or what it counts) contains `unit`, in a sentence that mentions
    a place or country matching `place` (a name substring or an ISO3 code).
    """

    type: str | None = None
    status: str | None = None
    country: str | None = None
    actor: str | None = None
    sector: str | None = None
    text: str | None = None
    quantity_min: float | None = None
    unit: str | None = None
    place: str | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> WatchQuery:
        v = {k: x for k, x in raw.items() if x is not None and x != ""}
        unknown = set(v) - {f.name for f in fields(cls)}
        if unknown:
            raise WatchError(f"unknown watch field(s): {', '.join(sorted(unknown))}")
        for name, fold, allowed, says in (("type", str.upper, PLOVER_TYPES, "is not a PLOVER type ({})"),
                                          ("status", str.lower, STATUSES, "is not one of {}"),
                                          ("sector", str.upper, SECTORS, "is not one of {}")):
            if name in v:
                v[name] = fold(str(v[name]))
                if v[name] not in allowed:
                    raise WatchError(f"{name} {raw[name]!r} " + says.format(", ".join(allowed)))
        if "country" in v:
            v["country"] = str(v["country"]).upper()
        if "quantity_min" in v:
            try:
                v["quantity_min"] = float(v["quantity_min"])
            except (TypeError, ValueError) as e:
                raise WatchError(f"quantity_min must be a number, got {raw['quantity_min']!r}") from e
        elif "unit" in v or "place" in v:
            raise WatchError("unit and place describe a quantity: give quantity_min too")
        for k in ("actor", "text", "unit", "place"):
            if k in v:
                v[k] = str(v[k]).strip()
        q = cls(**v)
        if q.is_empty():
            raise WatchError("a watch needs at least one condition (type, status, country, actor, sector, "
                             "text or quantity_min)")
        return q

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def wants_event(self) -> bool:
        return any(x is not None for x in (self.type, self.status, self.country, self.actor, self.sector))

    def describe(self) -> str:
        parts = [f"{k}={v}" for k, v in self.to_dict().items()]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    name: str
    query: WatchQuery
    webhook: str | None
    log_path: str | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "query": self.query.to_dict(), "webhook": self.webhook,
                "log_path": self.log_path, "created_at": self.created_at}


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    watch_id: int
    article_id: str
    event_id: str | None
    created_at: str
    payload: dict[str, Any]
    delivery: str  # none | pending | delivered | failed
    attempts: int
    last_error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "watch_id": self.watch_id, "article_id": self.article_id,
                "event_id": self.event_id, "created_at": self.created_at, "delivery": self.delivery,
                "attempts": self.attempts, "last_error": self.last_error, **self.payload}


# -- managing watches -----------------------------------------------------------

def _check_webhook(url: str | None) -> str | None:
    if not url:
        return None
    if not re.match(r"^https?://[^\s/]+", url):
        raise WatchError(f"webhook {url!r}: expected an http:// or https:// URL")
    return url


def add_watch(store: Store, query: WatchQuery | dict[str, Any], *, name: str | None = None,
              webhook: str | None = None, log_path: str | None = None) -> Watch:
    """Save a watch; it applies to articles stored from now on."""
    q = query if isinstance(query, WatchQuery) else WatchQuery.parse(query)
    name = (name or q.describe())[:200]
    webhook = _check_webhook(webhook)
    created = now_iso()
    with store.transaction() as run:
        rows = run("INSERT INTO watches (name, query, webhook, log_path, created_at) VALUES (?, ?, ?, ?, ?) "
                   "RETURNING id", (name, json.dumps(q.to_dict()), webhook, log_path, created))
    return Watch(id=int(rows[0][0]), name=name, query=q, webhook=webhook, log_path=log_path, created_at=created)


def _watch(row: tuple[Any, ...]) -> Watch:
    return Watch(id=int(row[0]), name=row[1], query=WatchQuery.parse(json.loads(row[2])), webhook=row[3],
                 log_path=row[4], created_at=row[5])


def list_watches(store: Store) -> list[Watch]:
    from .api.query import read

    return [_watch(r) for r in read(store, "SELECT id, name, query, webhook, log_path, created_at FROM watches "
                                           "ORDER BY id")]


def get_watch(store: Store, watch_id: int) -> Watch | None:
    from .api.query import read

    rows = read(store, "SELECT id, name, query, webhook, log_path, created_at FROM watches WHERE id = ?",
                (watch_id,))
    return _watch(rows[0]) if rows else None


def remove_watch(store: Store, watch_id: int) -> bool:
    """Delete a watch and its alerts; False if there was no such watch."""
    with store.transaction() as run:
        run("DELETE FROM alerts WHERE watch_id = ?", (watch_id,))
        return bool(run("DELETE FROM watches WHERE id = ? RETURNING id", (watch_id,)))


def _alert(row: tuple[Any, ...]) -> Alert:
    return Alert(id=int(row[0]), watch_id=int(row[1]), article_id=row[2], event_id=row[3], created_at=row[4],
                 payload=json.loads(row[5]), delivery=row[6], attempts=int(row[7]), last_error=row[8])


_ALERT_COLS = "SELECT id, watch_id, article_id, event_id, created_at, payload, delivery, attempts, last_error FROM alerts"


def list_alerts(store: Store, *, limit: int = 50, watch_id: int | None = None,
                before: int | None = None) -> list[Alert]:
    """Alerts, newest first; `before` (an alert id) pages back."""
    from .api.query import read

    w, p = [], []
    if watch_id is not None:
        w.append("watch_id = ?")
        p.append(watch_id)
    if before is not None:
        w.append("id < ?")
        p.append(before)
    sql = _ALERT_COLS + (" WHERE " + " AND ".join(w) if w else "") + " ORDER BY id DESC LIMIT ?"
    return [_alert(r) for r in read(store, sql, [*p, limit])]


# -- matching -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Match:
    """One reason to alert: an event, or a quantity / a term when the watch asks for no event."""

    dedup_key: str
    event: Event | None
    quantity: Quantity | None
    span: tuple[int, int]  # the evidence sentence


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): a light split on . ! ? and newlines, for evidence of non-events."""
    a = max(text.rfind(c, 0, start) for c in ".!?\n") + 1
    ends = [i for i in (text.find(c, end) for c in ".!?\n") if i != -1]
    b = min(ends) + 1 if ends else len(text)
    while a < start and text[a].isspace():
        a += 1
    return a, min(b, len(text))


def _key(*parts: Any) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()


def event_key(rec: ArticleRecord, ev: Event) -> str:
    """The same real-world event reported twice gets the same key: type, actor and target names,
    date and place name (case-insensitive). Reports that differ in wording are caught by the
    fused-event check of `Watcher` (stories + fusion) instead."""
    names = {e.id: e.name.lower() for e in rec.entities}
    places = {p.id: p.name.lower() for p in rec.places}
    date = ev.date or (rec.article.published or "")[:10]
    # With no side and no place named, type and date alone would make two unrelated killings of one
    # day a single event: such a report keys on its own article and trigger.
    own = (rec.article.id, ev.trigger.start) if not (ev.actors or ev.targets or ev.place) else ()
    return _key("event", ev.type, sorted(names.get(a, a) for a in ev.actors),
                sorted(names.get(t, t) for t in ev.targets), date, places.get(ev.place or "", ""), *own)


def _event_ok(q: WatchQuery, rec: ArticleRecord, ev: Event) -> bool:
    ents = {e.id: e for e in rec.entities}
    who = [ents[x] for x in (*ev.actors, *ev.targets) if x in ents]
    place = next((p for p in rec.places if p.id == ev.place), None)
    if q.type and ev.type != q.type:
        return False
    if q.status and ev.status != q.status:
        return False
    if q.country and not (any(e.country == q.country for e in who) or (place and place.country == q.country)):
        return False
    if q.actor:
        a = q.actor.lower()
        if not any(a in e.name.lower() or (e.country or "").lower() == a for e in who):
            return False
    if q.sector and not any(e.sector == q.sector for e in who):
        return False
    return True


def _quantities(q: WatchQuery, rec: ArticleRecord) -> list[tuple[Quantity, tuple[int, int]]]:
    if q.quantity_min is None:
        return []
    text = rec.article.text
    out = []
    for x in rec.quantities:
        if not isinstance(x.value, int | float) or x.value <= q.quantity_min:
            continue
        if q.unit and not any(q.unit.lower() in (s or "").lower() for s in (x.unit, x.of, x.text)):
            continue
        span = _sentence(text, x.start, x.end)
        if q.place and not _mentions_place(q.place, rec, span, x):
            continue
        out.append((x, span))
    return out


def _mentions_place(want: str, rec: ArticleRecord, span: tuple[int, int], x: Quantity) -> bool:
    w = want.lower()
    code = want.upper()
    for p in rec.places:
        if (w in p.name.lower() or p.country == code) and any(span[0] <= m.start < span[1] for m in p.mentions):
            return True
    for e in rec.entities:
        if (w in e.name.lower() or e.country == code) and (
                e.id == x.entity or any(span[0] <= m.start < span[1] for m in e.mentions)):
            return True
    return False


def _term(q: WatchQuery, rec: ArticleRecord) -> tuple[int, int] | None:
    """Where the full-text term first occurs (whole words, case-insensitive), or None."""
    if not q.text:
        return None
    pat = re.compile(r"(?<!\w)" + re.escape(q.text) + r"(?!\w)", re.IGNORECASE)
    m = pat.search(rec.article.text)
    if m:
        return _sentence(rec.article.text, m.start(), m.end())
    if rec.article.title and pat.search(rec.article.title):
        return _sentence(rec.article.text, 0, 0)
    return None


def evaluate(q: WatchQuery, rec: ArticleRecord) -> list[Match]:
    """Every match of one watch in one record (pure: no store, no delivery)."""
    term = _term(q, rec)
    if q.text and term is None:
        return []
    quants = _quantities(q, rec)
    if q.quantity_min is not None and not quants:
        return []
    if q.wants_event:
        return [Match(event_key(rec, ev), ev, None, (ev.sentence.start, ev.sentence.end))
                for ev in rec.events if _event_ok(q, rec, ev)]
    if quants:
        places = sorted({p.name.lower() for p in rec.places})
        day = (rec.article.published or "")[:10]
        return [Match(_key("quantity", x.value, x.unit, x.of, places, day), None, x, span) for x, span in quants]
    assert term is not None
    return [Match(_key("text", rec.article.id), None, None, term)]


def payload(watch: Watch, rec: ArticleRecord, m: Match) -> dict[str, Any]:
    """What an alert says: which watch fired, the article, the event or quantity, and the evidence sentence."""
    text = rec.article.text
    ents = {e.id: e for e in rec.entities}
    places = {p.id: p for p in rec.places}
    s0, s1 = m.span
    spans: list[dict[str, Any]] = []
    event = None
    if m.event is not None:
        ev = m.event
        pl = places.get(ev.place or "")
        event = {"id": ev.id, "type": ev.type, "mode": ev.mode, "status": ev.status, "date": ev.date,
                 "actors": [{"name": ents[a].name, "country": ents[a].country, "sector": ents[a].sector}
                            for a in ev.actors if a in ents],
                 "targets": [{"name": ents[t].name, "country": ents[t].country, "sector": ents[t].sector}
                             for t in ev.targets if t in ents],
                 "place": None if pl is None else {"name": pl.name, "country": pl.country, "lat": pl.lat,
                                                   "lon": pl.lon},
                 "trigger": ev.trigger.text, "confidence": ev.confidence}
        spans.append({"kind": "trigger", "start": ev.trigger.start, "end": ev.trigger.end,
                      "text": ev.trigger.text})
        for role, ids in (("actor", ev.actors), ("target", ev.targets)):
            for eid in ids:
                for mm in ents[eid].mentions if eid in ents else []:
                    if s0 <= mm.start and mm.end <= s1:
                        spans.append({"kind": role, "start": mm.start, "end": mm.end, "text": mm.text})
    quantity = None
    if m.quantity is not None:
        x = m.quantity
        quantity = {"id": x.id, "text": x.text, "value": x.value, "unit": x.unit, "of": x.of,
                    "approximate": x.approximate}
        spans.append({"kind": "quantity", "start": x.start, "end": x.end, "text": x.text})
    a = rec.article
    return {
        "watch": {"id": watch.id, "name": watch.name, "query": watch.query.to_dict()},
        "article": {"id": a.id, "title": a.title, "source": a.source, "url": a.url, "published": a.published},
        "event": event,
        "quantity": quantity,
        "evidence": {"start": s0, "end": s1, "text": text[s0:s1], "spans": sorted(spans, key=lambda s: s["start"])},
        "link": f"/events/{a.id}/{m.event.id}" if m.event else f"/articles/{a.id}",
    }


# -- delivery -------------------------------------------------------------------

def post_json(url: str, body: dict[str, Any], *, retries: int = RETRIES, backoff: float = BACKOFF,
              timeout: float = TIMEOUT, sleep: Callable[[float], None] = time.sleep) -> tuple[bool, int, str | None]:
    """POST JSON, retrying network errors, 5xx, 408 and 429 with exponential backoff.

    Returns (delivered, attempts, last error). Other 4xx answers are final: retrying
    a request the receiver rejects would only repeat the rejection.
    """
    data = json.dumps(body, ensure_ascii=False).encode()
    err: str | None = None
    for attempt in range(1, retries + 1):
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "wirewatch-alerts/0.1"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310 - operator-configured URL
                resp.read()
                return True, attempt, None
        except urllib.error.HTTPError as e:
            err = f"HTTP {e.code}"
            if e.code < 500 and e.code not in (408, 429):
                return False, attempt, err
        except (urllib.error.URLError, OSError) as e:
            err = str(getattr(e, "reason", e))
        if attempt < retries:
            sleep(backoff * 2 ** (attempt - 1))
    return False, retries, err


_log_lock = threading.Lock()


def append_log(path: str, alert: dict[str, Any]) -> None:
    """One JSON line per alert; a lock keeps lines whole when several threads write."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with _log_lock, p.open("a", encoding="utf-8") as f:
        f.write(json.dumps(alert, ensure_ascii=False) + "\n")


class Watcher:
    """Evaluates the store's watches on every newly stored article and delivers the alerts.

    `attach()` registers it on `store.on_stored`. Delivery runs on one daemon thread so a
    slow webhook never holds up ingest; `flush()` waits for it, `close()` stops it.
    """

    def __init__(self, store: Store, *, retries: int = RETRIES, backoff: float = BACKOFF,
                 timeout: float = TIMEOUT, on_alert: Callable[[Alert], None] | None = None):
        self.store = store
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.on_alert = on_alert
        self._queue: queue.Queue[tuple[Watch, Alert] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def attach(self) -> Watcher:
        if self.on_stored not in self.store.on_stored:
            self.store.on_stored.append(self.on_stored)
        return self

    def on_stored(self, rec: ArticleRecord, meta: StoredMeta | None = None) -> list[Alert]:
        """Check one new article against every watch; record and queue the new alerts."""
        watches = list_watches(self.store)
        new: list[Alert] = []
        for w in watches:
            for m in evaluate(w.query, rec):
                alert = self._record(w, rec, m)
                if alert is not None:
                    new.append(alert)
                    if self.on_alert:
                        self.on_alert(alert)
                    if w.webhook or w.log_path:
                        self._start()
                        self._queue.put((w, alert))
        return new

    def _record(self, w: Watch, rec: ArticleRecord, m: Match) -> Alert | None:
        if m.event is not None and self._fused_alerted(w, rec, m.event):
            return None
        body = payload(w, rec, m)
        created = now_iso()
        delivery = "pending" if (w.webhook or w.log_path) else "none"
        with self.store.transaction() as run:
            rows = run("INSERT INTO alerts (watch_id, article_id, event_id, dedup_key, created_at, payload, delivery, "
                       "attempts, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL) "
                       "ON CONFLICT (watch_id, dedup_key) DO NOTHING RETURNING id",
                       (w.id, rec.article.id, m.event.id if m.event else None, m.dedup_key, created,
                        json.dumps(body, ensure_ascii=False), delivery))
        if not rows:
            return None  # this watch already alerted on the same event
        return Alert(id=int(rows[0][0]), watch_id=w.id, article_id=rec.article.id,
                     event_id=m.event.id if m.event else None, created_at=created, payload=body,
                     delivery=delivery, attempts=0, last_error=None)

    def _fused_alerted(self, w: Watch, rec: ArticleRecord, ev: Event) -> bool:
        """Whether this watch already alerted on another report of the same fused event.

        Uses the story the article joined (`wirewatch.stories`, when its tracker runs before
        this watcher) and the fused events of that story (`wirewatch.fusion`); without them,
        the dedup key alone decides.
        """
        try:
            from .fusion import fuse_story
            from .stories import story_of
        except ImportError:
            return False
        try:
            sid = story_of(self.store, rec.article.id)
            if sid is None:
                return False
            for fe in fuse_story(self.store, sid):
                sup = [(s.article_id, s.event_id) for s in fe.supports]
                if (rec.article.id, ev.id) in sup:
                    others = [x for x in sup if x != (rec.article.id, ev.id)]
                    if not others:
                        return False
                    cond = " OR ".join(["(article_id = ? AND event_id = ?)"] * len(others))
                    from .api.query import read

                    return bool(read(self.store, f"SELECT 1 FROM alerts WHERE watch_id = ? AND ({cond}) LIMIT 1",
                                     [w.id, *[v for pair in others for v in pair]]))
        except Exception:  # fusion is an optimisation of dedup: never let it stop an alert
            log.exception("fused-event dedup failed for article %s", rec.article.id)
        return False

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="wirewatch-alerts", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self.deliver(*item)
            except Exception:  # one bad alert must not stop delivery of the others
                log.exception("alert delivery failed")
            finally:
                self._queue.task_done()

    def deliver(self, w: Watch, alert: Alert) -> Alert:
        """Deliver one alert now (webhook and/or log) and record the outcome."""
        body = {"id": alert.id, "created_at": alert.created_at, **alert.payload}
        ok, attempts, err = True, 0, None
        if w.log_path:
            try:
                append_log(w.log_path, body)
            except OSError as e:
                ok, err = False, f"log {w.log_path}: {e}"
        if w.webhook:
            sent, attempts, werr = post_json(w.webhook, body, retries=self.retries, backoff=self.backoff,
                                             timeout=self.timeout)
            ok = ok and sent
            err = err or werr
        status = "delivered" if ok else "failed"
        if not ok:
            log.warning("alert %s for watch %s not delivered: %s", alert.id, w.id, err)
        self.store.execute("UPDATE alerts SET delivery = ?, attempts = ?, last_error = ? WHERE id = ?",
                           (status, attempts, err, alert.id))
        return Alert(**{**{f.name: getattr(alert, f.name) for f in fields(Alert)},
                        "delivery": status, "attempts": attempts, "last_error": err})

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued alert is delivered (or failed); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self, timeout: float = 30.0) -> None:
        self.flush(timeout)
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)
        if self.on_stored in self.store.on_stored:
            self.store.on_stored.remove(self.on_stored)


def iter_alert_dicts(store: Store, *, limit: int = 50) -> Iterator[dict[str, Any]]:
    for a in list_alerts(store, limit=limit):
        yield a.to_dict()
