"""Exports for other tools: full records (JSONL), flat event tables (CSV, Parquet), GDELT-style TSV, PLOVER JSONL.

Every writer streams: records and events are read from the store a page at a
time and written as they come, so an export of millions of events runs in
constant memory. `progress(n)` is called after each written item (the CLI
drives a progress bar with it). The GDELT and PLOVER mappings are documented
in `docs/gdelt-mapping.md`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .api.query import Query, article_where, count_events, iter_events, read
from .errors import WirewatchError
from .models import SCHEMA, ArticleRecord
from .store.base import Store

FORMATS = ("jsonl", "csv", "parquet", "gdelt", "plover")

Progress = Callable[[int], None]

# The flat event table of the CSV and Parquet exports, in column order.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("article_id", "string"), ("event_id", "string"), ("date", "string"), ("type", "string"),
    ("mode", "string"), ("status", "string"), ("confidence", "double"),
    ("actor_names", "string"), ("actor_codes", "string"), ("target_names", "string"),
    ("target_codes", "string"), ("place", "string"), ("place_country", "string"), ("lat", "double"),
    ("lon", "double"), ("geonameid", "int64"), ("trigger", "string"), ("sentence", "string"),
    ("title", "string"), ("source", "string"), ("published", "string"), ("url", "string"),
)

# PLOVER category -> CAMEO root (two-digit cue category), the inverse of the manual's
# "CAMEO to PLOVER translation" table; where PLOVER merged roots we pick the one covering most
# of the category (ACCUSE: 11 DISAPPROVE rather than 09 INVESTIGATE). ASSAULT splits on mode.
PLOVER_TO_CAMEO: dict[str, str] = {
    "AGREE": "03", "CONSULT": "04", "SUPPORT": "05", "COOPERATE": "06", "AID": "07", "CONCEDE": "08",
    "RETREAT": "08", "REQUEST": "10", "ACCUSE": "11", "REJECT": "12", "THREATEN": "13", "PROTEST": "14",
    "MOBILIZE": "15", "SANCTION": "16", "COERCE": "17", "ASSAULT": "18",
}
# ASSAULT modes that are armed combat (CAMEO 19 FIGHT) or mass violence (CAMEO 20).
FIGHT_MODES = {"firearms", "explosives", "aerial", "drone", "heavy-weapons", "suicide-attack"}
MASS_VIOLENCE_MODES = {"unconventional"}
# PLOVER scores (manual, table "PLOVER conflict-cooperation scores", category level) for GoldsteinScale.
PLOVER_SCORE: dict[str, float] = {
    "AGREE": 2.5, "CONSULT": 2.5, "SUPPORT": 5.0, "CONCEDE": 4.5, "COOPERATE": 9.5, "AID": 10.0,
    "RETREAT": 6.5, "REQUEST": 0.0, "ACCUSE": -3.0, "REJECT": -2.0, "THREATEN": -3.5, "PROTEST": -5.0,
    "SANCTION": -6.0, "MOBILIZE": -5.5, "COERCE": -7.0, "ASSAULT": -9.0,
}
# The manual gives ACCUSE +3 in that table, a typo against its own earlier version (-2.0) and every
# other verbal-conflict category; we use -3 so the sign is right.


def cameo_root(typ: str, mode: str | None) -> str:
    root = PLOVER_TO_CAMEO[typ]
    if typ == "ASSAULT" and mode:
        if mode.lower() in MASS_VIOLENCE_MODES:
            return "20"
        if mode.lower() in FIGHT_MODES:
            return "19"
    return root


def quad_class(root: str) -> int:
    """CAMEO quad class: 1 verbal cooperation (01-05), 2 material cooperation (06-08),
    3 verbal conflict (09-13), 4 material conflict (14-20)."""
    r = int(root)
    return 1 if r <= 5 else 2 if r <= 8 else 3 if r <= 13 else 4


PLOVER_QUAD = {"AGREE": 1, "CONSULT": 1, "SUPPORT": 1, "CONCEDE": 1, "COOPERATE": 2, "AID": 2, "RETREAT": 2,
               "REQUEST": 3, "ACCUSE": 3, "REJECT": 3, "THREATEN": 3, "PROTEST": 4, "SANCTION": 4,
               "MOBILIZE": 4, "COERCE": 4, "ASSAULT": 4}

# Our sectors -> CAMEO actor type codes (only POL differs: CAMEO's police code is COP).
SECTOR_TO_CAMEO = {"POL": "COP"}


def actor_code(a: dict[str, Any]) -> str:
    """A CAMEO-style actor code: country (ISO3 or organisation code) + sector, e.g. USAGOV, NATO."""
    c = a.get("country") or ""
    s = a.get("sector") or ""
    s = SECTOR_TO_CAMEO.get(s, s)
    return c + (s if s and s != c else "")


def _codes(xs: list[dict[str, Any]]) -> str:
    return ";".join(actor_code(a) for a in xs)


def _names(xs: list[dict[str, Any]]) -> str:
    return ";".join(a["name"] for a in xs)


def event_row(ev: dict[str, Any]) -> dict[str, Any]:
    """One event as a flat row of EVENT_COLUMNS (lists joined with ';')."""
    pl = ev.get("place") or {}
    art = ev["article"]
    return {
        "article_id": ev["article_id"], "event_id": ev["event_id"], "date": ev["date"], "type": ev["type"],
        "mode": ev["mode"], "status": ev["status"], "confidence": ev["confidence"],
        "actor_names": _names(ev["actors"]), "actor_codes": _codes(ev["actors"]),
        "target_names": _names(ev["targets"]), "target_codes": _codes(ev["targets"]),
        "place": pl.get("name"), "place_country": pl.get("country"), "lat": pl.get("lat"), "lon": pl.get("lon"),
        "geonameid": pl.get("geonameid"), "trigger": ev["trigger"]["text"], "sentence": ev["sentence"]["text"],
        "title": art["title"], "source": art["source"], "published": art["published"], "url": art["url"],
    }


# -- records ------------------------------------------------------------------

def iter_records(store: Store, q: Query | None = None, *, batch: int = 200) -> Iterator[ArticleRecord]:
    """Stored records in ingest order; with filters, only articles that match them (article-level)."""
    if q is None or q == Query():
        yield from store.iter_records(batch_size=batch)
        return
    w, p = article_where(store, q)
    last = -1
    while True:
        rows = read(store, "SELECT a.seq, a.id FROM articles a WHERE " + " AND ".join([*w, "a.seq > ?"])
                    + " ORDER BY a.seq LIMIT ?", [*p, last, batch])
        if not rows:
            return
        for _, aid in rows:
            rec = store.get_record(aid)
            if rec is not None:
                yield rec
        last = int(rows[-1][0])


def write_jsonl(store: Store, out: IO[str], q: Query | None = None, progress: Progress | None = None) -> int:
    n = 0
    for rec in iter_records(store, q):
        out.write(json.dumps(rec.to_dict(), ensure_ascii=False) + "\n")
        n += 1
        if progress:
            progress(n)
    return n


def import_jsonl(store: Store, lines: IO[str]) -> int:
    """Store the records of a JSONL export (the round trip of `write_jsonl`); returns how many were new."""
    n = 0
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = ArticleRecord.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as e:
            raise WirewatchError(f"line {i}: not a {SCHEMA} record ({e})") from e
        n += store.put(rec)
    return n


# -- flat tables --------------------------------------------------------------

def write_csv(store: Store, out: IO[str], q: Query | None = None, progress: Progress | None = None) -> int:
    w = csv.DictWriter(out, fieldnames=[c for c, _ in EVENT_COLUMNS], lineterminator="\n")
    w.writeheader()
    n = 0
    for ev in iter_events(store, q or Query()):
        w.writerow(event_row(ev))
        n += 1
        if progress:
            progress(n)
    return n


def arrow_schema() -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "double": pa.float64(), "int64": pa.int64()}
    return pa.schema([(c, types[t]) for c, t in EVENT_COLUMNS])


def write_parquet(store: Store, path: str | Path, q: Query | None = None, progress: Progress | None = None,
                  *, batch: int = 5000) -> int:
    """Events to Parquet in row groups of `batch` rows (pyarrow), never holding the whole table."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:
        raise WirewatchError("Parquet export needs pyarrow: pip install 'wirewatch[export]'") from e
    schema = arrow_schema()
    n = 0
    rows: list[dict[str, Any]] = []
    with pq.ParquetWriter(str(path), schema) as writer:
        def flush() -> None:
            if rows:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows.clear()

        for ev in iter_events(store, q or Query()):
            rows.append(event_row(ev))
            n += 1
            if progress:
                progress(n)
            if len(rows) >= batch:
                flush()
        flush()
    return n


