"""Stage: named entities, corrected and grouped into one entity per referent.

spaCy's small English model is fast but noisy on news: it tags towns as
people ("Goma/PERSON"), codes as places ("M23/GPE"), merges possessives
("Osama bin Laden's al-Qaida") and keeps title fragments ("State" in
"Secretary of State"). This stage repairs those classes of error with the
packaged knowledge (countries, organisations, titles) and the gazetteer,
finds mentions spaCy missed, and groups mentions into entities (surnames to
full names, acronyms to expansions, "U.S." to "United States").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import knowledge as kb
from ..models import Entity, Mention
from .context import Analysis
from .text import fold, name_key, name_tokens, smart_title

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

KEEP = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
DETS = {"the", "a", "an", "this", "that", "these", "those"}
LOCATIVE = {"in", "into", "from", "near", "at", "outside", "around", "towards", "toward", "across",
            "inside", "through", "via", "to"}
PLACE_NOUNS = {"town", "towns", "city", "cities", "village", "villages", "district", "districts",
               "province", "provinces", "region", "regions", "state", "territory", "capital", "port"}
# Organisation heads that make "<demonym> <head>" an institution worth indexing.
GROUP_HEADS = {"army", "police", "military", "forces", "troops", "navy", "government", "border guards",
               "armed forces", "security forces", "coast guard", "air force"}
# Words that qualify a title and that spaCy tags as names on their own ("Defense Secretary").
TITLE_MODIFIERS = {"State", "Defense", "Defence", "Foreign", "Interior", "Justice", "Finance", "Health",
                   "Home", "Prime", "Vice", "Deputy", "General", "Attorney", "Security"}
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&.\-]{1,9}$")


@dataclass(slots=True)
class RawMention:
    start: int  # token offsets in the doc
    end: int
    label: str
    country_hint: str | None = None  # "Georgia's Interior Ministry" -> the ministry is GEO's
    fixed: bool = False  # type decided by knowledge; not voted on
    key: str = ""
    text: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _is_poss(tok) -> bool:
    return tok.tag_ == "POS" or tok.text in {"’s", "'s", "’", "'"}


def _trim(doc: Doc, start: int, end: int, label: str) -> tuple[int, int]:
    while start < end and (doc[start].lower_ in DETS or doc[start].is_punct
                           or doc[start].is_lower and end - start > 1 and doc[start].is_alpha
                           and len(doc[start]) > 3 and doc[start + 1].text != "-"):
        start += 1  # "the paramilitary Rapid Support Forces" -> "Rapid Support Forces"
    while end > start and (_is_poss(doc[end - 1]) or doc[end - 1].is_punct and doc[end - 1].text not in ".)"):
        end -= 1
    if label == "PERSON":
        while end - start > 1 and kb.is_title_word(doc[start].text):
            start += 1
    opened = [t.i for t in doc[start:end] if t.text == "("]
    if opened and not any(t.text == ")" for t in doc[opened[0]:end]):
        end = opened[0]  # "Homeland Union (Conservatives": spaCy cut inside the brackets
        while end > start and doc[end - 1].is_punct:
            end -= 1
    return start, end


def _title_fragment(doc: Doc, start: int, end: int) -> bool:
    """'State' in 'Secretary of State', 'Defense' in 'Defense Secretary'."""
    if end - start != 1:
        return False
    tok = doc[start]
    if tok.text not in TITLE_MODIFIERS:
        return False
    if start >= 2 and doc[start - 1].lower_ == "of" and kb.is_title_word(doc[start - 2].text):
        return True
    return end < len(doc) and kb.is_title_word(doc[end].text) and tok.text in TITLE_MODIFIERS


def _split_possessive(doc: Doc, span: Span) -> list[tuple[int, int, str, str | None]]:
    """Cut a span at an inner possessive: "Osama bin Laden's al-Qaida" -> PERSON + ORG."""
    for tok in span[:-1]:
        # "Lawyers’ Association" keeps its plural possessive; only "X’s Y" is two names
        if _is_poss(tok) and tok.i > span.start and tok.text.lower() in {"’s", "'s"}:
            left = (span.start, tok.i)
            right = (tok.i + 1, span.end)
            lt = doc[left[0]:left[1]].text
            ltype = span.label_
            if kb.country(lt) or kb.country_of_capital(lt):
                ltype = "GPE"
            elif kb.igo(lt):
                ltype = "ORG"
            rtype = "ORG" if span.label_ in {"PERSON", "ORG", "GPE"} else span.label_
            lc = kb.country(lt)
            parts = [(left[0], left[1], ltype, None)]
            if any(t.is_title for t in doc[right[0]:right[1]]):
                parts.append((right[0], right[1], rtype, lc.iso3 if lc else None))
            return parts
    return [(span.start, span.end, span.label_, None)]


MONTHS_DAYS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
               "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
               "saturday", "sunday", "sept", "jan", "feb", "aug", "oct", "nov", "dec"}
# Head nouns that make "<IGO> ... <head>" a body of its own ("EU election observation mission").
BODY_HEADS = {"mission", "delegation", "panel", "agency", "commission", "team", "office", "experts",
              "envoy's office", "secretariat", "force", "council"}
ORG_NOUNS_BEFORE = {"company", "firm", "group", "channel", "broadcaster", "newspaper", "daily", "agency",
                    "party", "bank", "operator", "carrier", "station", "outlet", "network", "militia",
                    "movement", "coalition", "alliance", "organisation", "organization", "ngo", "charity"}
ORG_WORDS = {"party", "council", "ministry", "army", "forces", "association", "union", "front", "movement",
             "bank", "agency", "committee", "authority", "group", "company", "corporation", "tv", "radio",
             "university", "service", "department", "commission", "court", "tribunal", "assembly", "league",
             "alliance", "coalition", "organisation", "organization", "congress", "federation", "foundation",
             "institute"}


def _relabel(text: str, label: str) -> tuple[str, bool]:
    """Knowledge overrides spaCy's label for names we know."""
    if kb.organisation(text):
        return "ORG", True
    c = kb.country(text)
    if c:
        return "GPE", True
    if kb.country_of_capital(text) and label != "PERSON":
        return "GPE", True
    if kb.country_of_demonym(text) and " " not in text.strip():
        return "NORP", True
    if label in {"GPE", "LOC", "PERSON"} and any(ch.isdigit() for ch in text) and any(ch.isalpha() for ch in text):
        return "ORG", True  # "M23", "G7"
    if label == "FAC":
        return "LOC", False
    return label, False


