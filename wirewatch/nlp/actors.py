"""Stage: actor coding. Every person, organisation and group gets a country
(ISO3 or an IGO code) and a sector, from what the text says about it:
titles before the name ("Turkey's Foreign Minister", "NATO chief"),
appositions ("Esther Kahindo, a market trader"), the organisation named with
a title ("M23 spokesman" takes M23's sector), nationality words in an
organisation's name ("Russian Defence Ministry"), and the nouns an
organisation is named with ("M23 rebels", "rebels of the M23 movement").
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from .. import knowledge as kb
from ..models import Entity, Role
from .context import Analysis
from .text import name_key

if TYPE_CHECKING:
    from spacy.tokens import Token

STOP_LEFT = {"and", "or", "but", "with", "by", "to", "for", "from", "at", "on", "in", "said", "says"}
GROUP_SECTORS = {"army": "MIL", "military": "MIL", "forces": "MIL", "troops": "MIL", "navy": "MIL",
                 "armed forces": "MIL", "air force": "MIL", "border guards": "MIL", "coast guard": "MIL",
                 "security forces": "MIL", "police": "POL", "government": "GOV"}


@lru_cache(maxsize=1)
def _igo_codes() -> frozenset[str]:
    return frozenset(g.country for g in kb.igos() if g.kind == "igo" and g.country)


@lru_cache(maxsize=1)
def _known_actors() -> dict[str, tuple[str | None, str]]:
    """Packaged list of well-known non-state actors (armed groups, NGOs, media): key -> (country, sector)."""
    import json
    from importlib.resources import files

    data = json.loads((files("wirewatch") / "data" / "actors.json").read_text("utf-8"))
    out: dict[str, tuple[str | None, str]] = {}
    for row in data["actors"]:
        for name in (row["name"], *row["aliases"]):
            out[name_key(name)] = (row["country"], row["sector"])
    return out


def known_actor_names() -> list[str]:
    return [row for row in _known_actor_surface()]


@lru_cache(maxsize=1)
def _known_actor_surface() -> tuple[str, ...]:
    import json
    from importlib.resources import files

    data = json.loads((files("wirewatch") / "data" / "actors.json").read_text("utf-8"))
    return tuple(n for row in data["actors"] for n in (row["name"], *row["aliases"]))


@lru_cache(maxsize=16384)  # pure, and asked about the same names again and again
def known_actor(name: str) -> tuple[str | None, str] | None:
    org = kb.organisation(name)
    if org is not None and org.kind != "igo":
        return org.country, org.sector
    return _known_actors().get(name_key(name))


@lru_cache(maxsize=65536)  # pure, and asked about the same names again and again
def _code_of_text(text: str) -> tuple[str | None, str | None]:
    """Country/IGO code and sector implied by a word or name, if any."""
    g = kb.organisation(text)
    if g:
        return g.country, g.sector
    c = kb.country(text) or kb.country_of_demonym(text) or kb.country_of_capital(text)
    return (c.iso3, None) if c else (None, None)


GOVERNMENT_WORDS = frozenset({"government", "state", "federal", "national"})


def _phrase_role(a: Analysis, left: int, right: int) -> Role | None:
    """Read a title phrase like "Turkey's Foreign Minister" or "M23 spokesman" into a Role."""
    if right <= left:
        return None
    toks = a.tokens[left:right]
    country = sector = None
    org_sector = None
    title_words = []
    for t in toks:
        ent = a.entity_of(t)
        if ent is not None and ent.type in {"ORG", "GPE", "NORP"}:
            if country is None:
                country = ent.country or _code_of_text(ent.name)[0]
            if ent.type == "ORG" and ent.sector:
                org_sector = ent.sector
            continue
        if t.text == "-" and _hyphenated(a.tokens, t.i):
            title_words.append("-")  # "editor-in-chief"
            continue
        if t.tag_ == "POS" or t.is_punct or t.is_space or t.lower_ in {"the", "a", "an"} \
                or any(c.tag_ == "POS" for c in t.children):
            continue  # "the channel's editor": the possessor is whose, not what
        code, sec = _code_of_text(t.text) if t.is_title or t.is_upper else (None, None)
        if code and country is None:
            country = code
            org_sector = org_sector or sec
            continue
        title_words.append(t.text)
    if not title_words:
        return None
    found = None
    while title_words and found is None:
        title = " ".join(title_words).replace(" - ", "-").strip("- ")
        found = kb.title_sector(title)
        if found is None:
            title_words = title_words[:-1]  # "Foreign Minister Sheikh": honorifics trail the title
    if found is None:
        return None
    rest = kb.title_sector(" ".join(title_words[1:])) if len(title_words) > 1 else None
    if title_words[0].lower() in GOVERNMENT_WORDS and rest is not None and not rest[1]:
        # "the government's peace commissioner" holds the role "peace commissioner"; a "government
        # spokesman" keeps his whole title, since "spokesman" alone says nothing of whose
        title = " ".join(title_words[1:])
        found = (found[0] or "GOV", found[1])
    sector, depends = found
    if depends and not org_sector:
        # "Council director", "Ministry spokeswoman": the organisation named by a capitalised word
        for w in title_words:
            org = _recent_org_named(a, w, toks[0].idx) if w[:1].isupper() else None
            if org is not None:
                org_sector = org.sector
                country = country or org.country
                break
    if depends and org_sector:
        sector = org_sector
    elif sector is None:
        sector = org_sector
    if country in _igo_codes() and sector is None:
        sector = "IGO"
    return Role(title=title, country=country, sector=sector)


def _recent_org_named(a: Analysis, word: str, before: int) -> Entity | None:
    key = word.lower()
    best, pos = None, -1
    for e in a.entities:
        if e.type == "ORG" and key in e.name.lower().split():
            for m in e.mentions:
                if pos < m.start and (m.start < before or pos < 0):
                    best, pos = e, m.start
    return best


def _prefix(toks: list[Token], a: Analysis, start: int, person: str) -> tuple[int, int]:
    j = start - 1
    while j >= 0 and start - j <= 7:
        t = toks[j]
        inner_prep = t.lower_ in {"of", "for"} and j + 1 < start and toks[j + 1].is_title and j > 0 \
            and toks[j - 1].is_title  # "Assistant Secretary-General for Africa"
        if (t.lower_ in STOP_LEFT and not inner_prep) or t.pos_ in {"VERB", "AUX", "DET", "PRON", "ADP"} \
                and t.lower_ != "of" and not inner_prep:
            break
        if t.is_punct and t.tag_ != "POS" and t.text not in {"-"}:
            break
        ent = a.entity_of(t)
        if ent is not None and ent.id == person:
            break
        if ent is not None and ent.type == "PERSON":
            break
        j -= 1
    left = j + 1
    while left < start and toks[left].lower_ in {"of", "for"}:
        left += 1
    return left, start


def _hyphenated(toks: list[Token], i: int) -> bool:
    """Whether token i is inside a hyphenated word ("editor-in-chief"), hyphens included."""
    def joint(k: int) -> bool:  # a hyphen with no space either side
        return 0 < k < len(toks) - 1 and toks[k].text == "-" and not toks[k - 1].whitespace_ \
            and not toks[k].whitespace_
    return joint(i) or joint(i - 1) or joint(i + 1)


def _appos_before(toks: list[Token], left: int) -> tuple[int, int] | None:
    """"the incumbent governor, Héctor Ramírez": the phrase before a comma."""
    if left < 2 or toks[left - 1].text != ",":
        return None
    j = left - 2
    while j >= 0 and left - j <= 8 and (_hyphenated(toks, j) or not (toks[j].is_punct and toks[j].tag_ != "POS")
                                        and toks[j].pos_ not in {"VERB", "AUX", "ADP"}):
        j -= 1
    j += 1
    while j < left - 1 and toks[j].pos_ == "CCONJ":
        j += 1  # "Ouédraogo, and two reporters, Mariam Sawadogo": the title without its "and"
    return j, left - 1


def _appos_after(toks: list[Token], end: int) -> tuple[int, int] | None:
    """"Esther Kahindo, a market trader in the city": the phrase after a comma."""
    if end >= len(toks) - 2 or toks[end].text != "," or toks[end + 1].pos_ == "CCONJ":
        return None  # "Rivera, and the rebel commander Marta Ocampo": the next conjunct's title
    j = end + 1
    stop = min(len(toks), end + 10)
    k = j
    while k < stop and not toks[k].is_punct and toks[k].pos_ not in {"VERB", "AUX"} \
            and toks[k].lower_ not in {"in", "who", "which", "that"}:
        k += 1
    return (j, k) if k > j else None


def _relcl_role(toks: list[Token], end: int) -> tuple[int, int] | None:
    """"Tamta Beridze, who leads the opposition Citizens' Platform": the object of leads/heads/chairs."""
    if end + 3 >= len(toks) or toks[end].text != "," or toks[end + 1].lower_ != "who":
        return None
    verb = toks[end + 2]
    if verb.lemma_.lower() not in {"lead", "head", "chair", "run", "found", "command", "direct"}:
        return None
    obj = next((c for c in verb.children if c.dep_ in {"dobj", "obj"}), None)
    if obj is None:
        return None
    ids = [t.i for t in obj.subtree]
    return min(ids), max(ids) + 1


def _main_country(a: Analysis) -> str | None:
    """The country the story is about: most mentioned, the dateline's counting triple."""
    counts: Counter[str] = Counter()
    for e in a.entities:
        if e.type in {"GPE", "NORP"}:
            c = e.country or _code_of_text(e.name)[0]
            if c and c not in _igo_codes():
                counts[c] += len(e.mentions)
    if a.dateline_entity:
        e = a.by_id.get(a.dateline_entity)
        c = e and (e.country or _code_of_text(e.name)[0])
        if c:
            counts[c] += 3
    return counts.most_common(1)[0][0] if counts else None


