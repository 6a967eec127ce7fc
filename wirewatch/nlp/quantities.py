"""Stage: numbers that count something: troops, casualties, money, distances.

Each quantity has its value (written numbers and "1.7 million" included),
what it counts (`of`), a unit, whether it is approximate ("roughly", "at
least"), a currency for money, both bounds of a range, and the entity it
counts where one is named ("7,000 NATO forces" -> NATO).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..models import Quantity
from .context import Analysis

if TYPE_CHECKING:
    from spacy.tokens import Token

WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12, "a dozen": 12,
}
SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "mn": 1e6, "bn": 1e9, "m": 1e6}
APPROX = {"roughly", "about", "around", "some", "nearly", "almost", "approximately", "over", "estimated",
          "up", "least", "more", "less", "fewer", "than", "close", "an", "upwards", "just", "under", "most"}
APPROX_START = {"roughly", "about", "around", "some", "nearly", "almost", "approximately", "over", "estimated",
                "more", "less", "fewer", "close", "upwards", "under", "least", "up"}
CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_WORDS = {
    "dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP",
    "yuan": "CNY", "renminbi": "CNY", "yen": "JPY", "rupee": "INR", "rupees": "INR", "rouble": "RUB",
    "roubles": "RUB", "ruble": "RUB", "rubles": "RUB", "shilling": "KES", "shillings": "KES",
    "naira": "NGN", "rand": "ZAR", "francs": "XOF", "lira": "TRY", "pesos": "MXN", "riyals": "SAR",
    "dirhams": "AED", "hryvnia": "UAH", "usd": "USD", "eur": "EUR",
}
CURRENCY_NAMES = {"USD": "dollars", "EUR": "euros", "GBP": "pounds", "JPY": "yen", "INR": "rupees",
                  "CNY": "yuan", "RUB": "roubles"}
TROOPS = {"troops", "soldiers", "forces", "servicemen", "fighters", "personnel", "peacekeepers", "militants",
          "rebels", "police", "officers", "guards", "marines", "sailors", "militiamen"}
PEOPLE = {"people", "civilians", "residents", "persons", "protesters", "demonstrators", "refugees",
          "children", "women", "men", "migrants", "prisoners", "detainees", "journalists", "workers",
          "bodies", "villagers", "students", "voters"}
MEASURES = {"kilometres": "km", "kilometers": "km", "kilometre": "km", "kilometer": "km", "km": "km",
            "miles": "mi", "mile": "mi", "tonnes": "t", "tons": "t", "tonne": "t", "percent": "%", "%": "%",
            "per": "%", "megawatt": "MW", "megawatts": "MW", "hectares": "ha", "barrels": "bbl"}
_NUM = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")


def parse_number(words: list[str]) -> float | None:
    """'7,000' -> 7000; '1.7 million' -> 1.7e6; 'three' -> 3; 'twenty-five' -> 25."""
    value: float | None = None
    for w in words:
        lw = w.lower().strip()
        if _NUM.match(lw):
            value = float(lw.replace(",", ""))
        elif lw in SCALES and value is not None:
            value *= SCALES[lw]
        elif lw in WORDS:
            n = WORDS[lw]
            if value is None:
                value = float(n)
            elif n == 100:
                value *= 100
            else:
                value += n
        elif "-" in lw and all(p in WORDS for p in lw.split("-")):
            value = float(sum(WORDS[p] for p in lw.split("-")))
        elif lw in {"a", "an"} and value is None:
            continue
    return value


def _starts_number(t: Token) -> bool:
    """Whether a number run can start at `t`. Not "one": nearly always a pronoun or "one of", not
    a count worth indexing."""
    return (t.like_num or t.lower_ in WORDS) and t.lower_ != "one"


def _num_tokens(doc, i: int) -> tuple[int, int] | None:
    """The run of number tokens starting at i ('1.7', 'million')."""
    t = doc[i]
    if not _starts_number(t):
        return None
    j = i + 1
    while j < len(doc) and (doc[j].lower_ in SCALES or doc[j].like_num and doc[j].ent_type_ == t.ent_type_
                            and doc[j].lower_ not in {"and", "to"}):
        j += 1
    return i, j


def _np(head: Token) -> tuple[int, int]:
    """Left modifiers + head of a counted noun ('U.S. troops', 'polling stations')."""
    left = head.i
    for c in head.lefts:
        if c.dep_ in {"compound", "amod", "nmod", "poss"} and c.i < head.i and c.pos_ != "PRON":
            left = min(left, min(t.i for t in c.subtree))
    right = head.i
    for c in head.rights:
        if c.dep_ == "prep" and c.lower_ == "of":
            right = max(t.i for t in c.subtree)
    return left, right + 1


def extract(a: Analysis) -> None:
    doc = a.doc
    skip_ents = {"DATE", "TIME", "ORDINAL"}
    used: set[int] = set()
    items: list[Quantity] = []
    range_head: dict[int, Token] = {}  # start of a range's high bound -> the noun it counts
    toks = a.tokens  # every position is visited: `doc[i]` would build a new Token per call
    i = 0
    while i < len(toks):
        t = toks[i]
        # the number test first: almost every token fails it
        if not _starts_number(t) or i in used or t.ent_type_ in skip_ents or t.is_punct:
            i += 1
            continue
        run = _num_tokens(doc, i)
        if run is None:
            i += 1
            continue
        s, e = run
        value = parse_number([x.text for x in doc[s:e]])
        if value is None:
            i = e
            continue
        # Currency: "$7.2 million", "50 million yuan", "1.5 million pounds"
        currency = None
        start = s
        if s > 0 and doc[s - 1].text in CURRENCY_SYMBOLS:
            currency = CURRENCY_SYMBOLS[doc[s - 1].text]
            start = s - 1
            if s > 1 and doc[s - 2].text in {"US", "U.S."}:
                start = s - 2
        nxt = doc[e] if e < len(doc) else None
        head = None
        end = e
        if nxt is not None and nxt.lower_ in CURRENCY_WORDS and currency is None:
            currency = CURRENCY_WORDS[nxt.lower_]
            end = e + 1
        elif nxt is not None and nxt.text == "-" and e + 1 < len(doc):
            head = doc[e + 1]  # "72-member team", "970-kilometre border"
            while head.dep_ == "compound" and head.head.i > head.i:
                head = head.head
        range_low = False
        if head is None and currency is None:
            last = doc[e - 1]
            if last.dep_ in {"nummod", "compound", "amod", "quantmod"} and last.head.i >= e and last.head.pos_ in {"NOUN", "PROPN"}:
                head = last.head
            elif s in range_head:
                head = range_head[s]
            elif last.dep_ == "conj" and last.head.like_num and last.head.head.pos_ in {"NOUN", "PROPN"} \
                    and last.head.head.i > last.i:
                head = last.head.head  # the high bound of "between 3,000 and 4,000 troops"
            elif nxt is not None and nxt.lower_ in MEASURES:
                head = nxt
            elif nxt is not None and nxt.lower_ == "of" and e + 1 < len(doc):
                pobj = next((c for c in nxt.children if c.dep_ == "pobj"), None)
                if pobj is not None and pobj.pos_ in {"NOUN", "PROPN"}:
                    head = pobj  # "four of its servicemen"
            if head is None:
                # a bound of a range: "between 3,000 and 4,000 Rwandan troops"
                if nxt is not None and nxt.lower_ in {"and", "to", "-"}:
                    run2 = _num_tokens(doc, e + 1) if e + 1 < len(doc) else None
                    if run2:
                        last2 = doc[run2[1] - 1]
                        if last2.head.pos_ in {"NOUN", "PROPN"} and last2.head.i >= run2[1]:
                            head = last2.head
                            range_low = True
                            range_head[run2[0]] = head
            if head is None and s in range_head:
                head = range_head[s]
        if head is None and currency is None and t.dep_ in {"nsubj", "appos", "dobj", "conj", "npadvmod"}:
            prev = next((q for q in reversed(items) if q.start >= t.sent.start_char and q.unit
                         and q.currency is None), None)
            if prev is not None:  # "600 people were injured and 28 remain missing"
                items.append(Quantity(id="", text=doc[s:e].text, start=doc[s].idx,
                                      end=doc[e - 1].idx + len(doc[e - 1]),
                                      value=int(value) if value == int(value) else value,
                                      approximate=False, unit=prev.unit, of=prev.of))
                used.update(range(s, e))
                i = e
                continue
        if head is None and currency is None:
            i = e
            continue
        if s > 0 and doc[s - 1].lower_ in {"the", "these", "those", "their", "its", "both"} and value <= 10 \
                and t.lower_ in WORDS:
            i = e
            continue  # "the two countries": a reference back, not a count
        # Years and ages are not counts.
        if currency is None and head is not None and head.lower_ in {"year", "years", "old", "times"}:
            i = e
            continue
        approx = False
        k = start - 1
        while k >= 0 and doc[k].lower_ in APPROX:
            if doc[k].lower_ in APPROX_START:
                approx = True
            k -= 1
        if approx and k >= 0 and doc[k].lower_ == "at" and doc[k + 1].lower_ in {"least", "most"}:
            k -= 1  # "at least five": the span keeps its "at"
        first = k + 1 if approx else start
        unit = None
        of = None
        ent_id = None
        if currency:
            unit = currency
            of = CURRENCY_NAMES.get(currency, currency)
            gov = doc[end - 1].head if end - 1 < len(doc) else None
            if gov is not None and gov.pos_ in {"NOUN"} and gov.i > end - 1:
                lo, hi = _np(gov)
                of = f"{of} {doc[lo:hi].text}"
            else:
                pp = next((c for c in doc[end - 1].rights if c.dep_ == "prep"), None)
                pobj = next((c for c in pp.children if c.dep_ == "pobj"), None) if pp is not None else None
                if pobj is not None:
                    lo, hi = _np(pobj)
                    of = f"{of} {doc[lo:hi].text}"
            span_end = end
        else:
            assert head is not None
            lo, hi = _np(head)
            lo = max(lo, e) if lo < s else lo
            if head.i < s:
                lo, hi = head.i, head.i + 1
            of = doc[lo:hi].text
            low = head.lower_
            unit = MEASURES.get(low) or ("troops" if low in TROOPS else "people" if low in PEOPLE else low)
            span_end = max(hi, e)
            for tok in doc[lo:hi]:
                ent = a.entity_of(tok)
                if ent is not None and ent.type in {"ORG", "GPE", "NORP"}:
                    ent_id = ent.id
                    break
        if span_end - first > 25 or range_low:
            span_end = e
        span = doc[first:span_end]
        items.append(Quantity(id="", text=span.text, start=span.start_char, end=span.end_char,
                              value=int(value) if value == int(value) else value, approximate=approx,
                              unit=unit, of=of, entity=ent_id, currency=currency))
        used.update(range(s, e))
        i = e
    # Ranges: the low bound carries the high one as range_end.
    for q1, q2 in zip(items, items[1:], strict=False):
        overlapping = q1.start < q2.start < q1.end
        between = a.article.text[q1.end:q2.start] if q1.end <= q2.start else ""
        if (overlapping or between.strip() in {"and", "to", "-", "–"}) and q1.of == q2.of and q1.value < q2.value:
            q1.range_end = q2.value
    for n, q in enumerate(items, 1):
        q.id = f"q{n}"
    a.quantities.extend(items)
