"""Stage: places. Resolve GPE/LOC entities (and the dateline) to gazetteer places.

All place mentions of the article are resolved together by the document-aware
geoparser (`wirewatch.geo.geoparse`), so "Valencia" in a story about Carabobo
lands in Venezuela. Entities that resolve to the same place share one Place.
Names the gazetteer lacks (streets, plants: "Rustaveli Avenue", "Azovstal
steelworks in Mariupol") are placed at the place named right after them, or,
for street-level features, at the dateline city, rather than left unplaced.
"""

from __future__ import annotations

import re
from collections import Counter

from ..geo.gazetteer import Candidate, normalise
from ..models import Entity, Mention, Place
from .context import Analysis

PLACE_TYPES = ("GPE", "LOC")
# An entity that neither the gazetteer nor the context can locate gets no Place: most such "places"
# are tagging errors (people, companies), and a place without coordinates or country is no use
# to an analyst. The entity itself stays in the record.
KEEP_UNRESOLVED = False
# Words marking a feature inside a town, which the dateline city locates well enough (< 161 km).
LOCAL_FEATURE = re.compile(
    r"\b(avenue|street|road|boulevard|square|plaza|bridge|mansion|palace|house|quarter|"
    r"neighbou?rhood|market|stadium|hospital|university|mosque|church|cathedral|park|prison|"
    r"embassy|ministry|parliament|hall|tower|station|headquarters)\b", re.I)
# Datelines that name an institution's seat rather than a town.
DATELINE_SEATS = {"united nations": "United Nations Headquarters"}
# "... steelworks in Mariupol": how far after a mention its locating place may start.
NEAR_CHARS = 40
_LOCATOR = re.compile(r"[\s,]*(?:in|near|outside|at|of|close to|on the outskirts of)\s+(?:the\s+)?", re.I)


def resolve(a: Analysis) -> None:
    """Append one Place per resolved GPE/LOC referent, link entities, set the article's dateline."""
    from ..geo import geoparse

    text = a.article.text
    dmap = geoparse.demonyms()
    ents = [e for e in a.entities if e.type in PLACE_TYPES and e.mentions
            and normalise(e.name) not in geoparse.NOT_PLACES
            and not (normalise(e.name) in dmap and len(e.mentions) == sum(
                normalise(m.text) in dmap for m in e.mentions))]
    spans: list[tuple[int, int]] = []
    owner: list[Entity] = []
    for e in ents:
        for m in e.mentions:
            if 0 <= m.start < m.end <= len(text):
                spans.append((m.start, m.end))
                owner.append(e)
    dl_head = _dateline_head(a)
    # the dateline head is resolved with the rest (last span), so it gets the document's context
    res = geoparse.resolve(text, spans + ([dl_head] if dl_head else []), dateline=dl_head) \
        if spans or dl_head else []
    dl_cand: Candidate | None = res.pop() if dl_head else None
    by_ent: dict[str, list[tuple[Mention, Candidate | None]]] = {}
    for (s, e_), ent, r in zip(spans, owner, res, strict=True):
        by_ent.setdefault(ent.id, []).append((Mention(s, e_, text[s:e_]), r))

    chosen: dict[str, Candidate | None] = {e.id: _choose(e, by_ent.get(e.id, [])) for e in ents}
    if dl_head is not None:
        seat = DATELINE_SEATS.get(normalise(text[dl_head[0]:dl_head[1]]))
        if dl_cand is None and seat:
            from ..geo.gazetteer import gazetteer

            dl_cand = next(iter(gazetteer().candidates(seat)), None)
        for e in ents:  # the dateline entity denotes what the dateline resolved to
            if chosen[e.id] is None and any(m.start < dl_head[1] and dl_head[0] < m.end for m in e.mentions):
                chosen[e.id] = dl_cand
    # unresolved names: the place named right after them, else (street-level) the dateline city
    starts = sorted((m.start, chosen[eid]) for eid, ms in by_ent.items() for m, _ in ms if chosen.get(eid))
    located: set[str] = set()
    for e in ents:
        if chosen[e.id] is None:
            chosen[e.id] = _locate(e, text, starts) or (
                dl_cand if dl_cand and dl_cand.feature == "city" and LOCAL_FEATURE.search(e.name) else None)
            if chosen[e.id] is not None:
                located.add(e.id)

    by_geo: dict[int, Place] = {}
    for e in ents:
        c = chosen[e.id]
        if c is None and not KEEP_UNRESOLVED:
            continue
        key = c.geonameid if c is not None and e.id not in located else None
        if key is not None and key in by_geo:
            p = by_geo[key]
            p.mentions.extend(m for m in e.mentions if m not in p.mentions)
        else:
            p = _place(a, e.name, c, e.mentions, located=e.id in located)
            p.entity = e.id
            if key is not None:
                by_geo[key] = p
        a.place_of[e.id] = p.id
        if e.country is None and p.country:
            e.country = p.country

    if dl_head is not None:
        a.article.dateline = _dateline_place(a, dl_head, dl_cand, ents, by_geo)