# -- GDELT 2.0 event table ------------------------------------------------------

_ACTOR_FIELDS = ("Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
                 "Religion2Code", "Type1Code", "Type2Code", "Type3Code")
_GEO_FIELDS = ("Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID")
GDELT_COLUMNS: tuple[str, ...] = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    *(f"Actor1{f}" for f in _ACTOR_FIELDS), *(f"Actor2{f}" for f in _ACTOR_FIELDS),
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    *(f"Actor1Geo_{f}" for f in _GEO_FIELDS), *(f"Actor2Geo_{f}" for f in _GEO_FIELDS),
    *(f"ActionGeo_{f}" for f in _GEO_FIELDS),
    "DATEADDED", "SOURCEURL",
)
KNOWN_GROUPS = {"NATO", "UN", "EU", "AU", "ASEAN", "OPEC", "WHO", "IMF", "WB", "ICC", "OSCE", "G7", "G20"}


def _gdelt_id(article_id: str, event_id: str) -> int:
    """A stable positive 63-bit integer id (GDELT ids are integers)."""
    import hashlib

    return int.from_bytes(hashlib.sha1(f"{article_id}/{event_id}".encode()).digest()[:8], "big") >> 1


def _actor_cols(a: dict[str, Any] | None) -> list[str]:
    if not a:
        return [""] * len(_ACTOR_FIELDS)
    country = a.get("country") or ""
    sector = SECTOR_TO_CAMEO.get(a.get("sector") or "", a.get("sector") or "")
    group = country if country in KNOWN_GROUPS else ""
    return [actor_code(a), (a.get("name") or "").upper(), "" if group else country, group, "", "", "",
            sector if sector != country else "", "", ""]