def _gazetteer_has(name: str) -> bool:
    if name.lower().rstrip(".") in MONTHS_DAYS:
        return False
    try:
        from ..geo.gazetteer import default_gazetteer
    except ImportError:  # pragma: no cover - the geo package ships with wirewatch
        return False
    try:
        # A place worth retyping a name for: alternate spellings of hamlets ("Samseung" for
        # Samsung) must not turn companies and people into places.
        return any(c.population >= 1000 or c.feature in {"country", "admin1", "admin2", "region"}
                   or fold(c.name) == fold(name) for c in default_gazetteer().candidates(name))
    except Exception:  # noqa: BLE001 - a missing cache must not stop extraction
        return False


def _locative_context(doc: Doc, start: int) -> bool:
    if start == 0:
        return False
    prev = doc[start - 1].lower_
    if prev in LOCATIVE:
        return True
    if prev == "of" and start >= 2 and doc[start - 2].lower_ in PLACE_NOUNS:
        return True
    if prev in {"and", ","} and start >= 3:
        # coordination: "the towns of Sake and Rubaya"
        j = start - 2
        while j > 0 and doc[j].pos_ == "PROPN":
            j -= 1
        return doc[j].lower_ in LOCATIVE or (doc[j].lower_ == "of" and j > 0 and doc[j - 1].lower_ in PLACE_NOUNS)
    return False


