"""Stage: who said what. Direct quotes (any quote marks, split around the
attribution, running over paragraphs) and reported speech ("X said that ...",
"X denied ...", "according to X"), each with its speaker resolved to an entity,
through pronouns ("he said") and titles ("the minister said") too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .. import knowledge as kb
from ..models import Entity, Quote
from .context import Analysis
from .text import fold

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# Verbs that introduce speech; "accuse"/"call" govern short scare quotes too.
SAY = {
    "say", "tell", "add", "state", "announce", "deny", "insist", "warn", "claim", "report", "confirm",
    "stress", "argue", "allege", "predict", "acknowledge", "admit", "explain", "declare", "reiterate",
    "write", "note", "describe", "tweet", "post", "assert", "contend", "maintain", "comment", "urge",
}
REPORT = SAY - {"describe", "urge", "post", "maintain", "comment"}
OPEN = "“\"«„"
CLOSE = {"“": "”", "\"": "\"", "«": "»", "„": "“"}
PRONOUNS = {"he": "PERSON", "she": "PERSON", "it": "ORG", "they": "ORG", "we": "ORG", "i": "PERSON"}
SUBJ = {"nsubj", "nsubjpass"}
DOC_NOUNS = {"statement", "communique", "communiqué", "release", "report", "post", "letter", "declaration"}


_OPENING = re.compile(f"[{OPEN}]")
_CLOSING_OR_BREAK = {op: re.compile(f"[{re.escape(close)}\n]") for op, close in CLOSE.items()}


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Character spans inside quote marks; an unclosed quote runs into the next paragraph
    when that paragraph opens with a quote mark (the newspaper convention)."""
    spans = []
    i, n = 0, len(text)
    while i < n:
        # jump to the next quote mark, and inside a quote to its closing mark or a line break
        # (nothing else stops the scan)
        m = _OPENING.search(text, i)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch != "\"" or i == 0 or not text[i - 1].isalnum():
            close = CLOSE[ch]
            stops = _CLOSING_OR_BREAK[ch]
            j = i + 1
            end = None
            while j < n:
                stop = stops.search(text, j)
                if stop is None:
                    break
                j = stop.start()
                c = text[j]
                if c == close and (close != "\"" or j + 1 >= n or not text[j + 1].isalnum()):
                    end = j
                    break
                if c == "\n":
                    k = j
                    while k < n and text[k].isspace():
                        k += 1
                    if k < n and text[k] == ch:
                        j = k + 1  # the quote goes on in the next paragraph
                        continue
                    break
                j += 1
            if end is not None and end > i + 1:
                spans.append((i + 1, end))
                i = end + 1
                continue
        i += 1
    return spans