def _choose(e: Entity, rs: list[tuple[Mention, Candidate | None]]) -> Candidate | None:
    """The entity's place: what its own name resolved to, else the most frequent mention resolution."""
    key = normalise(e.name)
    for m, r in rs:
        if r is not None and normalise(m.text) == key:
            return r
    votes = Counter(r.geonameid for _, r in rs if r is not None)
    if not votes:
        return None
    best = votes.most_common(1)[0][0]
    return next(r for _, r in rs if r is not None and r.geonameid == best)


def _locate(e: Entity, text: str, starts: list[tuple[int, Candidate | None]]) -> Candidate | None:
    """'Azovstal steelworks in Mariupol': the resolved place named just after a mention."""
    for m in e.mentions:
        loc = _LOCATOR.match(text, m.end)
        if loc is None or loc.end() - m.end > NEAR_CHARS:
            continue
        for s, c in starts:
            if s == loc.end() and c is not None and c.feature in ("city", "admin1", "region"):
                return c
    return None


def _place(a: Analysis, name: str, c: Candidate | None, mentions: list[Mention], *, located: bool = False) -> Place:
    p = Place(id=f"p{len(a.places) + 1}", name=name, mentions=list(mentions))
    if c is not None:
        p.country, p.lat, p.lon = c.country_iso3, c.lat, c.lon
        if not located:
            p.geonameid, p.feature, p.admin1 = c.real_geonameid, c.feature, c.admin1
        else:
            p.feature, p.admin1 = "landmark", c.admin1 if c.feature == "city" else None
    a.places.append(p)
    return p


def _dateline_head(a: Analysis) -> tuple[int, int] | None:
    """The place part of the dateline ("CARACAS" of "CARACAS, Venezuela")."""
    sp = a.article.dateline_span
    if sp is None:
        return None
    raw = a.article.text[sp.start:sp.end]
    head = raw.split(",")[0].split("(")[0].rstrip(" -—:")
    return (sp.start, sp.start + len(head)) if head.strip() else None


def _dateline_place(a: Analysis, head: tuple[int, int], c: Candidate | None, ents: list[Entity],
                    by_geo: dict[int, Place]) -> str | None:
    s, e = head
    for ent in ents:  # the entity stage's dateline entity, or any entity with a mention on the head
        if ent.id == a.dateline_entity or any(m.start < e and s < m.end for m in ent.mentions):
            if any(m.start < e and s < m.end for m in ent.mentions) and ent.id in a.place_of:
                return a.place_of[ent.id]
    if c is None:
        return None
    mention = Mention(s, e, a.article.text[s:e])
    if c.geonameid in by_geo:
        p = by_geo[c.geonameid]
        p.mentions.insert(0, mention)
        return p.id
    p = _place(a, c.name, c, [mention])
    by_geo[c.geonameid] = p
    return p.id