def gdelt_row(ev: dict[str, Any], *, added: str) -> list[Any]:
    day = (ev["date"] or ev["article"]["published"] or "")[:10]
    full = len(day) == 10
    ymd = day.replace("-", "") if full else ""
    frac = ""
    if full:
        d = datetime.strptime(day, "%Y-%m-%d")
        frac = f"{d.year + (d.timetuple().tm_yday - 1) / 365.0:.4f}"
    root = cameo_root(ev["type"], ev["mode"])
    code = root + "0"
    pl = ev.get("place") or {}
    geo = ["", "", "", "", "", "", "", ""]
    if pl:
        # GDELT geo types: 1 country, 5 world state (first-level division), 4 world city.
        gtype = {"country": 1, "admin1": 5, "state": 5}.get(pl.get("feature") or "", 4)
        geo = [gtype, pl.get("name") or "", pl.get("country") or "", "", "",
               "" if pl.get("lat") is None else pl["lat"], "" if pl.get("lon") is None else pl["lon"],
               pl.get("geonameid") or ""]
    a1 = ev["actors"][0] if ev["actors"] else None
    a2 = ev["targets"][0] if ev["targets"] else None
    return [
        _gdelt_id(ev["article_id"], ev["event_id"]), ymd, ymd[:6], ymd[:4], frac,
        *_actor_cols(a1), *_actor_cols(a2),
        1, code, code, root, quad_class(root), PLOVER_SCORE[ev["type"]], 1, 1, 1, "",
        *(geo if a1 else [""] * 8), *(geo if a2 else [""] * 8), *geo,
        added, ev["article"]["url"] or "",
    ]


def write_gdelt(store: Store, out: IO[str], q: Query | None = None, progress: Progress | None = None,
                *, header: bool = True) -> int:
    """A GDELT 2.0 event-table-style TSV (61 columns, one row per event); see docs/gdelt-mapping.md."""
    w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    if header:
        w.writerow(GDELT_COLUMNS)
    added = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    n = 0
    for ev in iter_events(store, q or Query()):
        w.writerow(gdelt_row(ev, added=added))
        n += 1
        if progress:
            progress(n)
    return n


