"""Stage: times — TIMEX3 expressions of the article, resolved against its publication date.

Recognition and normalisation live in `wirewatch.timex` (usable without spaCy); this stage adds
what the parse knows: the tense of the clause governing each expression (so "on Wednesday" in a
past clause is last Wednesday, in a future one the next), spaCy DATE/TIME entities the rules
missed when `timex` can still normalise them, and the clause lookups events need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import timex
from ..models import Time
from .context import Analysis, clause_head

if TYPE_CHECKING:
    from spacy.tokens import Token

_KEY = "wirewatch.times"  # doc.user_data slot: [(Time, `_heads` of its root)] of the Times that date events
_DATED = ("DATE", "TIME")
_BOUNDS = {"since", "until", "till", "pending"}


def _in_quote(text: str, pos: int) -> bool:
    """Inside quoted speech: an unclosed opening quote earlier in the same paragraph."""
    para = text[text.rfind("\n", 0, pos) + 1:pos]
    return para.count("“") > para.count("”") or para.count('"') % 2 == 1


def _ok(t: timex.Timex, text: str) -> bool:
    """Junk filter: what an analyst would not call a time.

    A bare "now" inside a quote is the speaker's rhetoric ("And now it is time to ...",
    "New elections now!") far more often than a time reference; adjectival "daily" and the
    like qualify nouns ("a daily newspaper") rather than schedule events.
    """
    if t.kind == "vague" and t.text.lower() == "now" and _in_quote(text, t.start):
        return False
    return not (t.kind == "set" and t.text.lower() in ("daily", "weekly", "monthly"))


def extract(a: Analysis) -> None:
    """Fill `a.times` with the article's time expressions (ids t1, t2, ... in text order)."""
    doc, text = a.doc, a.article.text
    found = [t for t in timex.find(text, a.article.published, doc=doc) if _ok(t, text)]
    # a bare 4-digit "year" that the NER reads as a count or an amount is one ("1709 schoolchildren")
    counts = [(e.start_char, e.end_char) for e in getattr(doc, "ents", ())
              if e.label_ in ("CARDINAL", "MONEY", "QUANTITY", "PERCENT")]
    found = [t for t in found if t.kind != "year" or not any(s <= t.start and t.end <= e for s, e in counts)]
    covered = [(t.start, t.end) for t in found]
    anchor = timex.anchor_date(a.article.published)
    for ent in getattr(doc, "ents", ()):
        if ent.label_ not in _DATED:
            continue
        s, e = ent.start_char, ent.end_char
        if any(s < ce and e > cs for cs, ce in covered):
            continue
        # spaCy found a date the rules did not: keep it only when the rules can read it
        norm = timex.normalize(ent.text, anchor, tense=tense_of(ent.root))
        if norm is None or norm[1] is None or not any(ch.isalpha() for ch in ent.text):
            continue
        found.append(timex.Timex(s, e, ent.text, norm[0], norm[1], None, "spacy"))
    found.sort(key=lambda t: t.start)
    times: list[Time] = []
    index: list[tuple[Time, list[tuple[int, bool]]]] = []
    for i, t in enumerate(found, 1):
        rec = Time(id=f"t{i}", text=t.text, start=t.start, end=t.end, type=t.type, value=t.value)
        times.append(rec)
        if rec.type not in _DATED or not rec.value or not rec.value[:1].isdigit():
            continue  # only a date can date an event (`time_for`)
        span = doc.char_span(t.start, t.end, alignment_mode="expand")
        if span is not None and len(span) and not _bounded(span.root):
            # "jailed since the October 26 vote": a bound of the state, not the event's date
            index.append((rec, _heads(span.root)))
    a.times = times
    doc.user_data[_KEY] = index


def tense_of(token: Token) -> str:
    """'past', 'future' or 'present' for the clause governing `token` (present when verbless)."""
    return timex.clause_tense(token) or "present"


def _heads(root: Any) -> list[tuple[int, bool]]:
    """A time's root and the tokens above it up to the sentence root, climbed once per time rather
    than once per trigger: (token index, whether it is a verb of a clause of its own)."""
    out = []
    t = root
    while True:
        out.append((t.i, t.pos_ in ("VERB", "AUX") and t.dep_ not in ("aux", "auxpass", "amod")))
        if t.head.i == t.i:
            return out
        t = t.head


def _bounded(root: Any) -> bool:
    """Is the time the object (or inside the object) of since/until?"""
    if root.i > 0 and root.doc[root.i - 1].lower_ in _BOUNDS:
        return True
    t = root
    for _ in range(4):
        if t.pos_ == "ADP" or t.dep_ == "prep":
            return t.lower_ in _BOUNDS
        if t.pos_ in ("VERB", "AUX") or t.head.i == t.i:
            return False
        t = t.head
    return False


def time_for(a: Analysis, token: Token) -> tuple[Time | None, str | None]:
    """The dated Time of the clause containing `token` (an event trigger), and "clause".

    A Time counts when its head is governed by the trigger itself (a noun trigger: "Sunday's
    vote") or by the trigger's clause verb without an intervening clause of another verb; the
    nearest such wins. Times after since/until bound a state rather than date the event and are
    skipped. `(None, None)` when the clause has none.
    """
    index = token.doc.user_data.get(_KEY)
    if index is None:
        return None, None
    head = clause_head(token)
    best: tuple[int, int, Time] | None = None
    for rec, heads in index:  # dated and unbounded Times only (see `extract`)
        reach = [i for i, _ in heads[:32]]  # the target governs the time within 31 steps
        for target, bonus in ((token, 0), (head, 1)):
            if target.i not in reach:
                continue
            d = reach.index(target.i)
            # a verb between the time and the clause head means the time belongs to that other clause;
            # when the time's root is the target itself (d == 0) every head above it is checked
            if any(verb for _, verb in heads[1:d or len(heads)]):
                continue
            key = (bonus, d)
            if best is None or key < best[:2]:
                best = (bonus, d, rec)
            break
    if best is None:
        return None, None
    return best[2], "clause"