def _clean_bounds(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and (text[e - 1].isspace() or text[e - 1] in ",;:"):
        e -= 1
    return s, e


class _Resolver:
    """Turns a subject token into (entity, surface text), through pronouns and titles."""

    def __init__(self, a: Analysis):
        self.a = a
        self.last_speaker: tuple[int, Entity] | None = None  # (char offset, entity)

    def _recent(self, before: int, types: set[str], word: str | None = None,
                country_only: bool = False) -> Entity | None:
        best, best_pos = None, -1
        for e in self.a.entities:
            if e.type not in types or country_only and not kb.country(e.name):
                continue
            if word and not (word in fold(e.name) or any(word in fold(r.title) for r in e.roles)):
                continue
            for m in e.mentions:
                if best_pos < m.start < before:
                    best, best_pos = e, m.start
        return best

    def resolve(self, subj: Token | None, at: int) -> tuple[Entity | None, str | None]:
        if subj is None:
            return None, None
        a = self.a
        # The subject itself, an apposition ("the mission in Congo, MONUSCO"), then its modifiers.
        for tok in [subj, *[c for c in subj.children if c.dep_ == "appos"],
                    *[c for c in subj.children if c.dep_ in {"compound", "poss", "nmod", "amod"}]]:
            e = a.entity_of(tok)
            if e and e.type in {"PERSON", "ORG", "GPE", "NORP"}:
                return e, _np_text(subj)
        for tok in subj.subtree:  # "U.N. Assistant Secretary-General for Africa Fatima Mensah"
            e = a.entity_of(tok)
            if e and e.type == "PERSON":
                return e, _np_text(subj)
        low = subj.lower_
        if low in DOC_NOUNS or subj.lemma_.lower() in DOC_NOUNS:
            # "the statement said": whoever issued it, the organisation that spoke last
            if self.last_speaker and self.last_speaker[1].type in {"ORG", "GPE"}:
                return self.last_speaker[1], self.last_speaker[1].name
            e = self._recent(at, {"ORG"})
            return e, _np_text(subj)
        if subj.pos_ == "PRON" and low in PRONOUNS:
            if PRONOUNS[low] == "PERSON":
                if self.last_speaker and self.last_speaker[1].type == "PERSON" \
                        and at - self.last_speaker[0] < 400:
                    # speaker continuity beats the nearest name when the last quote was close
                    e = self._recent(at, {"PERSON"})
                    if e is None or self._last_mention(e, at) < self.last_speaker[0]:
                        return self.last_speaker[1], self.last_speaker[1].name
                e = self._recent(at, {"PERSON"})
            else:
                if self.last_speaker and self.last_speaker[1].type in {"ORG", "GPE"} \
                        and at - self.last_speaker[0] < 600:
                    return self.last_speaker[1], self.last_speaker[1].name
                e = self._recent(at, {"ORG"}) or self._recent(at, {"GPE"}, country_only=True)
            return e, e.name if e else subj.text
        if subj.pos_ == "NOUN":
            word = fold(subj.lemma_)
            e = self._recent(at, {"PERSON"}, word) or self._recent(at, {"ORG"}, word)
            if e is None and kb.title_sector(subj.text):
                e = self._recent(at, {"PERSON"})  # "the envoy said": the person last named
            return e, _np_text(subj)
        return None, _np_text(subj)

    @staticmethod
    def _last_mention(e: Entity, before: int) -> int:
        return max((m.start for m in e.mentions if m.start < before), default=-1)


def _np_text(tok: Token) -> str:
    toks = [t for t in tok.subtree if t.dep_ not in {"relcl", "acl", "punct"} or t.i == tok.i]
    left = min(t.i for t in toks)
    right = max(t.i for t in toks)
    span = tok.doc[left:right + 1]
    words = span.text
    for det in ("a ", "an ", "the ", "A ", "An ", "The "):
        if words.startswith(det):
            words = words[len(det):]
    return re.split(r",| who | which | \(", words)[0].strip()


def _subject(verb: Token) -> Token | None:
    for c in verb.children:
        if c.dep_ in SUBJ:
            return c
    # "... and added that": share the subject of the first verb
    if verb.dep_ in {"conj", "xcomp"} and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


def _inside(i: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= i < e for s, e in spans)


def _speech_verb(sent: Span, qs: int, qe: int, text: str) -> Token | None:
    """The attribution of a quote: a speech verb in its sentence, outside the quote."""
    # The attribution is in the quote's own paragraph: never across a line break.
    cands = [t for t in sent if t.lemma_ in SAY and t.pos_ in {"VERB", "AUX"}
             and not (qs <= t.idx < qe)
             and "\n" not in (text[qe:t.idx] if t.idx >= qe else text[t.idx:qs])]
    if not cands:
        return None
    after = [t for t in cands if t.idx >= qe]
    ends = text[qe - 1] if qe > 0 else ""
    # “…,” she said — a quote closed by a full stop is its own sentence; the attribution is before it
    after_ok = ends not in ".?!" or (ends in "?!" and re.match(r"[”\"]?\s+[a-z]", text[qe:qe + 4]) is not None)
    if after and after_ok and after[0].idx - qe < 60:
        return after[0]
    before = [t for t in cands if t.idx < qs]
    return before[-1] if before else (after[0] if after else None)


def _governor(doc, qs: int, qe: int) -> Token | None:
    """The nearest verb outside the quote that governs it ("blamed “technical incidents”")."""
    span = doc.char_span(qs, qe, alignment_mode="expand")
    if span is None or not len(span):
        return None
    tok = span.root
    for _ in range(6):
        if tok.head.i == tok.i:  # the root: a governor needs a subject (a bare verb is no attribution)
            return None
        tok = tok.head
        if tok.pos_ in {"VERB", "AUX"} and not (qs <= tok.idx < qe) and _subject(tok) is not None:
            return tok
    return None


def _clause_span(tok: Token) -> tuple[int, int] | None:
    """Character span of a complement clause (its whole subtree, conjoined clauses included),
    without a leading 'that' or edge punctuation."""
    left, right = tok.left_edge.i, tok.right_edge.i
    doc = tok.doc
    while left <= right and (doc[left].dep_ == "mark" and doc[left].lower_ in {"that", "whether"}
                             or doc[left].is_punct or doc[left].is_space):
        left += 1
    while right >= left and (doc[right].is_punct or doc[right].is_space or doc[right].dep_ == "cc"):
        right -= 1
    if right < left:
        return None
    return doc[left].idx, doc[right].idx + len(doc[right])


def _complements(verb: Token) -> list[Token]:
    """The reported clauses of a speech verb, each conjoined 'and that ...' clause separately."""
    out = []
    for c in verb.children:
        if c.dep_ == "ccomp" or (c.dep_ == "xcomp" and verb.lemma_ in {"deny", "admit", "acknowledge"}):
            out.append(c)
            out.extend(k for k in c.children if k.dep_ == "conj" and k.pos_ in {"VERB", "AUX"}
                       and any(g.dep_ in SUBJ | {"mark"} for g in k.children))
    return out


def _attribution(doc, sentences: list[Span], text: str, qs: int, qe: int) -> Token | None:
    sents = [s for s in sentences if s.start_char < qe + 3 and s.end_char > qs - 1]
    for sent in sents:
        verb = _speech_verb(sent, qs, qe, text)
        if verb is not None:
            return verb
    return _governor(doc, qs, qe)


def extract(a: Analysis) -> None:
    doc = a.doc
    text = a.article.text  # == doc.text, which spaCy rebuilds on every access
    resolver = _Resolver(a)
    direct = [_clean_bounds(text, s, e) for s, e in _quote_spans(text)]
    direct = [(s, e) for s, e in direct if e > s]
    sentences = list(doc.sents) if direct else []  # computed once: doc.sents walks the whole doc
    # (start, end, subject token, cue, direct?) in text order; speakers are resolved in that
    # order so "he said" and unattributed follow-on quotes see the speaker before them.
    items: list[tuple[int, int, Token | None, str | None, bool, bool]] = []
    for qs, qe in direct:
        verb = _attribution(doc, sentences, text, qs, qe)
        if verb is not None:
            items.append((qs, qe, _subject(verb), verb.text, True, True))
        else:
            items.append((qs, qe, None, None, True, False))
    for tok in a.tokens:  # built once per article, shared by the stages
        if tok.lemma_ in REPORT and tok.pos_ in {"VERB", "AUX"}:
            for c in _complements(tok):
                # A conjoined clause stays inside the first clause's quote as well as being its own
                # ("were killed and 17 wounded when ..." is one claim): cutting it out changed 49 of
                # 430 records and no dev score, so the wider span is kept.
                span = _clause_span(c)
                if span is None:
                    continue
                s, e = span
                if e - s < 12 or any(qs < e and s < qe for qs, qe in direct):
                    continue  # the direct quote inside carries it
                items.append((s, e, _subject(tok), tok.text, False, True))
        elif tok.lower_ == "according" and tok.i + 2 < len(doc) and doc[tok.i + 1].lower_ == "to":
            pobj = next((c for c in doc[tok.i + 1].children if c.dep_ == "pobj"), None)
            sent = tok.sent
            if pobj is None:
                continue
            if tok.i - sent.start > 2:
                s, e = sent.start_char, doc[tok.i - 1].idx if doc[tok.i - 1].is_punct else tok.idx
            else:
                last = max(t.i for t in pobj.subtree)
                s, e = doc[last + 1].idx + 1 if last + 1 < sent.end else sent.end_char, sent.end_char
            s, e = _clean_bounds(text, s, e)
            while e > s and text[e - 1] in ".,":
                e -= 1
            if e - s < 12 or any(qs < e and s < qe for qs, qe in direct):
                continue
            items.append((s, e, pobj, "according to", False, True))
    items.sort(key=lambda it: it[0])
    prev: tuple[int, Entity] | None = None  # (end offset, speaker) of the last attributed quote
    for n, (s, e, subj, cue, is_direct, attributed) in enumerate(items, 1):
        ent, stext = (resolver.resolve(subj, s) if attributed else (None, None))
        if not attributed and prev is not None and s - prev[0] < 300:
            ent, stext = prev[1], prev[1].name  # "“…,” she said. “…”": the last speaker goes on
        if ent is not None:
            resolver.last_speaker = (s, ent)
            prev = (e, ent)
        a.quotes.append(Quote(id=f"c{n}", text=text[s:e], start=s, end=e,
                              speaker=ent.id if ent else None,
                              speaker_text=stext if stext else (ent.name if ent else None),
                              cue=cue, direct=is_direct))
