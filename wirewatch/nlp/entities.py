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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import knowledge as kb
from ..models import Entity, Mention
from .context import Analysis
from .text import fold, name_key, name_tokens, smart_title

if TYPE_CHECKING:
    from spacy.tokens import Token

KEEP = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC"}
DETS = {"the", "a", "an", "this", "that", "these", "those"}
LOCATIVE = {"in", "into", "from", "near", "at", "outside", "around", "towards", "toward", "across",
            "inside", "through", "via", "to"}
PLACE_NOUNS = {"town", "towns", "city", "cities", "village", "villages", "district", "districts",
               "province", "provinces", "region", "regions", "state", "territory", "capital", "port"}
PLACE_NOUNS_AFTER = PLACE_NOUNS | {"territory", "county"}  # "Rutshuru territory"
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


def _trim(toks: list[Token], start: int, end: int, label: str) -> tuple[int, int]:
    while start < end and (toks[start].lower_ in DETS or toks[start].is_punct
                           or toks[start].is_lower and end - start > 1 and toks[start].is_alpha
                           and len(toks[start]) > 3 and toks[start + 1].text != "-"):
        start += 1  # "the paramilitary Rapid Support Forces" -> "Rapid Support Forces"
    while end > start and (_is_poss(toks[end - 1]) or toks[end - 1].is_punct and toks[end - 1].text not in ".)"):
        end -= 1
    if label == "PERSON":
        while end - start > 1 and kb.is_title_word(toks[start].text):
            start += 1
    opened = [t.i for t in toks[start:end] if t.text == "("]
    if opened and not any(t.text == ")" for t in toks[opened[0]:end]):
        end = opened[0]  # "Homeland Union (Conservatives": spaCy cut inside the brackets
        while end > start and toks[end - 1].is_punct:
            end -= 1
    return start, end


def _title_fragment(toks: list[Token], start: int, end: int) -> bool:
    """'State' in 'Secretary of State', 'Defense' in 'Defense Secretary'."""
    if end - start != 1:
        return False
    tok = toks[start]
    if tok.text not in TITLE_MODIFIERS:
        return False
    if start >= 2 and toks[start - 1].lower_ == "of" and kb.is_title_word(toks[start - 2].text):
        return True
    return end < len(toks) and kb.is_title_word(toks[end].text) and tok.text in TITLE_MODIFIERS


def _split_possessive(a: Analysis, start: int, end: int, label: str) -> list[tuple[int, int, str, str | None]]:
    """Cut a span at an inner possessive: "Osama bin Laden's al-Qaida" -> PERSON + ORG."""
    toks = a.tokens
    for tok in toks[start:end - 1]:
        # "Lawyers’ Association" keeps its plural possessive; only "X’s Y" is two names
        if _is_poss(tok) and tok.i > start and tok.text.lower() in {"’s", "'s"}:
            left = (start, tok.i)
            right = (tok.i + 1, end)
            lt = a.span_text(*left)
            ltype = label
            if kb.country(lt) or kb.country_of_capital(lt):
                ltype = "GPE"
            elif kb.igo(lt):
                ltype = "ORG"
            rtype = "ORG" if label in {"PERSON", "ORG", "GPE"} else label
            lc = kb.country(lt)
            parts = [(left[0], left[1], ltype, None)]
            if any(t.is_title for t in toks[right[0]:right[1]]):
                parts.append((right[0], right[1], rtype, lc.iso3 if lc else None))
            return parts
    return [(start, end, label, None)]


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


def _locative_context(toks: list[Token], start: int) -> bool:
    if start == 0:
        return False
    prev = toks[start - 1].lower_
    if prev in LOCATIVE:
        return True
    if prev == "of" and start >= 2 and toks[start - 2].lower_ in PLACE_NOUNS:
        return True
    if prev in {"and", ","} and start >= 3:
        # coordination: "the towns of Sake and Rubaya"
        j = start - 2
        while j > 0 and toks[j].pos_ == "PROPN":
            j -= 1
        return toks[j].lower_ in LOCATIVE or (toks[j].lower_ == "of" and j > 0 and toks[j - 1].lower_ in PLACE_NOUNS)
    return False


