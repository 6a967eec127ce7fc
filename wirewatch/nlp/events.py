"""Stage: PLOVER events with actor, target, place, time and status.

Triggers are verbs and nominalisations from a packaged lexicon
(`data/plover_lexicon.json`); actors and targets come from the dependency
parse (subjects, objects, passive agents, possessives, "of"/"with"/"on"
phrases, coordination) and are resolved to entities, through pronouns and
definite descriptions ("the rebels", "the alliance"). Status is read from
the clause: negation, conditionals, modals, future and planning verbs, and
the verbs that govern the trigger ("agreed to withdraw" is planned; "denied
that forces crossed" is negated). Speech is a quote, not an event.

An event needs an actor, with two exceptions where the text names none but still reports one
specific event (`_unnamed`): a killing by a violent incident ("a car bomb killed 12", "Tuesday's
shootout, which killed five") and a dated event noun that is its clause's subject ("the March 20
protests would go ahead"). Such an event has no actor, and is kept only when dated to a day and
not already told, with its actors, in its sentence or on its day in the article.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib.resources import files
from typing import TYPE_CHECKING

from .. import knowledge as kb
from ..models import Entity, Event, Mention, Span
from . import times
from .context import Analysis, clause_head
from .text import fold

if TYPE_CHECKING:
    from spacy.tokens import Span as DocSpan
    from spacy.tokens import Token

SUBJ = {"nsubj", "nsubjpass", "csubj"}
OBJ = {"dobj", "obj"}
TARGET_PREPS = {
    "AGREE": {"with"}, "CONSULT": {"with"}, "COOPERATE": {"with"}, "AID": {"to", "for"},
    "SUPPORT": {"for"}, "REQUEST": {"on", "to", "from"}, "ACCUSE": {"of"}, "REJECT": set(),
    "THREATEN": {"against", "with"}, "PROTEST": {"against", "outside"}, "SANCTION": {"on", "against"},
    "ASSAULT": {"on", "against", "at", "into"}, "COERCE": {"on", "against"}, "RETREAT": {"to"},
    "MOBILIZE": {"against"}, "CONCEDE": {"to"},
}
FUTURE_AUX = {"will", "shall", "'ll", "wo"}
EXPECT_AUX = {"could", "may", "might", "should", "can"}
PLAN_GOVERNORS = {"offer", "plan", "schedule", "agree", "intend", "aim", "decide", "prepare", "vow", "pledge",
                  "promise", "commit", "announce", "set", "propose", "due", "order"}
# "began releasing", "resumed shelling": under way, not planned; "will begin" is future by its auxiliary.
EXPECT_GOVERNORS = {"expect", "likely", "predict", "anticipate", "hope", "want", "seek", "try", "fear"}
HYPO_GOVERNORS = {"threaten", "demand", "urge", "call", "ask", "warn", "insist", "need", "require"}
LIGHT_VERBS = {"impose", "hold", "launch", "carry", "conduct", "stage", "announce", "begin", "start", "make",
               "sign", "reach", "mount", "order", "approve", "give", "provide", "deliver", "send", "pledge",
               "agree", "host", "organise", "organize", "lead", "resume", "open", "call"}
NON_PLACE_OBJECTS = {"programme", "programmes", "program", "programs", "talks", "agreement", "deal", "treaty",
                     "organisation", "organization", "alliance", "pact", "accord", "negotiations", "process",
                     "mission", "council", "union", "bloc", "coalition", "initiative", "scheme", "election", "race"}
PLAN_OBJECT_VERBS = {"coordinate", "prepare", "plan", "organise", "organize", "discuss", "arrange", "negotiate",
                     "finalise", "finalize", "schedule", "implement", "oversee", "monitor", "ensure"}
NEG_GOVERNORS = {"deny", "refuse", "reject", "fail", "decline", "dismiss"}
CONDITIONAL = {"if", "unless", "until", "provided", "whether", "lest"}
PLAN_ADJ = {"planned", "impending", "proposed", "upcoming", "scheduled", "phased", "possible", "future",
            "expected", "promised", "potential"}
REFERRING = {
    # definite descriptions that point back at a known actor
    "rebels": ("sector", "REB"), "rebel": ("sector", "REB"), "militants": ("sector", "REB"),
    "fighters": ("sector", "REB"), "militia": ("sector", "REB"), "insurgents": ("sector", "REB"),
    "army": ("sector", "MIL"), "military": ("sector", "MIL"), "troops": ("sector", "MIL"),
    "forces": ("sector", "MIL"), "soldiers": ("sector", "MIL"), "police": ("sector", "POL"),
    "alliance": ("sector", "IGO"), "allies": ("sector", "IGO"), "bloc": ("sector", "IGO"), "union": ("sector", "IGO"),
    "government": ("gov", None), "authorities": ("gov", None), "administration": ("gov", None),
    "junta": ("gov", None), "country": ("country", None), "nation": ("country", None),
    "movement": ("name", None), "group": ("sector", "REB"), "council": ("name", None),
    "ministry": ("name", None), "coalition": ("name", None), "party": ("sector", "PTY"),
    "opposition": ("sector", "OPP"), "regime": ("gov", None),
    "side": ("none", None), "sides": ("none", None), "parties": ("none", None),
}


@lru_cache(maxsize=1)
def lexicon() -> dict:
    return json.loads((files("wirewatch") / "data" / "plover_lexicon.json").read_text("utf-8"))


def _particle(tok: Token) -> str | None:
    for c in tok.children:
        if c.dep_ == "prt":
            return c.lower_
    return None


def _object(tok: Token) -> Token | None:
    for c in tok.children:
        if c.dep_ in OBJ:
            return c
    return None


MONEY_WORDS = {"dollar", "dollars", "euro", "euros", "pound", "pounds", "yuan", "rupee", "rupees", "yen",
               "franc", "francs", "shilling", "shillings", "million", "billion", "$", "€", "£", "funding",
               "funds", "grant", "loan", "loans"}


def _is_money(tok: Token) -> bool:
    words = {tok.lower_} | {c.lower_ for c in tok.children} | {g.lower_ for c in tok.children for g in c.children}
    return bool(words & MONEY_WORDS)


@lru_cache(maxsize=1)
def _trigger_words() -> tuple[frozenset[str], frozenset[str]]:
    """(verb lemmas, noun words) that `classify` can find anything for: a verb's lemma must key one of
    the lexicon's tables or begin a phrasal entry ("call" of "call for"), a noun must be listed."""
    lex = lexicon()
    verbs = set(lex["verbs"]) | set(lex["by_object"]) | set(lex["_money_verbs"]) | {"warn"}
    for phrase in lex["phrasal"]:  # every prefix ending at a space: f"{lemma} {word}" can be the phrase
        verbs.update(phrase[:i] for i, ch in enumerate(phrase) if ch == " ")
    return frozenset(verbs), frozenset(lex["nouns"])