def _raw_mentions(a: Analysis) -> list[RawMention]:
    doc = a.doc
    raws: list[RawMention] = []
    for ent in doc.ents:
        if ent.label_ not in KEEP:
            continue
        for s, e, label, hint in _split_possessive(doc, ent):
            s, e = _trim(doc, s, e, label)
            if s >= e or _title_fragment(doc, s, e):
                continue
            span = doc[s:e]
            if not any(t.text[:1].isupper() for t in span):
                continue  # "the ministry"; camel-case names like "YouTube" stay
            text = span.text
            if text.lower().rstrip(".") in MONTHS_DAYS:
                continue
            if label == "ORG" and e - s >= 2 and doc[e - 1].is_lower:
                # "EU foreign ministers": a known name followed by common nouns is the known name
                k = e - 1
                while k > s and doc[k].is_lower:
                    k -= 1
                head = doc[s:k + 1].text
                if kb.organisation(head) or kb.country(head):
                    e = k + 1
                    span = doc[s:e]
                    text = span.text
            label, fixed = _relabel(text, label)
            if label in {"PERSON", "ORG"} and not fixed and e - s == 1 and (
                    _locative_context(doc, s) and _gazetteer_has(text)
                    or e < len(doc) and doc[e].lower_ in PLACE_NOUNS | {"territory", "county"}):
                label = "GPE"  # "towns of Sake and Rubaya", "Rutshuru territory"
            elif label == "ORG" and not fixed and e - s == 1 and s > 0 \
                    and doc[s - 1].lower_ in {"around", "near", "outside", "towards", "toward"}:
                label = "GPE"  # "the fighting around Heglig": spatial prepositions take places
            if label == "PERSON" and not fixed and e - s >= 2 and doc[e - 1].lower_ in ORG_WORDS:
                label = "ORG"  # "United Democratic Alliance": no one's surname is Alliance
            if label == "PERSON" and e - s == 1 and (kb.title_sector(text) is not None or e < len(doc)
                                                      and doc[e].lower_ in GROUP_HEADS):
                continue  # "Riot" in "Riot police" at a sentence start
            if label in {"ORG", "GPE"} and not fixed and 2 <= e - s <= 3 and s > 0 \
                    and all(t.pos_ == "PROPN" for t in span) \
                    and not any(t.lower_ in ORG_WORDS for t in span) \
                    and doc[s - 1].pos_ == "NOUN" and kb.title_sector(doc[s - 1].text) is not None:
                label = "PERSON"  # "founder Bidzina Ivanishvili" tagged ORG
            if s > 0 and doc[s - 1].lower_ in ORG_NOUNS_BEFORE and not fixed:
                label = "ORG"  # "the Greek company Elica"
            if label in {"LOC", "FAC", "ORG"} and not fixed and e - s >= 2 and s >= 2 \
                    and doc[s - 1].lower_ in {"and", ","} and doc[s - 2].ent_type_ == "PERSON" \
                    and all(t.pos_ == "PROPN" for t in span):
                label = "PERSON"  # "Mariam Sawadogo and Issouf Kaboré"
            if label == "ORG" and not fixed and e - s == 1 and e < len(doc) and _is_poss(doc[e]) \
                    and _gazetteer_has(text):
                label = "GPE"  # "Mariupol’s Azovstal steelworks"
            if label == "ORG" and e - s == 1 and kb.is_title_word(text) and e < len(doc) \
                    and doc[e].ent_type_ == "PERSON":
                continue  # "Minister" before a name is a title, not an organisation
            raws.append(RawMention(s, e, label, hint, fixed))
    raws.extend(_dateline_mentions(a, raws))
    raws.extend(_missed_mentions(a, raws))
    raws = _compose(a, raws)
    raws.sort(key=lambda r: r.start)
    for r in raws:
        r.text = doc[r.start:r.end].text
    return raws