def _raw_mentions(a: Analysis) -> list[RawMention]:
    toks = a.tokens
    n = len(toks)
    raws: list[RawMention] = []
    for ent in a.doc.ents:
        if ent.label_ not in KEEP:
            continue
        for s, e, label, hint in _split_possessive(a, ent.start, ent.end, ent.label_):
            s, e = _trim(toks, s, e, label)
            if s >= e or _title_fragment(toks, s, e):
                continue
            span = toks[s:e]
            if not any(t.text[:1].isupper() for t in span):
                continue  # "the ministry"; camel-case names like "YouTube" stay
            text = a.span_text(s, e)
            if text.lower().rstrip(".") in MONTHS_DAYS:
                continue
            if label == "ORG" and e - s >= 2 and toks[e - 1].is_lower:
                # "EU foreign ministers": a known name followed by common nouns is the known name
                k = e - 1
                while k > s and toks[k].is_lower:
                    k -= 1
                head = a.span_text(s, k + 1)
                if kb.organisation(head) or kb.country(head):
                    e = k + 1
                    span = toks[s:e]
                    text = head
            label, fixed = _relabel(text, label)
            if label in {"PERSON", "ORG"} and not fixed and e - s == 1 and (
                    _locative_context(toks, s) and _gazetteer_has(text)
                    or e < n and toks[e].lower_ in PLACE_NOUNS_AFTER):
                label = "GPE"  # "towns of Sake and Rubaya", "Rutshuru territory"
            elif label == "ORG" and not fixed and e - s == 1 and s > 0 \
                    and toks[s - 1].lower_ in {"around", "near", "outside", "towards", "toward"}:
                label = "GPE"  # "the fighting around Heglig": spatial prepositions take places
            if label == "PERSON" and not fixed and e - s >= 2 and toks[e - 1].lower_ in ORG_WORDS:
                label = "ORG"  # "United Democratic Alliance": no one's surname is Alliance
            if label == "PERSON" and e - s == 1 and (kb.title_sector(text) is not None or e < n
                                                      and toks[e].lower_ in GROUP_HEADS):
                continue  # "Riot" in "Riot police" at a sentence start
            if label in {"ORG", "GPE"} and not fixed and 2 <= e - s <= 3 and s > 0 \
                    and all(t.pos_ == "PROPN" for t in span) \
                    and not any(t.lower_ in ORG_WORDS for t in span) \
                    and toks[s - 1].pos_ == "NOUN" and kb.title_sector(toks[s - 1].text) is not None:
                label = "PERSON"  # "founder Bidzina Ivanishvili" tagged ORG
            if s > 0 and toks[s - 1].lower_ in ORG_NOUNS_BEFORE and not fixed:
                label = "ORG"  # "the Greek company Elica"
            if label in {"LOC", "FAC", "ORG"} and not fixed and e - s >= 2 and s >= 2 \
                    and toks[s - 1].lower_ in {"and", ","} and toks[s - 2].ent_type_ == "PERSON" \
                    and all(t.pos_ == "PROPN" for t in span):
                label = "PERSON"  # "Mariam Sawadogo and Issouf Kaboré"
            if label == "ORG" and not fixed and e - s == 1 and e < n and _is_poss(toks[e]) \
                    and _gazetteer_has(text):
                label = "GPE"  # "Mariupol’s Azovstal steelworks"
            if label == "ORG" and e - s == 1 and kb.is_title_word(text) and e < n \
                    and toks[e].ent_type_ == "PERSON":
                continue  # "Minister" before a name is a title, not an organisation
            raws.append(RawMention(s, e, label, hint, fixed))
    raws.extend(_dateline_mentions(a, raws))
    raws.extend(_missed_mentions(a, raws))
    raws = _compose(a, raws)
    raws.sort(key=lambda r: r.start)
    for r in raws:
        r.text = a.span_text(r.start, r.end)
    return raws