def classify(tok: Token) -> tuple[str, str | None] | None:
    """PLOVER type and mode of a trigger token, or None."""
    lex = lexicon()
    lemma = tok.lemma_.lower()
    pos = tok.pos_
    verb_words, noun_words = _trigger_words()
    # most tokens are no trigger: reject them before walking their children
    if pos in {"VERB", "AUX"} and lemma not in verb_words:
        return None
    if pos == "NOUN" and lemma not in noun_words and tok.lower_ not in noun_words:
        return None
    if pos in {"VERB", "AUX"}:
        prt = _particle(tok)
        obj = _object(tok)
        if lemma in lex["by_object"]:
            table = lex["by_object"][lemma]
            for c in tok.children:  # "called for demonstrations"
                if c.dep_ == "prep":
                    for g in c.children:
                        if g.dep_ == "pobj" and (g.lower_ in table or g.lemma_.lower() in table):
                            return tuple(table.get(g.lower_) or table[g.lemma_.lower()])  # type: ignore[return-value]
        if prt and f"{lemma} {prt}" in lex["phrasal"]:
            found = tuple(lex["phrasal"][f"{lemma} {prt}"])
            if found[0] == "RETREAT":
                objs = [g for c in tok.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
                if any(o.lemma_.lower() in NON_PLACE_OBJECTS or o.lower_ in NON_PLACE_OBJECTS for o in objs):
                    return ("SANCTION", "withdraw")
            return found  # type: ignore[return-value]
        if obj is not None and f"{lemma} {obj.lemma_.lower()}" in lex["phrasal"]:
            return tuple(lex["phrasal"][f"{lemma} {obj.lemma_.lower()}"])  # type: ignore[return-value]
        for c in tok.children:
            if c.dep_ == "prep" and f"{lemma} {c.lower_}" in lex["phrasal"]:
                return tuple(lex["phrasal"][f"{lemma} {c.lower_}"])  # type: ignore[return-value]
        if obj is not None and lemma in lex["_money_verbs"] and _is_money(obj):
            return ("AID", None)  # "pledged 1.5 million pounds", "allocated $5 million"
        if lemma in lex["by_object"]:
            table = lex["by_object"][lemma]
            objs = [obj] if obj is not None else []
            if obj is not None:
                objs += [c for c in obj.children if c.dep_ in {"conj", "compound", "amod"}]
                objs += [g for c in obj.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
            for o in objs:
                if o.lemma_.lower() in table or o.lower_ in table:
                    return tuple(table.get(o.lower_) or table[o.lemma_.lower()])  # type: ignore[return-value]
            if lemma not in lex["verbs"]:
                return None
        if lemma in lex["verbs"]:
            found = tuple(lex["verbs"][lemma])
            if found[0] == "RETREAT" and found[1] == "withdraw":
                objs = [g for c in tok.children if c.dep_ == "prep" and c.lower_ in {"from", "of"}
                        for g in c.children if g.dep_ == "pobj"]
                if prt:
                    objs += [g for c in tok.children if c.dep_ == "prep" for g in c.children if g.dep_ == "pobj"]
                if any(o.lemma_.lower() in NON_PLACE_OBJECTS or o.lower_ in NON_PLACE_OBJECTS for o in objs):
                    return ("SANCTION", "withdraw")  # leaving a programme or talks, not territory
            return found  # type: ignore[return-value]
        if lemma == "warn" and any(c.dep_ == "ccomp" and any(
                g.lower_ in {"could", "would", "will", "might"} or g.dep_ == "advcl" and any(
                    m.lower_ in {"if", "unless"} for m in g.children) for g in c.children) for c in tok.children):
            return ("THREATEN", None)  # "warned that Georgia could pull out ... if the bloc ..."
        return None
    if tok.pos_ == "NOUN":
        word = tok.lower_ if tok.lower_ in lex["nouns"] else lemma
        if word in lex["nouns"]:
            if tok.dep_ in {"compound"} and tok.head.pos_ == "NOUN":
                return None  # "peace talks process": let the head speak
            return tuple(lex["nouns"][word])  # type: ignore[return-value]
    return None


POLITICAL = {"PTY", "OPP"}  # a party in opposition is both
HUMAN_GROUPS = {"protesters", "demonstrators", "gunmen", "attackers", "jihadists", "militants", "insurgents",
                "assailants", "rioters", "students", "workers", "residents", "villagers", "civilians",
                "fighters", "soldiers", "troops", "police", "officers", "journalists", "farmers", "herders",
                "settlers", "rebels", "mourners", "supporters", "activists", "strikers", "bandits",
                "youths", "demonstrator", "opponents", "guerrillas", "separatists", "militiamen",
                "refugees", "prisoners", "inmates", "pilgrims", "teachers", "doctors", "nurses", "miners"}


class _Refs:
    """Resolves actor/target tokens to entities."""

    def __init__(self, a: Analysis, dateline: tuple[int, int] | None = None):
        self.a = a
        self.dateline = dateline
        self.main_gpe = self._main_gpe()
        self._groups: dict[str, Entity] = {}

    def group(self, tok: Token) -> Entity | None:
        """An unnamed group that acts ("protesters marched", "gunmen stormed the village") becomes an
        actor of its own, coded from the story's country and the noun's sector."""
        if tok.lower_ not in HUMAN_GROUPS:  # "thousands of protesters", "hundreds of villagers"
            tok = next((g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
                        for g in c.children if g.dep_ == "pobj" and g.lower_ in HUMAN_GROUPS), tok)
        low = tok.lower_
        if tok.pos_ not in {"NOUN", "PROPN"} or low not in HUMAN_GROUPS:  # "Gunmen attacked": PROPN at the start
            return None
        if low in self._groups:
            ent = self._groups[low]
        else:
            found = kb.title_sector(low)
            from .actors import _main_country

            ent = Entity(id=f"e{len(self.a.entities) + 1}", name=low, type="NORP",
                         country=self.main_gpe.country if self.main_gpe else _main_country(self.a),
                         sector=found[0] if found else None)
            self.a.add_entity(ent)
            self.a.group_of[ent.id] = low
            self._groups[low] = ent
        ent.mentions.append(Mention(tok.idx, tok.idx + len(tok.text), tok.text))
        return ent

    def _main_gpe(self) -> Entity | None:
        """The country named most often; a dateline mention counts half, since it says where the
        reporter was ("HAVANA, Cuba - Colombia's government ..."); ties go to the first named."""
        lo, hi = self.dateline or (-1, -1)
        best, key = None, (0.0, 0)
        for e in self.a.entities:
            if e.type == "GPE" and e.country and kb.country(e.name) and e.mentions:
                weight = sum(0.5 if lo <= m.start < hi else 1.0 for m in e.mentions)
                k = (weight, -min(m.start for m in e.mentions))
                if k > key:
                    best, key = e, k
        return best

    def _recent(self, before: int, pred) -> Entity | None:
        best, pos = None, -1
        for e in self.a.entities:
            if not pred(e):
                continue
            for m in e.mentions:
                if pos < m.start < before:
                    best, pos = e, m.start
        return best

    def _party_of(self, tok: Token, at: int) -> Entity | None:
        """ "his party", "her opposition": the party of the politician the pronoun points back at -
        the last organisation of unknown sector named in that politician's country, else the
        politician, who stands for the party as "Turkey's mediator" stands for Turkey."""
        poss = next((c for c in tok.children if c.dep_ == "poss" and c.lower_ in {"his", "her"}), None)
        if poss is None:
            return None
        person = self._recent(at, lambda x: x.type == "PERSON")
        if person is None or person.sector not in POLITICAL:
            return None
        return self._recent(at, lambda x: x.type == "ORG" and x.sector is None and x.country is not None
                            and x.country == person.country) or person

    def _in_sentence(self, tok: Token, pred) -> Entity | None:
        """An entity named later in the same sentence ("rebels of ... the M23 movement")."""
        for t in tok.sent:
            e = self.a.entity_of(t)
            if e is not None and pred(e):
                return e
        return None

    def entities_of(self, tok: Token) -> list[Entity]:
        """Entities a noun phrase denotes: itself, its coordinated members, or what it refers back to."""
        out: list[Entity] = []
        # spaCy's small model often attaches "A and B" as nmod + cc rather than conj
        members = [tok, *[c for c in tok.children if c.dep_ == "conj"
                          or c.dep_ == "nmod" and any(g.dep_ == "cc" for g in c.children)]]
        for m in members:
            e = self.one(m)
            if e is not None and e not in out:
                out.append(e)
        return out

    def one(self, tok: Token, depth: int = 0) -> Entity | None:
        a = self.a
        e = a.entity_of(tok)
        if e is not None and e.type != "LOC":
            return e
        # modifiers: "U.S. troops", "Turkey's mediator", "the M23 movement", "rebels of the M23"
        for c in tok.children:
            if self.dateline and self.dateline[0] <= c.idx < self.dateline[1]:
                continue  # "MAIDUGURI, Nigeria — Gunmen attacked": the dateline is where, not who
            if c.dep_ in {"compound", "poss", "amod", "nmod", "appos"} and c.i != tok.i:
                e = a.entity_of(c)
                if e is None and c.pos_ == "NOUN" and depth < 2:
                    e = self.one(c, depth + 1)  # "the alliance's members"
                if e is not None and e.type in {"PERSON", "ORG", "GPE", "NORP"}:
                    return e
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in {"of", "from"}:
                for g in c.children:
                    if g.dep_ == "pobj":
                        e = self.one(g, depth + 1) if depth < 2 else a.entity_of(g)
                        if e is not None and e.type in {"ORG", "GPE", "NORP", "PERSON"}:
                            return e
        at = tok.idx
        low = tok.lower_
        if tok.pos_ == "PRON":
            gov = tok.head
            while gov.dep_ in {"xcomp", "conj", "aux"} and gov.head.i != gov.i:
                gov = gov.head
            if gov.dep_ == "ccomp" and depth < 2:
                # "the government announced that it was freezing talks": it = the announcer
                outer = next((c for c in gov.head.children if c.dep_ == "nsubj"), None)
                if outer is not None and outer.pos_ != "PRON":
                    e = self.one(outer, depth + 1)
                    if e is not None:
                        return e
            if low in {"he", "she", "him", "her"}:
                return self._recent(at, lambda x: x.type == "PERSON")
            if low in {"it", "they", "them", "we"}:
                return self._recent(at, lambda x: x.type in {"ORG", "GPE"})
            return None
        if tok.pos_ == "NOUN" and tok.tag_ == "NN" and low not in REFERRING \
                and any(c.lower_ in {"the", "this"} for c in tok.children) \
                and kb.title_sector(tok.text) is not None \
                and kb.title_sector(tok.text)[0] not in {"REB", "MIL", "POL", "CVL"}:
            return self._recent(at, lambda x: x.type == "PERSON" and any(low in fold(r.title) for r in x.roles)) \
                or self._recent(at, lambda x: x.type == "PERSON")  # "the disaster chief urged"
        if tok.pos_ == "NOUN" and low in REFERRING:
            kind, val = REFERRING[low]
            if kind == "sector":
                def pred(x: Entity) -> bool:
                    return x.type == "ORG" and x.sector == val
                found = self._recent(at, pred) or self._in_sentence(tok, pred) or \
                    (self.main_gpe if val in {"MIL", "POL"} else None)
                if found is None and val in POLITICAL:
                    found = self._recent(at, lambda x: x.type == "ORG" and x.sector in POLITICAL) \
                        or self._party_of(tok, at)
                return found
            if kind == "gov":
                return self._recent(at, lambda x: x.type == "ORG" and x.sector == "GOV"
                                    and "ministry" not in fold(x.name)) or self.main_gpe
            if kind == "country":
                return self._recent(at, lambda x: x.type == "GPE" and bool(kb.country(x.name)))
            if kind == "name":
                return self._recent(at, lambda x: x.type == "ORG" and low in fold(x.name))
        return None


def _subject(tok: Token, dateline: tuple[int, int] | None = None) -> tuple[Token | None, bool]:
    """The subject of a verb (sharing it up coordination/xcomp chains); True if passive."""
    cur = tok
    for _ in range(4):
        subjects = [c for c in cur.children if c.dep_ in SUBJ]
        if dateline and len(subjects) > 1:  # "PARIS, April 17 - Thousands of protesters marched"
            subjects = [c for c in subjects if not dateline[0] <= c.idx < dateline[1]] or subjects
        for c in subjects:
            if c.dep_ in SUBJ:
                if dateline and dateline[0] <= c.idx < dateline[1]:
                    # "LUANDA, Angola — The government ... agreed": the parser made the dateline the
                    # subject; the real one is the first phrase after it that hangs off the dateline.
                    real = next((g for g in c.subtree if g.idx >= dateline[1] and g.head.idx < dateline[1]
                                 and g.pos_ in {"NOUN", "PROPN", "PRON"}), None)
                    return real, False
                if c.lower_ in {"which", "who", "that"} and cur.dep_ == "relcl":
                    # "Lithuania, which imposed ..."; "villagers who were abducted": passive
                    return _antecedent(cur), c.dep_ == "nsubjpass"
                return c, c.dep_ == "nsubjpass"
        if cur.dep_ in {"conj", "xcomp", "advcl"} and cur.head.i != cur.i:
            if cur.dep_ == "advcl" and not any(c.dep_ == "aux" and c.lower_ == "to" for c in cur.children):
                return None, False
            cur = cur.head
        elif cur.dep_ == "relcl" or cur.dep_ == "acl":
            return _antecedent(cur), False
        else:
            break
    return None, False


LOCATIVE = {"near", "in", "at", "outside", "around", "along"}


def _antecedent(clause: Token) -> Token:
    """What a relative clause describes. The parser hangs "the shootout near Batken, which killed
    five" on the nearest noun; a place after a locative preposition is where the thing was, and
    the thing itself is what acts."""
    head = clause.head
    if head.dep_ == "pobj" and head.head.lower_ in LOCATIVE and head.head.head.pos_ == "NOUN" \
            and head.ent_type_ in {"GPE", "LOC", "FAC"}:
        return head.head.head
    return head


# A killing reported in the passive names its sides, if at all, in the fighting it happened in.
CASUALTY_VERBS = {"kill", "wound", "injure", "massacre"}
# Nouns of a violent incident the lexicon does not list as triggers (it lists "attack", "clash", ...):
# "a mortar attack killed 12", "Tuesday's shootout, which killed five". Nouns of a standing conflict
# ("violence", "war", "insurgency") are left out: "violence has killed 40,000 since 2009" is background.
INCIDENT_NOUNS = {"shootout", "gunfight", "gunbattle", "firefight", "skirmish", "crossfire", "gunfire",
                  "shooting", "bomb", "bombing", "grenade", "missile", "rocket", "drone", "mortar", "airstrike"}
# A blast or explosion is an attack only when the text says what blew up as a weapon ("a car bomb
# blast", "a suicide explosion"): "an explosion at a chemical plant killed 12" is an accident.
EXPLOSION_NOUNS = {"blast", "explosion"}
WEAPON_MODIFIERS = {"bomb", "car", "suicide", "roadside", "grenade", "mortar", "rocket", "missile", "drone",
                    "ied", "terror", "terrorist", "shell", "artillery", "landmine", "mine"}
# Agreeing verbs whose negation is a refusal, as every negated SUPPORT is: "would not accept the
# results" (and "would not back", "does not recognise the vote").
REFUSED_WHEN_NEGATED = {"support", "recognise", "recognize", "accept", "endorse"}


def _agent(tok: Token) -> Token | None:
    for c in tok.children:
        if c.dep_ == "agent":
            for g in c.children:
                if g.dep_ == "pobj":
                    return g
    return None


def _pobjs(tok: Token, preps: set[str]) -> list[Token]:
    out = []
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ in preps:
            out.extend(g for g in c.children if g.dep_ == "pobj")
    return out


def _incident(tok: Token | None) -> bool:
    """Whether a noun names a violent incident ("the attack", "a car bomb blast", "clashes", "Tuesday's shootout")."""
    if tok is None or tok.pos_ != "NOUN":
        return False
    if tok.lemma_.lower() in INCIDENT_NOUNS or tok.lower_ in INCIDENT_NOUNS:
        return True
    if tok.lemma_.lower() in EXPLOSION_NOUNS:
        return any(c.dep_ in {"compound", "amod", "nmod"} and c.lemma_.lower() in WEAPON_MODIFIERS
                   for c in tok.children)
    return (classify(tok) or ("",))[0] == "ASSAULT"  # the lexicon's attack nouns


def _own_date(tok: Token) -> bool:
    """Whether a noun carries its own date as a modifier: "Tuesday's shootout", "the March 20 protests"."""
    return any(c.dep_ in {"poss", "compound", "nmod", "npadvmod"} and c.ent_type_ in {"DATE", "TIME"}
               for c in tok.children)


def _unnamed(tok: Token, etype: str) -> bool:
    """Whether a trigger with no actor the text names still reports one specific event.

    Wires often report violence without a perpetrator: "a car bomb killed 12", "clashes near X killed
    five", "Tuesday's shootout, which killed at least five", "five people were killed in an
    explosion". A killing (or wounding) whose subject, agent or in/during phrase is a violent
    incident, and which has victims, is an ASSAULT by someone unnamed. An event noun that is the
    subject of its clause and carries its own date ("the March 20 protests would go ahead") names a
    scheduled or past event on its own. Such an event has no actor (RECORD.md: the text names none).
    """
    if tok.pos_ == "VERB" and etype == "ASSAULT" and tok.lemma_.lower() in CASUALTY_VERBS:
        subj, passive = _subject(tok)
        passive = passive or _agent(tok) is not None or any(c.dep_ == "auxpass" for c in tok.children)
        if not passive:
            obj = _object(tok)
            return _incident(subj) and obj is not None and not _is_money(obj)
        causes = [_agent(tok), *_pobjs(tok, {"in", "during"})]
        return subj is not None and any(_incident(c) for c in causes)
    if tok.pos_ == "NOUN" and tok.dep_ in {"nsubj", "nsubjpass"}:
        return _own_date(tok)
    return False


def _status(tok: Token) -> str:
    """occurred / planned / expected / negated / hypothetical, from the clause around a trigger."""
    neg = False
    cur = tok
    if tok.pos_ == "NOUN":
        if any(c.lower_ in PLAN_ADJ for c in tok.children if c.dep_ in {"amod", "compound"}):
            return "planned"
        cur = clause_head(tok.head)
    seen = 0
    verbs = []
    while seen < 5:
        verbs.append(cur)
        # climb to the verbs that govern the trigger; coordinated siblings ("pledged ... and
        # appealed") do not govern each other
        if cur.dep_ in {"xcomp", "ccomp", "advcl", "pcomp", "pobj", "prep", "relcl", "acl"} and cur.head.i != cur.i:
            if cur.dep_ in {"relcl", "acl"}:
                break
            cur = cur.head
            seen += 1
        else:
            break
    first = verbs[0]
    children = list(first.children)
    if tok.pos_ == "NOUN" and first is not tok and first.dep_ in {"advcl", "xcomp"} and any(
            c.dep_ == "aux" and c.lower_ == "to" for c in first.children) and first.lemma_.lower() in PLAN_OBJECT_VERBS:
        return "planned"  # "met to coordinate the alliance's withdrawal": the object of a purpose is ahead
    if tok.pos_ == "NOUN" and tok.head.lower_ == "of" and tok.head.head.lemma_.lower() in {
            "announcement", "plan", "decision", "prospect", "possibility", "timetable", "schedule"}:
        return "planned"  # "the announcement of the U.S. withdrawal"
    if any(v.lemma_ == "be" and any(c.dep_ == "xcomp" and any(g.dep_ == "aux" and g.lower_ == "to"
                                                                  for g in c.children) for c in v.children)
           for v in verbs[1:]):
        return "planned"  # "fighters are to withdraw"
    if any(c.dep_ == "mark" and c.lower_ in CONDITIONAL for v in verbs[:2] for c in v.children):
        return "hypothetical"
    if any(c.dep_ == "advcl" and any(m.lower_ in CONDITIONAL for m in c.children if m.dep_ == "mark")
           for c in children) and any(c.lower_ in {"would", "will", "could"} for c in children):
        return "hypothetical"
    neg = any(c.dep_ == "neg" for c in children)
    governors = verbs if tok.pos_ == "NOUN" else verbs[1:]
    for v in governors:
        lemma = v.lemma_.lower()
        if lemma in NEG_GOVERNORS:
            return "negated"
        if lemma in HYPO_GOVERNORS:
            return "hypothetical"
    if neg:
        return "negated"
    aux = {c.lower_ for v in verbs[:2] for c in v.children if c.dep_ in {"aux", "auxpass"}}
    for v in governors:
        lemma = v.lemma_.lower()
        if lemma in EXPECT_GOVERNORS or v.lower_ == "likely":
            return "expected"
        if lemma in PLAN_GOVERNORS:
            return "planned"
    if aux & EXPECT_AUX:
        return "expected"
    if aux & FUTURE_AUX or "would" in aux or (("is" in aux or "are" in aux) and any(
            c.lower_ == "to" for c in children if c.dep_ == "aux")):
        return "planned"
    governed = {first.i, *[v.i for v in verbs]}
    if any(t.lower_ == "due" and t.head.i in governed for t in first.doc[first.sent.start:first.i]):
        return "planned"
    return "occurred"


NESTED = {"advcl", "ccomp", "relcl", "parataxis", "acl"}


def _clause_tokens(trigger: Token) -> set[int]:
    """Tokens of the trigger's own clause, without the clauses nested in it."""
    head = clause_head(trigger) if trigger.pos_ == "NOUN" else trigger
    # a nested clause stays when it holds the trigger, i.e. is the trigger or one of its ancestors
    holds_trigger = {trigger.i, *[t.i for t in trigger.ancestors]}
    ids: set[int] = set()
    stack = [head]
    while stack:
        t = stack.pop()
        ids.add(t.i)
        for c in t.children:
            if c.dep_ in NESTED and c.pos_ in {"VERB", "AUX"} and c.i not in holds_trigger:
                continue
            if c.dep_ == "conj" and c.pos_ in {"VERB", "AUX"}:
                continue
            stack.append(c)
    return ids


def _place_for(a: Analysis, trigger: Token, sent: DocSpan, clause: set[int],
               scope: set[int] | None) -> tuple[str | None, str | None]:
    """A place named in the trigger's own clause (in/at/near X), else the dateline. `clause` and
    `scope` are the trigger's `_clause_tokens` and `_relative_scope`, `sent` its sentence."""
    clause = clause | (scope or set())  # "the shootout near Batken, which killed"
    best, dist = None, 10**9
    doc, lo, hi = trigger.doc, sent.start, sent.end
    for i in sorted(clause):  # the sentence's tokens in order, only those of the clause
        if not lo <= i < hi:
            continue
        t = doc[i]
        if t.dep_ != "pobj" or t.head.lower_ not in {"in", "at", "near", "outside", "into", "from"}:
            continue
        e = a.entity_of(t)
        if e is None:  # "near the village of Ak-Sai"
            e = next((a.entity_of(g) for c in t.children if c.dep_ == "prep" and c.lower_ == "of"
                      for g in c.children if g.dep_ == "pobj" and a.entity_of(g)), None)
        if e is None or e.id not in a.place_of:
            continue
        if e.type == "GPE" and kb.country(e.name) and t.head.lower_ == "from":
            continue
        d = abs(t.i - trigger.i)
        if d < dist:
            best, dist = a.place_of[e.id], d
    if best:
        return best, "clause"
    if a.article.dateline:
        return a.article.dateline, "dateline"
    return None, None


def _relative_scope(trigger: Token) -> set[int] | None:
    """For a trigger inside a relative clause, the tokens whose times may date it: the clause and
    its antecedent phrase. "Troops on Wednesday searched for gunmen who killed 12": the search
    was on Wednesday, the killing earlier; "Tuesday's shootout, which killed five" is Tuesday's."""
    cur = trigger
    for _ in range(4):
        if cur.dep_ == "relcl":
            ante = _antecedent(cur)
            return {t.i for t in cur.subtree} | {t.i for t in ante.subtree if t.i < cur.i}
        if cur.dep_ not in {"conj", "xcomp"} or cur.head.i == cur.i:
            return None
        cur = cur.head
    return None


def _time_for(a: Analysis, trigger: Token, sent: DocSpan, clause: set[int],
              allowed: set[int] | None) -> tuple[str | None, str | None, str | None]:
    """The time expression in the trigger's clause, else the sentence's; (time id, date, source).
    `clause` and `allowed` are the trigger's `_clause_tokens` and `_relative_scope`."""
    best = None
    for t in a.times:
        if t.type not in {"DATE", "TIME"} or not (sent.start_char <= t.start < sent.end_char):
            continue
        span = a.doc.char_span(t.start, t.end, alignment_mode="expand")
        if span is None or (allowed is not None and not any(x.i in allowed for x in span)):
            continue
        inside = any(x.i in clause for x in span)
        score = (0 if inside else 1, abs(span.start - trigger.i))
        if best is None or score < best[0]:
            best = (score, t, "clause" if inside else "context")
    if best is None:
        return None, None, None
    if best[2] == "clause":
        return None, None, None  # the clause's own time was already looked up by times.time_for
    t = best[1]
    return t.id, _date_value(t.value), "context"


RESPONSE_TYPES = {"REJECT", "ACCUSE", "SUPPORT", "CONCEDE", "PROTEST"}
OUTWARD_TYPES = {"AID", "ACCUSE", "REQUEST", "SANCTION", "THREATEN"}


def _foreign(e: Entity, home: Entity) -> bool:
    if e.country is None:
        return e.sector in {"IGO", "NGO"}
    return e.country != home.country


def _date_value(value: str | None) -> str | None:
    return value if value and value[:1].isdigit() else None


def _in_direct_quote(a: Analysis, idx: int) -> bool:
    return any(q.direct and q.start <= idx < q.end for q in a.quotes)


def extract(a: Analysis) -> None:
    dl = a.article.dateline_span
    dateline = None
    if dl is not None:  # up to the separator: "PARIS, April 17 - ", "LUANDA, Angola — "
        m = re.compile(r"[^:—–-]{0,25}?[:—–-]\s*").match(a.article.text, dl.end)
        dateline = (dl.start, m.end() if m else dl.end + 3)
    refs = _Refs(a, dateline)
    seen: set[tuple] = set()
    events: list[Event] = []
    for tok in a.tokens:  # built once per article, shared by the stages
        if tok.pos_ not in {"VERB", "NOUN", "AUX"}:
            continue
        found = classify(tok)
        if found is None or _in_direct_quote(a, tok.idx):
            continue
        etype, mode = found
        if tok.pos_ == "NOUN" and tok.dep_ in OBJ | {"nsubjpass", "pobj"}:
            gov = tok.head if tok.dep_ != "pobj" else tok.head.head
            gov_type = classify(gov) if gov.pos_ in {"VERB", "AUX"} else None
            if gov_type and (gov_type[0] == etype or gov.lemma_.lower() in LIGHT_VERBS):
                continue  # "imposed sanctions", "held talks": the verb carries the event
        actors: list[Entity] = []
        targets: list[Entity] = []
        if tok.pos_ in {"VERB", "AUX"}:
            subj, passive = _subject(tok, dateline)
            agent = _agent(tok)
            # "a swap mediated by the UAE": an agent makes the clause passive even without an auxiliary
            passive = passive or agent is not None or any(c.dep_ == "auxpass" for c in tok.children)
            if passive:
                if agent is not None:
                    actors = refs.entities_of(agent)
                if subj is not None:
                    targets = refs.entities_of(subj)
            elif subj is not None:
                actors = refs.entities_of(subj)
            obj = _object(tok)
            if obj is not None and not passive and not _is_money(obj):
                targets = targets or refs.entities_of(obj)
                if not targets and classify(obj) is not None:
                    for p in _pobjs(obj, TARGET_PREPS.get(etype, set())):  # "imposed sanctions on X"
                        targets = refs.entities_of(p)
                        if targets:
                            break
                if not targets and etype == "CONSULT":
                    for p in _pobjs(tok, {"from"}):  # "met officials from the alliance"
                        targets = refs.entities_of(p)
            if not targets:
                for p in _pobjs(tok, TARGET_PREPS.get(etype, set())):
                    targets = refs.entities_of(p)
                    if targets:
                        break
            if not targets and etype == "THREATEN":
                # "warned that Georgia could pull out ... if the bloc imposed further measures"
                cond = [g for c in tok.children if c.dep_ == "ccomp" for g in c.subtree
                        if g.dep_ == "advcl" and any(m.lower_ in {"if", "unless"} for m in g.children)]
                for g in cond:
                    s2, _ = _subject(g)
                    targets = refs.entities_of(s2) if s2 is not None else []
                    if targets:
                        break
            if not targets and obj is not None and etype in RESPONSE_TYPES:
                about = classify(obj) if obj.pos_ == "NOUN" else None
                earlier = next((v for v in reversed(events) if about and v.type == about[0] and v.actors), None)
                if earlier is not None:
                    # "rejected the sanctions": aimed at whoever imposed them, as reported earlier
                    targets = [a.by_id[x] for x in earlier.actors if x in a.by_id]
        else:
            for c in tok.children:
                if c.dep_ in {"poss", "compound", "amod"}:
                    e = refs.one(c)
                    if e is not None and e.type != "LOC":
                        actors.append(e)
            for p in _pobjs(tok, {"by", "of"}):
                if not actors:
                    actors = refs.entities_of(p)
            for p in _pobjs(tok, TARGET_PREPS.get(etype, set()) | {"between"}):
                found_t = refs.entities_of(p)
                if p.head.lower_ == "between" and len(found_t) >= 2 and not actors:
                    actors, found_t = found_t[:1], found_t[1:]
                targets = targets or found_t
            if not actors and tok.head.pos_ in {"VERB", "AUX"} and tok.dep_ in OBJ | {"nsubj", "nsubjpass"} \
                    and tok.head.lemma_.lower() in LIGHT_VERBS:
                verb = tok.head
                if tok.dep_ in OBJ or tok.dep_ == "nsubjpass":
                    s, passive = _subject(verb)
                    ag = _agent(verb) if tok.dep_ == "nsubjpass" else None
                    src = ag if ag is not None else (s if s is not None and s.i != tok.i else None)
                    if src is not None:
                        actors = refs.entities_of(src)
        # Coordinated subjects: "Congo's government and the M23 agreed": one acts, the other is the target.
        reciprocal = False
        if len(actors) >= 2 and not targets and etype in {"AGREE", "CONSULT", "COOPERATE", "ASSAULT", "RETREAT"}:
            # "A and B agreed/fought/swapped prisoners": A acts on B; violence and swaps go both ways
            reciprocal = etype == "ASSAULT" or (etype == "RETREAT" and tok.lemma_.lower() in {"exchange", "swap", "release", "free"})
            actors, targets = actors[:1], actors[1:2]
        actors = [e for e in actors if e.type in {"PERSON", "ORG", "GPE", "NORP"}]
        if not actors and tok.pos_ in {"VERB", "AUX"}:
            subj, passive = _subject(tok, dateline)
            src = _agent(tok) if passive else subj
            g = refs.group(src) if src is not None else None
            if g is not None:
                actors = [g]
            if not targets and passive and subj is not None:
                t = refs.group(subj)
                targets = [t] if t is not None and t not in actors else []
            elif not targets and _object(tok) is not None:
                t = refs.group(_object(tok))
                targets = [t] if t is not None and t not in actors else []
        if not actors and etype == "ASSAULT" and tok.pos_ == "VERB" and tok.lemma_.lower() in CASUALTY_VERBS:
            # "Seven people were killed in fighting between Tajik and Kyrgyz troops": the fighting's
            # sides act on each other
            for p in _pobjs(tok, {"in", "during"}):
                if (classify(p) or ("",))[0] != "ASSAULT":
                    continue
                sides = [e for q in _pobjs(p, {"between"}) for e in refs.entities_of(q)]
                if len(sides) >= 2:
                    actors, targets, reciprocal = sides[:1], sides[1:2], True
                    break
        targets = [e for e in targets if e.type in {"PERSON", "ORG", "GPE", "NORP"} and e not in actors]
        if not actors and not _unnamed(tok, etype):
            continue
        if etype in OUTWARD_TYPES and actors and not targets and refs.main_gpe is not None and refs.main_gpe not in actors \
                and all(_foreign(e, refs.main_gpe) for e in actors):
            # A foreign actor's aid, demand, condemnation or sanction with no named recipient is aimed
            # at the country the story is about ("the EU condemned ...", "RSF demanded ...").
            targets = [refs.main_gpe]
        status = _status(tok)
        if status == "negated" and any(c.dep_ == "neg" for c in tok.children) and (
                etype == "SUPPORT" or (etype == "AGREE" and tok.lemma_.lower() in REFUSED_WHEN_NEGATED)):
            # "Moscow would not support", "does not recognise", "his party would not accept the winners"
            etype, mode, status = "REJECT", None, "occurred"
        if status == "occurred" and etype == "PROTEST" and tok.lemma_.lower() == "call":
            status = "planned"  # "called for demonstrations on Thursday": announced, not yet held
        if status == "occurred" and tok.lemma_.lower() in {"pledge", "promise", "vow"}:
            status = "planned"  # a pledge is aid promised, not yet delivered
        sent = tok.sent
        clause, scope = _clause_tokens(tok), _relative_scope(tok)
        place, place_source = _place_for(a, tok, sent, clause, scope)
        t_clause, _ = times.time_for(a, tok)
        if t_clause is not None:
            time_id, date, date_source = t_clause.id, _date_value(t_clause.value), "clause"
        else:
            time_id, date, date_source = _time_for(a, tok, sent, clause, scope)
        key = (etype, tuple(e.id for e in actors), tuple(e.id for e in targets), sent.start)
        if key in seen:
            continue
        seen.add(key)
        conf = 0.5 + (0.15 if tok.pos_ in {"VERB", "AUX"} else 0.05) + (0.1 if targets else 0) \
            + (0.1 if any(a.entity_of(t) for t in sent if t.dep_ in SUBJ) else 0) - (0.1 if not actors else 0)
        pairs = [(actors, targets)] + ([(targets, actors)] if reciprocal else [])
        for acts, tgts in pairs:
            events.append(Event(
                id="", type=etype, mode=mode, actors=[e.id for e in acts], targets=[e.id for e in tgts],
                place=place, time=time_id, date=date, status=status,
                trigger=Mention(tok.idx, tok.idx + len(tok.text), tok.text),
                sentence=Span(sent.start_char, sent.end_char), confidence=round(min(conf, 0.95), 2),
                date_source=date_source, place_source=place_source,
            ))
    # An event with no actor stands only where nothing else tells of it: its sentence names no side
    # of an event of that type ("clashes between A and B killed five": the clash with its sides is
    # the report), it is dated to a day (undated or a month, "about 100 were killed in fighting in
    # September 2022", it is background), and the article has no named event of its type that day
    # ("Russia and Ukraine exchanged prisoners on Saturday ... Saturday's swap was the third").
    named = {(v.type, v.sentence.start) for v in events if v.actors}
    dated = {(v.type, v.date[:10]) for v in events if v.actors and v.date}
    events = [v for v in events if v.actors or (
        (v.type, v.sentence.start) not in named and v.date and re.match(r"\d{4}-\d{2}-\d{2}", v.date)
        and (v.type, v.date[:10]) not in dated)]
    for n, v in enumerate(events, 1):
        v.id = f"v{n}"
    a.events.extend(events)