def _org_context_sector(a: Analysis, ent: Entity) -> str | None:
    """Sector from the noun an organisation is named with: "M23 rebels", "rebels of the M23"."""
    doc = a.doc
    for m in ent.mentions:
        span = doc.char_span(m.start, m.end, alignment_mode="expand")
        if span is None:
            continue
        root = span.root
        heads = []
        if root.dep_ in {"compound", "nmod", "poss"} and root.head.i >= span.end:
            heads.append(root.head)
        if root.dep_ == "pobj" and root.head.lower_ == "of" and root.head.head.pos_ == "NOUN":
            heads.append(root.head.head)
        if span.end < len(doc) and doc[span.end].pos_ == "NOUN":
            heads.append(doc[span.end])
        for h in heads:
            found = kb.title_sector(h.text)
            if found and found[0] and not found[1]:
                return found[0]
    return None


def _named_by_country(a: Analysis, e: Entity) -> bool:
    toks = a.tokens
    for m in e.mentions:
        rng = a.token_range(m.start, m.end)
        if rng is not None and rng[0] >= 2 and toks[rng[0] - 1].tag_ == "POS" \
                and kb.country(toks[rng[0] - 2].text):
            return True
    return False


def fill_place_countries(a: Analysis) -> None:
    """A place the gazetteer could not resolve is most likely in the country the story is about."""
    main = _main_country(a)
    for e in a.entities:
        if e.type in {"GPE", "LOC"} and e.country is None and main:
            e.country = main