def _dateline_mentions(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """The dateline ("LUANDA, Angola") is a place, whatever spaCy said."""
    span = a.article.dateline_span
    if span is None:
        return []
    out = []
    dl = a.token_range(span.start, span.end)
    if dl is None:
        return []
    parts, cur = [], []
    for t in a.tokens[dl[0]:dl[1]]:
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


def _missed_mentions(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Known names spaCy missed, other occurrences of found names, and group institutions."""
    toks = a.tokens
    out: list[RawMention] = []
    # Token indices inside a mention, kept in step with `out`: one set lookup per token instead
    # of scanning every mention.
    covered = {i for r in raws for i in range(r.start, r.end)}
    # Capitalised proper nouns, found in one pass (is_title first: it is far cheaper than pos_).
    propn = {i for i, t in enumerate(toks) if t.is_title and t.pos_ == "PROPN"}
    # 1. Proper-noun runs in a place context that the gazetteer knows ("the towns of Sake and Rubaya").
    i = 0
    n = len(toks)
    while i < n:
        if i in propn and i not in covered:
            j = i
            while j < n and j in propn and j not in covered:
                j += 1
            text = a.span_text(i, j)
            label, fixed = _relabel(text, "ORG")
            if fixed:
                out.append(RawMention(i, j, label, None, True))
                covered.update(range(i, j))
            elif _locative_context(toks, i) and _gazetteer_has(text):
                out.append(RawMention(i, j, "GPE", None, False))
                covered.update(range(i, j))
            i = j
        else:
            i += 1
    return out


GROUP_MODIFIERS = {"riot", "border", "security", "armed", "special", "national", "regular", "federal",
                   "state", "military", "government", "allied", "elite", "naval", "interim", "transitional"}


def _compose(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Build the multi-word actors spaCy splits: "Kyrgyz border troops", "EU election observation
    mission", "United Socialist Party of Venezuela", and known names ("France 24")."""
    toks = a.tokens
    n = len(toks)
    for r in raws:
        r.text = a.span_text(r.start, r.end)
    by_start = {r.start: r for r in raws}
    out = list(raws)

    def replace(new: RawMention) -> None:
        out[:] = [r for r in out if r.end <= new.start or r.start >= new.end]
        out.append(new)

    # Known organisation names (longest first), overriding the pieces spaCy made of them.
    for start, end in _known_name_spans(a.article.text):
        rng = a.token_range(start, end, "strict")
        if rng is None or toks[rng[1] - 1].is_lower and toks[rng[1] - 1].tag_ == "NNS":
            continue  # "EU foreign ministers" are the EU's people: the EU acts, as analysts code it
        s, e = rng
        inside = [r for r in out if r.start < e and s < r.end]
        if all(s <= r.start and r.end <= e for r in inside) and \
                not any(r.start == s and r.end == e for r in inside):
            replace(RawMention(s, e, "ORG", None, True))
    for i, t in enumerate(toks):
        r0 = by_start.get(i)
        if r0 is None and not t.is_title:
            continue  # every rule below starts at a capitalised word or a mention
        # "<Demonym|Country> [modifiers] army/police/forces"
        c = None
        width = 1
        if t.is_title and (r0 is None or r0.label in {"NORP", "GPE"}):
            c = kb.country_of_demonym(t.text)
            if i + 1 < n and toks[i + 1].is_title:
                c2 = kb.country_of_demonym(f"{t.text} {toks[i + 1].text}")
                if c2:
                    c = c2  # "South Sudanese forces"
                    width = 2
            if c is None and r0 is not None and r0.label == "GPE":
                c = kb.country(r0.text)
                width = r0.end - r0.start
        if c is not None:
            j = i + width
            while j < n and j - (i + width) < 2 and toks[j].lower_ in GROUP_MODIFIERS and \
                    not (j + 1 < n and toks[j].lower_ + " " + toks[j + 1].lower_ in GROUP_HEADS):
                j += 1
            for w in (2, 1):
                if j + w > n:
                    continue
                head = a.span_text(j, j + w)
                if head.lower() in GROUP_HEADS and head.lower() != "government":
                    new = RawMention(i, j + w, "ORG", c.iso3, True, extra={"group": head.lower(),
                                                                           "name": f"{a.span_text(i, i + width)} {head}"})
                    replace(new)
                    break
        # "<IGO>['s] [lowercase words] mission/delegation/group of experts"
        if r0 is not None and r0.label == "ORG" and kb.igo(r0.text):
            j = r0.end
            if j < n and _is_poss(toks[j]):
                j += 1
            k = j
            while k < n and k - j < 4 and toks[k].is_lower and toks[k].pos_ in {"NOUN", "ADJ", "ADP"}:
                if toks[k].lower_ in BODY_HEADS and k > j:
                    end = k + 1
                    if toks[k].lower_ == "group" or (k + 2 < n and toks[k + 1].lower_ == "of" and toks[k + 2].lower_ == "experts"):
                        end = k + 3
                    replace(RawMention(i, end, "ORG", kb.igo(r0.text).country, True))
                    break
                k += 1
        # "United Socialist Party of Venezuela": an organisation named after its country
        if r0 is not None and r0.label == "ORG" and r0.end + 1 < n and toks[r0.end].lower_ == "of" \
                and toks[r0.end - 1].lower_ in ORG_WORDS:
            r1 = by_start.get(r0.end + 1)
            if r1 is not None and r1.label == "GPE":
                replace(RawMention(r0.start, r1.end, "ORG", None, False))
    out.sort(key=lambda r: r.start)
    return out


@lru_cache(maxsize=1)
def _known_names() -> tuple[re.Pattern[str], dict[str, list[str]]]:
    """The known organisation names (4+ characters) as: a pattern for where one may start, and the
    names by their first four characters, longest first."""
    names = set()
    for org in kb.organisations():
        for nm in (org.name, *org.aliases):
            if len(nm) >= 4 and (" " in nm or nm.isupper()):
                names.add(nm)
    from .actors import known_actor_names

    names.update(n for n in known_actor_names() if len(n) >= 4)
    by_prefix: dict[str, list[str]] = {}
    for nm in sorted(names, key=len, reverse=True):
        by_prefix.setdefault(nm[:4], []).append(nm)
    firsts = "".join(sorted({nm[0] for nm in names}))
    return re.compile(rf"(?<![\w-])[{re.escape(firsts)}]"), by_prefix


_WORD_OR_HYPHEN = re.compile(r"[\w-]")


def _known_name_spans(text: str) -> Iterator[tuple[int, int]]:
    r"""(start, end) of known names as whole words, leftmost-longest and without overlaps: the
    matches of `(?<![\w-])(?:longest|...|shortest)(?![\w-])`, which as one regex tried all ~750
    alternatives at every character and cost more than the rest of this stage."""
    starts, by_prefix = _known_names()
    done = 0
    for m in starts.finditer(text):
        at = m.start()
        if at < done:
            continue  # inside the previous match
        for nm in by_prefix.get(text[at:at + 4], ()):
            end = at + len(nm)
            if text.startswith(nm, at) and not _WORD_OR_HYPHEN.match(text, end):
                yield at, end
                done = end
                break


def _word_edge(text: str, i: int) -> bool:
    """Whether position i is outside a word (or outside the text): the edge of a whole-name match."""
    return i < 0 or i >= len(text) or not (text[i].isalnum() or text[i] in "_-")


def _repeat(a: Analysis, start: int, end: int, src: RawMention,
            taken: list[tuple[int, int]]) -> RawMention | None:
    rng = a.token_range(start, end, "strict")
    if rng is None:
        return None
    s, e = rng
    if any(ts < e and s < te for ts, te in taken):
        return None
    prev = a.tokens[s - 1] if s > 0 else None
    if prev is not None and prev.is_title and prev.pos_ == "PROPN" and not kb.is_title_word(prev.text):
        return None  # part of a longer name
    return RawMention(s, e, src.label, src.country_hint, src.fixed, text=a.span_text(s, e))


def _add_repeats(a: Analysis, raws: list[RawMention]) -> list[RawMention]:
    """Every further occurrence of a name already found is a mention too (spaCy is inconsistent)."""
    toks = a.tokens
    text = a.article.text  # == doc.text, which spaCy rebuilds on every access
    forms: dict[str, RawMention] = {}
    for r in raws:
        if r.label in {"PERSON", "ORG", "GPE", "LOC"} and len(r.text) > 2:
            forms.setdefault(r.text, r)
        if r.label == "PERSON" and r.end - r.start > 1:
            last = toks[r.end - 1].text
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
                extra_m = _repeat(a, at, end, forms[form], taken)
                if extra_m is not None:
                    extra.append(extra_m)
                    taken.append((extra_m.start, extra_m.end))
            at = text.find(form, at + 1)
    out = raws + extra
    out.sort(key=lambda r: r.start)
    return out


def _acronym_links(toks: list[Token], raws: list[RawMention]) -> dict[str, str]:
    """'Democratic Unity Roundtable (MUD)': the acronym names the same entity."""
    links: dict[str, str] = {}
    for r in raws:
        if r.label != "ORG" or r.end + 2 >= len(toks):
            continue
        if toks[r.end].text == "(" and toks[r.end + 2].text == ")" and _ACRONYM.match(toks[r.end + 1].text):
            links[toks[r.end + 1].text] = r.text
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

    def person_match(self, toks: list[str]) -> dict | None:
        """The latest person whose full name contains all of `toks` (a mention's name tokens)."""
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
        toks = name_tokens(r.text)  # read-only below, so one list serves every use
        if r.label == "PERSON":
            g = self.person_match(toks)
            if g:
                g["mentions"].append(r)
                return
        key = self.key_of(r, acronyms)
        g = self.by_key.get(key)
        if g is None and r.label != "PERSON":
            # A surname seen earlier as a person: "Blinken" is never a GPE.
            if len(toks) == 1:
                for cand in self.groups:
                    if cand["label"] == "PERSON" and toks[0] in cand["tokens"] and not r.fixed:
                        cand["mentions"].append(r)
                        return
        if g is None:
            g = {"label": r.label, "mentions": [], "tokens": toks, "key": key}
            self.groups.append(g)
            self.by_key[key] = g
        g["mentions"].append(r)
        if r.label == "PERSON" and len(toks) > len(g["tokens"]):
            g["tokens"] = toks


# A tie between labels (a single-word name tagged PERSON once and GPE once) goes to the first of
# these: the small model's commonest confusion is a one-word place read as a person.
TIE_ORDER = ("GPE", "LOC", "FAC", "ORG", "NORP", "PERSON")
_TIE_RANK = {lab: i for i, lab in enumerate(TIE_ORDER)}


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
    return max(dict.fromkeys(labels), key=lambda lab: (labels.count(lab), -_TIE_RANK.get(lab, len(_TIE_RANK))))


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
    toks = a.tokens
    text = a.article.text
    raws = _raw_mentions(a)
    raws = _add_repeats(a, raws)
    acronyms = _acronym_links(toks, raws)
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
            bounds = a.char_bounds(m.start, m.end)  # mentions are never empty
            if bounds in seen:
                continue
            seen.add(bounds)
            ment.append(Mention(bounds[0], bounds[1], text[bounds[0]:bounds[1]]))
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
