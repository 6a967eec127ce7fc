"""A readable plain-text report of one record, for `--format text`."""

from __future__ import annotations

from ..models import ArticleRecord


def text_report(rec: ArticleRecord) -> str:
    a = rec.article
    names = {e.id: e.name for e in rec.entities}
    places = {p.id: p.name for p in rec.places}
    times = {t.id: t.text for t in rec.times}
    out = [f"# {a.title or '(untitled)'}", f"published {a.published or 'unknown'}  source {a.source or '-'}  id {a.id[:12]}"]
    out.append("\nEntities")
    for e in rec.entities:
        code = "/".join(x for x in (e.country, e.sector) if x) or "-"
        roles = "; ".join(r.title for r in e.roles)
        out.append(f"  {e.type:<7} {e.name:<32} {code:<10} {roles}  ({len(e.mentions)} mentions)")
    out.append("\nPlaces")
    for p in rec.places:
        where = f"{p.lat:.2f},{p.lon:.2f}" if p.lat is not None and p.lon is not None else "unresolved"
        out.append(f"  {p.name:<28} {p.country or '-':<4} {where}  {p.feature or ''}")
    out.append("\nTimes")
    for t in rec.times:
        out.append(f"  {t.text!r:<36} {t.type:<9} {t.value}")
    out.append("\nQuantities")
    for q in rec.quantities:
        approx = "~" if q.approximate else ""
        out.append(f"  {approx}{q.value:<12} {q.unit or '':<10} of {q.of or '-'}")
    out.append("\nQuotes")
    for q in rec.quotes:
        kind = "direct" if q.direct else "reported"
        out.append(f"  {q.speaker_text or '?'} ({names.get(q.speaker or '', '?')}), {kind}: {q.text[:90]!r}")
    out.append("\nEvents")
    for v in rec.events:
        actors = ", ".join(names.get(x, x) for x in v.actors) or "?"
        targets = ", ".join(names.get(x, x) for x in v.targets) or "-"
        where = places.get(v.place or "", "-")
        when = v.date or times.get(v.time or "", "-")
        mode = f"/{v.mode}" if v.mode else ""
        out.append(f"  {actors} -> {v.type}{mode} -> {targets}, at {where}, on {when}, {v.status}"
                   f"  [{v.trigger.text}] {v.confidence:.2f}")
    return "\n".join(out)