def code(a: Analysis) -> None:
    doc = a.doc
    toks = a.tokens
    main = _main_country(a)
    # Places and nationalities first, then organisations, then people (who inherit from both).
    for e in a.entities:
        if e.type in {"GPE", "NORP"} and e.country is None:
            e.country = _code_of_text(e.name)[0] or next(
                (c for m in e.mentions if (c := _code_of_text(m.text)[0])), None)
    for e in a.entities:
        if e.type != "ORG":
            continue
        known = known_actor(e.name) or next((k for m in e.mentions if (k := known_actor(m.text))), None)
        if known:
            e.country, e.sector = known[0] or e.country, known[1]
            continue
        code_, sector = _code_of_text(e.name)
        for m in e.mentions:
            if code_:
                break
            code_, sector = _code_of_text(m.text)
        if code_ in _igo_codes() or (code_ and sector):
            e.country, e.sector = code_, sector
            continue
        group = a.group_of.get(e.id)
        if group:
            e.sector = GROUP_SECTORS.get(group)
            continue
        words = e.name.split()
        if e.country is None:
            for w in words[:2]:
                c = _code_of_text(w)[0]
                if c:
                    e.country = c
                    break
            if e.country is None:
                first = a.token_range(e.mentions[0].start, e.mentions[0].end)
                if first is not None and first[0] >= 2 and toks[first[0] - 1].tag_ == "POS":
                    e.country = _code_of_text(toks[first[0] - 2].text)[0]
        found = kb.title_sector(e.name)
        e.sector = (found[0] if found and found[0] else None) or _org_context_sector(a, e)
        if e.sector is None and e.country is not None and _named_by_country(a, e):
            e.sector = "GOV"  # "Ukraine's Coordination Headquarters": a country's own body is the state's
        if e.country is None:
            e.country = main
    coded: list[tuple[int, str]] = []  # (offset, country) of people whose titles named a country
    people = sorted((e for e in a.entities if e.type == "PERSON"), key=lambda e: e.mentions[0].start)
    for e in people:
        roles: list[Role] = []
        for m in e.mentions:
            bounds = a.token_range(m.start, m.end)
            if bounds is None:
                continue
            start, end = bounds
            left, right = _prefix(toks, a, start, e.id)
            for rng in ((left, right), _appos_before(toks, left), _appos_after(toks, end),
                        _relcl_role(toks, end)):
                if rng is None:
                    continue
                role = _phrase_role(a, *rng)
                if role and all(r.title != role.title for r in roles):
                    roles.append(role)
        e.roles = roles
        for r in roles:
            if e.sector is None and r.sector:
                e.sector = r.sector
            if e.country is None and r.country:
                e.country = r.country
        if not roles:
            # Seen before with a known role (the actor knowledge base built from the store, plus the
            # user's own file): code the actor from it when this article gives no title.
            from .. import kb as actor_kb

            known = actor_kb.lookup(e.name)
            if known is not None:
                e.country = e.country or known[0]
                e.sector = e.sector or known[1]
        first = e.mentions[0].start
        if e.country is not None and roles:
            coded.append((first, e.country))
        elif e.country is None and roles:
            # A list of officials shares the country named for the first of them:
            # "U.S. President Joe Biden's aides ... Secretary of State Antony Blinken".
            sent = doc.char_span(first, e.mentions[0].end, alignment_mode="expand")
            if sent is not None:
                s = sent.sent
                prev_start = doc[s.start - 1].sent.start_char if s.start > 0 else s.start_char
                near = [c for pos, c in coded if prev_start <= pos < first]
                if near:
                    e.country = near[-1]
                    for r in roles:
                        r.country = r.country or e.country
        if e.country is None:
            e.country = main