def _dateline_mentions(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """The dateline ("LUANDA, Angola") is a place, whatever spaCy said."""
    span = a.article.dateline_span
    if span is None:
        return []
    out = []
    doc = a.doc
    dl = doc.char_span(span.start, span.end, alignment_mode="expand")
    if dl is None:
        return []
    parts, cur = [], []
    for t in dl:
        if t.text == ",":
            parts.append(cur)
            cur = []
        else:
            cur.append(t)
    parts.append(cur)
    for part in parts:
        if not part:
            continue
        s, e = part[0].i, part[-1].i + 1
        raws[:] = [r for r in raws if r.end <= s or r.start >= e]
        out.append(RawMention(s, e, "GPE", None, True, extra={"dateline": "1"}))
    return out


def _covered(raws: list[RawMention], s: int, e: int) -> bool:
    return any(r.start < e and s < r.end for r in raws)


def _missed_mentions(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Known names spaCy missed, other occurrences of found names, and group institutions."""
    doc = a.doc
    out: list[RawMention] = []
    # 1. Proper-noun runs in a place context that the gazetteer knows ("the towns of Sake and Rubaya").
    i = 0
    n = len(doc)
    while i < n:
        t = doc[i]
        if t.pos_ == "PROPN" and t.is_title and not _covered(raws + out, i, i + 1):
            j = i
            while j < n and doc[j].pos_ == "PROPN" and doc[j].is_title and not _covered(raws + out, j, j + 1):
                j += 1
            text = doc[i:j].text
            label, fixed = _relabel(text, "ORG")
            if fixed:
                out.append(RawMention(i, j, label, None, True))
            elif _locative_context(doc, i) and _gazetteer_has(text):
                out.append(RawMention(i, j, "GPE", None, False))
            i = j
        else:
            i += 1
    return out


GROUP_MODIFIERS = {"riot", "border", "security", "armed", "special", "national", "regular", "federal",
                   "state", "military", "government", "allied", "elite", "naval", "interim", "transitional"}


def _compose(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Build the multi-word actors spaCy splits: "Kyrgyz border troops", "EU election observation
    mission", "United Socialist Party of Venezuela", and known names ("France 24")."""
    doc = a.doc
    n = len(doc)
    for r in raws:
        r.text = doc[r.start:r.end].text
    by_start = {r.start: r for r in raws}
    out = list(raws)

    def replace(new: RawMention) -> None:
        out[:] = [r for r in out if r.end <= new.start or r.start >= new.end]
        out.append(new)

    # Known organisation names (longest first), overriding the pieces spaCy made of them.
    for m in _known_names_re().finditer(a.article.text):
        span = doc.char_span(m.start(), m.end())
        if span is None or span[-1].is_lower and span[-1].tag_ == "NNS":
            continue  # "EU foreign ministers" are the EU's people: the EU acts, as analysts code it
        inside = [r for r in out if r.start < span.end and span.start < r.end]
        if all(span.start <= r.start and r.end <= span.end for r in inside) and \
                not any(r.start == span.start and r.end == span.end for r in inside):
            replace(RawMention(span.start, span.end, "ORG", None, True))
    for t in doc:
        i = t.i
        r0 = by_start.get(i)
        if r0 is None and not t.is_title:
            continue  # every rule below starts at a capitalised word or a mention
        # "<Demonym|Country> [modifiers] army/police/forces"
        c = None
        width = 1
        if t.is_title and (r0 is None or r0.label in {"NORP", "GPE"}):
            c = kb.country_of_demonym(t.text)
            if i + 1 < n and doc[i + 1].is_title and kb.country_of_demonym(f"{t.text} {doc[i + 1].text}"):
                c = kb.country_of_demonym(f"{t.text} {doc[i + 1].text}")  # "South Sudanese forces"
                width = 2
            if c is None and r0 is not None and r0.label == "GPE":
                c = kb.country(r0.text)
                width = r0.end - r0.start
        if c is not None:
            j = i + width
            while j < n and j - (i + width) < 2 and doc[j].lower_ in GROUP_MODIFIERS and \
                    not (j + 1 < n and doc[j].lower_ + " " + doc[j + 1].lower_ in GROUP_HEADS):
                j += 1
            for w in (2, 1):
                head = doc[j:j + w]
                if len(head) == w and head.text.lower() in GROUP_HEADS and head.text.lower() != "government":
                    new = RawMention(i, head.end, "ORG", c.iso3, True, extra={"group": head.text.lower(),
                                                                                "name": f"{doc[i:i + width].text} {head.text}"})
                    replace(new)
                    break
        # "<IGO>['s] [lowercase words] mission/delegation/group of experts"
        if r0 is not None and r0.label == "ORG" and kb.igo(r0.text):
            j = r0.end
            if j < n and _is_poss(doc[j]):
                j += 1
            k = j
            while k < n and k - j < 4 and doc[k].is_lower and doc[k].pos_ in {"NOUN", "ADJ", "ADP"}:
                if doc[k].lower_ in BODY_HEADS and k > j:
                    end = k + 1
                    if doc[k].lower_ == "group" or (k + 2 < n and doc[k + 1].lower_ == "of" and doc[k + 2].lower_ == "experts"):
                        end = k + 3
                    replace(RawMention(i, end, "ORG", kb.igo(r0.text).country, True))
                    break
                k += 1
        # "United Socialist Party of Venezuela": an organisation named after its country
        if r0 is not None and r0.label == "ORG" and r0.end + 1 < n and doc[r0.end].lower_ == "of" \
                and doc[r0.end - 1].lower_ in ORG_WORDS:
            r1 = by_start.get(r0.end + 1)
            if r1 is not None and r1.label == "GPE":
                replace(RawMention(r0.start, r1.end, "ORG", None, False))
    out.sort(key=lambda r: r.start)
    return out


@lru_cache(maxsize=1)
def _known_names_re() -> re.Pattern[str]:
    names = set()
    for org in kb.organisations():
        for nm in (org.name, *org.aliases):
            if len(nm) >= 4 and (" " in nm or nm.isupper()):
                names.add(nm)
    from .actors import known_actor_names

    names.update(n for n in known_actor_names() if len(n) >= 4)
    alt = "|".join(re.escape(x) for x in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])")


def _word_edge(text: str, i: int) -> bool:
    """Whether position i is outside a word (or outside the text): the edge of a whole-name match."""
    return i < 0 or i >= len(text) or not (text[i].isalnum() or text[i] in "_-")


def _repeat(doc: Doc, start: int, end: int, src: RawMention,
            taken: list[tuple[int, int]]) -> RawMention | None:
    span = doc.char_span(start, end)
    if span is None or any(s < span.end and span.start < e for s, e in taken):
        return None
    if span.start > 0 and doc[span.start - 1].is_title and doc[span.start - 1].pos_ == "PROPN" \
            and not kb.is_title_word(doc[span.start - 1].text):
        return None  # part of a longer name
    return RawMention(span.start, span.end, src.label, src.country_hint, src.fixed, text=span.text)


def _add_repeats(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Every further occurrence of a name already found is a mention too (spaCy is inconsistent)."""
    doc = a.doc
    text = a.article.text  # == doc.text, which spaCy rebuilds on every access
    forms: dict[str, RawMention] = {}
    for r in raws:
        if r.label in {"PERSON", "ORG", "GPE", "LOC"} and len(r.text) > 2:
            forms.setdefault(r.text, r)
        if r.label == "PERSON" and r.end - r.start > 1:
            last = doc[r.end - 1].text
            if len(last) > 2 and last[0].isupper():
                forms.setdefault(last, RawMention(r.end - 1, r.end, "PERSON"))
    if not forms:
        return raws
    # str.find per form, longest first, rather than one alternation regex: compiling that regex
    # anew for every article cost more than the whole search.
    taken = [(r.start, r.end) for r in raws]
    extra = []
    for form in sorted(forms, key=len, reverse=True):
        at = text.find(form)
        while at != -1:
            end = at + len(form)
            if _word_edge(text, at - 1) and _word_edge(text, end):
                extra_m = _repeat(doc, at, end, forms[form], taken)
                if extra_m is not None:
                    extra.append(extra_m)
                    taken.append((extra_m.start, extra_m.end))
            at = text.find(form, at + 1)
    out = raws + extra
    out.sort(key=lambda r: r.start)
    return out


def _acronym_links(doc: Doc, raws: list[RawMention]) -> dict[str, str]:
    """'Democratic Unity Roundtable (MUD)': the acronym names the same entity."""
    links: dict[str, str] = {}
    for r in raws:
        if r.label != "ORG" or r.end + 2 >= len(doc):
            continue
        if doc[r.end].text == "(" and doc[r.end + 2].text == ")" and _ACRONYM.match(doc[r.end + 1].text):
            links[doc[r.end + 1].text] = r.text
    return links


class _Grouper:
    """Assigns each mention to an entity: one entity per referent."""

    def __init__(self) -> None:
        self.groups: list[dict] = []
        self.by_key: dict[str, dict] = {}

    def key_of(self, r: RawMention, acronyms: dict[str, str]) -> str:
        text = acronyms.get(r.text, r.text)
        if r.label in {"GPE", "ORG", "NORP"}:
            g = kb.organisation(text)
            if g and r.label == "ORG" and name_key(text) in {name_key(x) for x in (g.name, *g.aliases)}:
                return f"igo:{fold(g.name)}"  # exact names only: "U.N. mission" is not the U.N.
            c = kb.country(text)
            if c and r.label == "GPE":
                return f"country:{c.iso3}"
        return f"{r.label}:{name_key(text)}"

    def person_match(self, r: RawMention) -> dict | None:
        toks = name_tokens(r.text)
        if not toks:
            return None
        best = None
        for g in self.groups:
            if g["label"] != "PERSON":
                continue
            full = g["tokens"]
            if len(toks) < len(full) and all(t in full for t in toks):
                best = g  # most recent wins: later groups override
        return best

    def add(self, r: RawMention, acronyms: dict[str, str]) -> None:
        if r.label == "PERSON":
            g = self.person_match(r)
            if g:
                g["mentions"].append(r)
                return
        key = self.key_of(r, acronyms)
        g = self.by_key.get(key)
        if g is None and r.label != "PERSON":
            # A surname seen earlier as a person: "Blinken" is never a GPE.
            toks = name_tokens(r.text)
            if len(toks) == 1:
                for cand in self.groups:
                    if cand["label"] == "PERSON" and toks[0] in cand["tokens"] and not r.fixed:
                        cand["mentions"].append(r)
                        return
        if g is None:
            g = {"label": r.label, "mentions": [], "tokens": name_tokens(r.text), "key": key}
            self.groups.append(g)
            self.by_key[key] = g
        g["mentions"].append(r)
        if r.label == "PERSON" and len(name_tokens(r.text)) > len(g["tokens"]):
            g["tokens"] = name_tokens(r.text)


# A tie between labels (a single-word name tagged PERSON once and GPE once) goes to the first of
# these: the small model's commonest confusion is a one-word place read as a person.
TIE_ORDER = ("GPE", "LOC", "FAC", "ORG", "NORP", "PERSON")


def _vote_label(mentions: list[RawMention]) -> str:
    """The label most mentions carry; a tie goes by TIE_ORDER, then to the earliest mention's label
    (iterating a set here made the result depend on the process's string-hash seed)."""
    mentions = sorted(mentions, key=lambda m: m.start)
    fixed = [m.label for m in mentions if m.fixed]
    if fixed:
        return max(dict.fromkeys(fixed), key=fixed.count)
    labels = [m.label for m in mentions]
    if "PERSON" in labels and any(m.end - m.start > 1 and m.label == "PERSON" for m in mentions):
        return "PERSON"
    rank = {lab: i for i, lab in enumerate(TIE_ORDER)}
    return max(dict.fromkeys(labels), key=lambda lab: (labels.count(lab), -rank.get(lab, len(rank))))


def _best_name(mentions: list[RawMention], label: str) -> str:
    texts = [m.text for m in mentions if not m.extra.get("dateline")] or [m.text for m in mentions]
    if label == "PERSON":
        return max(texts, key=lambda t: (len(t.split()), -texts.index(t)))
    if label in {"GPE", "ORG"}:
        # The fullest form: "Democratic Republic of Congo" over "Congo", but not an acronym.
        longest = max(texts, key=lambda t: (not _ACRONYM.match(t), len(t)))
        return longest if any(m.text == longest and not m.extra.get("dateline") for m in mentions) \
            else smart_title(longest)
    return texts[0]


def extract(a: Analysis) -> None:
    doc = a.doc
    raws = _raw_mentions(a)
    raws = _add_repeats(a, raws)
    acronyms = _acronym_links(doc, raws)
    grouper = _Grouper()
    for r in raws:
        grouper.add(r, acronyms)
    n = 0
    for g in grouper.groups:
        mentions = g["mentions"]
        label = _vote_label(mentions)
        n += 1
        seen: set[tuple[int, int]] = set()
        ment = []
        for m in mentions:
            span = doc[m.start:m.end]
            if (span.start_char, span.end_char) in seen:
                continue
            seen.add((span.start_char, span.end_char))
            ment.append(Mention(span.start_char, span.end_char, span.text))
        named = next((m.extra["name"] for m in mentions if "name" in m.extra), None)
        ent = Entity(id=f"e{n}", name=named or _best_name(mentions, label), type=label, mentions=ment)
        hints = [m.country_hint for m in mentions if m.country_hint]
        if hints:
            ent.country = hints[0]
        a.add_entity(ent)
        if any(m.extra.get("dateline") for m in mentions) and a.dateline_entity is None:
            a.dateline_entity = ent.id
        group = next((m.extra["group"] for m in mentions if "group" in m.extra), None)
        if group:
            a.group_of[ent.id] = group
    a.index_mentions()