# -- PLOVER JSON Lines ----------------------------------------------------------

def _plover_entity(a: dict[str, Any]) -> dict[str, Any]:
    d: dict[str, Any] = {"code": a.get("country"), "entity_text": a.get("name")}
    if a.get("sector"):
        d["sector"] = a["sector"]
    return d


def plover_record(ev: dict[str, Any], *, coded: datetime) -> dict[str, Any]:
    """One event as a PLOVER JSON record (manual, chapter "Data Fields", tables "PLOVER JSON",
    "Information object for entities", "... for text", "... for citations" and "Location object")."""
    art = ev["article"]
    pl = ev.get("place")
    rec: dict[str, Any] = {
        "id": f"{ev['article_id'][:16]}-{ev['event_id']}",
        "date": ev["date"] if ev["date"] and len(ev["date"]) == 10 else (art["published"] or "")[:10] or None,
        "actor": [_plover_entity(a) for a in ev["actors"]],
        "recipient": [_plover_entity(a) for a in ev["targets"]],
        "event": [ev["type"]],
        "mode": [ev["mode"]] if ev["mode"] else [],
        "context": [],
        "quad_code": PLOVER_QUAD[ev["type"]],
        "event_scale": PLOVER_SCORE[ev["type"]],
        "event_text": [ev["trigger"]["text"]],
        "text_info": {"start": ev["sentence"]["start"], "end": ev["sentence"]["end"]},
        "cite_info": {"url": art["url"], "title": art["title"], "publication": art["source"],
                      "language": "en", "coder": "wirewatch 0.1", "codebook": "plover-base",
                      "citation": ev["article_id"]},
        "coder": "wirewatch",
        "coded_date": coded.strftime("%Y-%m-%d"),
        "coded_time": coded.strftime("%H:%M:%S"),
        # Beyond the PLOVER fields (allowed by the manual): the status and confidence wirewatch assigns.
        "status": ev["status"],
        "confidence": ev["confidence"],
        "has_event": True,
    }
    if pl:
        rec["event_loc"] = {"extracted_place": pl.get("name"), "resolved_place": pl.get("name"),
                            "geonameid": pl.get("geonameid"), "lat": pl.get("lat"), "lon": pl.get("lon"),
                            "country_code": pl.get("country")}
    return rec


def write_plover(store: Store, out: IO[str], q: Query | None = None, progress: Progress | None = None) -> int:
    coded = datetime.now(UTC)
    n = 0
    for ev in iter_events(store, q or Query()):
        out.write(json.dumps(plover_record(ev, coded=coded), ensure_ascii=False) + "\n")
        n += 1
        if progress:
            progress(n)
    return n


# -- one entry point ------------------------------------------------------------

def total(store: Store, fmt: str, q: Query | None = None) -> int:
    """How many items an export will write (for the progress bar)."""
    q = q or Query()
    if fmt == "jsonl":
        w, p = article_where(store, q)
        return int(read(store, "SELECT count(*) FROM articles a" + (" WHERE " + " AND ".join(w) if w else ""),
                        p)[0][0])
    return count_events(store, q)


def export(store: Store, fmt: str, path: str | Path, q: Query | None = None,
           progress: Progress | None = None) -> int:
    """Write an export file; returns the number of records (jsonl) or events (other formats) written."""
    if fmt not in FORMATS:
        raise WirewatchError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        return write_parquet(store, path, q, progress)
    writer = {"jsonl": write_jsonl, "csv": write_csv, "gdelt": write_gdelt, "plover": write_plover}[fmt]
    with open(path, "w", encoding="utf-8", newline="") as f:
        return writer(store, f, q, progress)


def export_string(store: Store, fmt: str, q: Query | None = None) -> str:
    """A text export as a string (tests, small API responses)."""
    buf = io.StringIO()
    {"jsonl": write_jsonl, "csv": write_csv, "gdelt": write_gdelt, "plover": write_plover}[fmt](store, buf, q)
    return buf.getvalue()
