"""Recognise date/time expressions and normalise them to TIMEX3 values.

A rule grammar rather than dateparser: dateparser's values agree with TIMEX3
only 4.5% of the time (NOTES.md), because it resolves everything to a full
datetime and knows nothing of granularity ("last week" is `2021-W14`, not a
day), of tense ("on Wednesday" in a past clause is the Wednesday before the
publication date) or of durations, sets and vague references.

The core needs no spaCy: `find(text, anchor)` guesses tense from the words
around an expression; give it the parsed `doc` and it reads the governing
verb instead (`clause_tense`, duck-typed on spaCy tokens). All patterns are
compiled once at import; a call is a handful of `finditer` passes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

__all__ = ["Timex", "anchor_date", "clause_tense", "find", "normalize"]

PAST, FUTURE, PRESENT = "past", "future", "present"


@dataclass(slots=True, frozen=True)
class Timex:
    """One recognised expression: char span, TIMEX3 type and value (None when unresolvable)."""

    start: int
    end: int
    text: str
    type: str  # DATE, TIME, DURATION, SET
    value: str | None
    mod: str | None = None  # TIMEX3 mod: START, MID, END, EARLY?, APPROX ...
    kind: str = ""  # which rule found it (for callers that filter, e.g. bare "now")


# ---------------------------------------------------------------- vocabulary

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1, "single": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70,
    "eightieth": 80, "ninetieth": 90, "hundredth": 100, "twenty-first": 21, "twenty-fifth": 25,
}
# vague quantities: TIMEX3 writes an unknown count as X ("several days" = PXD)
_VAGUE_NUM = {"few", "a few", "several", "some", "many", "a number of", "dozens of", "scores of",
              "hundreds of", "a couple of", "couple of", "a couple"}
_UNIT_CODE = {"second": ("T", "S"), "minute": ("T", "M"), "hour": ("T", "H"), "day": ("", "D"),
              "night": ("", "D"), "week": ("", "W"), "weekend": ("", "WE"), "fortnight": ("", "W"),
              "month": ("", "M"), "quarter": ("", "Q"), "year": ("", "Y"), "decade": ("", "DE"),
              "century": ("", "CE"), "centurie": ("", "CE")}
_SEASONS = {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"}
_DECADE_WORDS = {"twenties": 2, "thirties": 3, "forties": 4, "fifties": 5, "sixties": 6, "seventies": 7,
                 "eighties": 8, "nineties": 9}
_NAMED_DAYS = {"christmas day": (12, 25), "christmas eve": (12, 24), "christmas": (12, 25),
               "new year's day": (1, 1), "new year’s day": (1, 1), "new year's eve": (12, 31),
               "new year’s eve": (12, 31), "boxing day": (12, 26), "halloween": (10, 31),
               "valentine's day": (2, 14), "valentine’s day": (2, 14)}
_PARTS_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}


def _alts(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


def _cased(words: Iterable[str]) -> str:
    """Title- or upper-case forms only: 'may', 'march', 'sun' lower-case are not dates."""
    forms = set()
    for w in words:
        forms.update({w.title(), w.upper()})
    return _alts(forms)


_MONTH_FULL = [w for w in _MONTHS if len(w) > 4 or w in ("may", "june", "july")]
_MONTH_ABBR = [w for w in _MONTHS if w not in _MONTH_FULL]
MONTH = rf"(?:(?:{_cased(_MONTH_FULL)})\b|(?:{_cased(_MONTH_ABBR)})(?:\.|\b))"
WEEKDAY = rf"(?:(?:{_cased(w for w in _WEEKDAYS if len(w) > 5)})\b|(?:{_cased(w for w in _WEEKDAYS if len(w) <= 5)})\.)"
DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?![\d:.,]\d)"
YEAR = r"(?:1[6-9]\d\d|20\d\d)(?![\d,]\d)"
_NUMW = _alts(list(_SMALL) + list(_TENS) + ["hundred", "dozen", "half"])
_DIGITW = _alts(w for w, v in _SMALL.items() if 1 <= v <= 9 and w not in ("a", "an", "single"))
NUM = (rf"(?:(?:\d+(?:[.,]\d+)?|(?i:(?:{_alts(_TENS)})(?:[- ](?:{_DIGITW}))?|(?:{_NUMW})|a\s+dozen|a\s+hundred|"
       rf"{_alts(_VAGUE_NUM)}))(?i:\s+and\s+a\s+half)?)")
UNIT = r"(?i:second|minute|hour|day|night|week|weekend|fortnight|month|quarter|year|decade|centur(?:y|ie))"
ORD = rf"(?:\d+(?:st|nd|rd|th)|(?i:{_alts(_ORDINALS)}))"
_I = "(?i:{})".format  # case-insensitive piece in a case-sensitive pattern
MOD = r"(?i:early|mid|late|the\s+end\s+of|the\s+beginning\s+of|the\s+start\s+of|the\s+middle\s+of|end\s+of|beginning\s+of|start\s+of)"
_MOD_CODE = {"early": "START", "beginning": "START", "start": "START", "mid": "MID", "middle": "MID",
             "late": "END", "end": "END"}

# pieces that hold a backslash cannot sit inside an f-string expression (Python 3.11)
_MONTH_REL = _I(r"last|next|this|this\s+coming|this\s+past|coming")
_SEASON_REL = _I(r"last|next|this|this\s+past|this\s+coming|the|in|during")
_WD_REL = _I(r"last|next|this\s+coming|this\s+past|this|coming|past")
_AGO_DIR = _I(r"ago|earlier|later|before|back|from\s+now|hence")
_FREQ = _I(r"once|twice|(?:three|four|five|\d+)\s+times")
_AMPM = _I(r"a\.m\.|p\.m\.|a\.m|p\.m|am|pm")
_LOCAL_TIME = _I(r"local\s+time")
_NEXT_DAY = _I(r"the\s+(?:next|following)\s+day")
_CLOCK_ZONE = _I(r"local\s+time|hours|hrs|h")
_DUR_PRE = _I(r"the\s+next|the\s+past|the\s+last|the\s+first|the\s+previous|the\s+coming|another|an\s+additional|more\s+than|less\s+than|fewer\s+than|at\s+least|up\s+to|nearly|almost|about|around|roughly|some|over|for|within|in|during|after")
# (kind, pattern); longest match wins across kinds, ties go to the earlier rule
_RULES: list[tuple[str, str]] = [
    ("anniversary", rf"\b{_I('the')}\s+(?P<nth>{ORD})\s+{_I('anniversary')}\s+{_I('of')}\s+(?:{_I('the')}\s+)?"),
    ("iso", r"\b(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])-(?P<d>[0-3]\d)(?:[T ](?P<H>[01]\d|2[0-3]):(?P<M>[0-5]\d))?\b"),
    ("nine11", r"\b9/11\b(?:-related)?"),
    ("slash", r"\b(?P<a>[01]?\d)/(?P<b>[0-3]?\d)/(?P<y>\d{4}|\d{2})\b"),
    ("mdy", rf"(?:(?P<wd>{WEEKDAY}),?\s+)?(?:(?P<mod>{MOD})\s+)?(?P<mon>{MONTH})\s*(?P<d>{DAY})\b(?:,?\s+(?P<y>{YEAR}))?"),
    ("dmy", rf"(?:(?P<wd>{WEEKDAY}),?\s+)?(?:{_I('the')}\s+)?(?P<d>{DAY})(?:\s+{_I('of')})?\s+(?P<mon>{MONTH})(?:,?\s+(?P<y>{YEAR}))?"),
    ("my", rf"(?:(?P<mod>{MOD})(?:\s+|-)(?:{_I('of')}\s+)?)?(?P<mon>{MONTH}),?\s+(?:{_I('of')}\s+)?(?P<y>{YEAR})\b"),
    ("month", rf"(?:(?P<mod>{MOD})(?:\s+|-)(?:{_I('of')}\s+)?)?(?:(?P<rel>{_MONTH_REL})\s+)?(?P<mon>{MONTH})(?!\s*\d)"),
    ("season", rf"(?:(?P<mod>{MOD})\s+)?(?:(?P<rel>{_SEASON_REL})\s+)?(?P<season>{_I('spring|summer|autumn|fall|winter')})(?:\s+{_I('of')})?(?:,?\s+(?P<y>{YEAR}))?\b(?!\s+(?:Olympics|Paralympics|Games|Palace|session))"),
    ("year", rf"(?:(?P<mod>{MOD})(?:\s+|-))?(?<![$€£#\w.,/-])(?P<y>{YEAR})\b(?!-\d|%|\s*(?:percent|per\s+cent))(?:['’]s\b)?"),
    ("year2", r"(?<!\w)['’](?P<yy>\d\d)\b(?!['’]?s)"),
    ("decade", rf"(?:{_I('the')}\s+)?(?:(?P<mod>{_I('early|mid|late')})(?:\s+|-))?(?P<dec>1[6-9]\d0|20\d0)['’]?s\b"),
    ("decadew", rf"(?:{_I('the')}\s+)(?:(?P<mod>{_I('early|mid|late')})(?:\s+|-))?(?P<decw>{_I(_alts(_DECADE_WORDS))})\b"),
    ("century", rf"(?:{_I('the')}\s+)(?P<nth>{ORD})\s+{_I('century')}\b"),
    ("weekday", rf"(?:(?P<el>{_I('early|late')})\s+)?(?:(?P<rel>{_WD_REL})\s+)?(?P<wd>{WEEKDAY})(?:['’]s\b)?(?:\s+(?P<pod>{_I('morning|afternoon|evening|night')})\b)?"),
    ("named", rf"\b(?P<named>{_cased(n for n in _NAMED_DAYS)})\b(?:,?\s+(?P<y>{YEAR}))?"),
    ("relday", _I(r"\b(?P<rd>the\s+day\s+before\s+yesterday|the\s+day\s+after\s+tomorrow|yesterday|today|tonight|tomorrow|last\s+night|this\s+(?:morning|afternoon|evening))\b(?:['’]s)?")),
    ("edge", _I(r"\b(?:the\s+)?(?P<edge>end|beginning|start|middle)\s+of\s+(?:the\s+|this\s+|next\s+|last\s+)?(?P<u>year|month|week|decade)\b|\b(?P<ye>year|month)[- ]end\b")),
    ("relunit", _I(r"\b(?:(?P<lat>later|earlier|early|late)\s+)?(?P<rel>last|this|next|the\s+past|the\s+previous|the\s+coming|the\s+following|this\s+past|the\s+last|the\s+next|previous|following|coming)\s+(?P<u>week|weekend|month|year|decade|century|quarter|fortnight)\b(?:['’]s)?")),
    ("quarter", rf"\b(?:{_I('the')}\s+)?(?P<q>{_I('first|second|third|fourth|final|last|1st|2nd|3rd|4th')})\s+{_I('quarter')}(?:\s+{_I('of')})?(?:,?\s+(?P<y>{YEAR}))?\b|\bQ(?P<qn>[1-4])(?:\s+(?P<y2>{YEAR}))?\b"),
    ("weekend", _I(r"\b(?:over|at|on|during|across|throughout|for)\s+(?:the\s+)?(?P<we>weekend)\b")),
    ("anaphday", _I(r"\b(?P<ana>the\s+(?:following|next|previous|same|preceding)\s+day|the\s+day\s+(?:before|after)|the\s+(?:week|month|year)\s+(?:before|after)|a\s+day\s+(?:later|earlier))\b")),
    ("ago", rf"(?P<n>{NUM})[\s-]+(?P<u>{UNIT})s?\s+(?P<dir>{_AGO_DIR})\b(?!\s+(?:the|a|an|his|her|its|their|that|this)\b)"),
    ("vague", _I(r"\b(?P<past>recently|lately|formerly|in\s+the\s+past|in\s+recent\s+(?:days|weeks|months|years|decades|times)|(?:a\s+few|several|some|many)\s+(?:days|weeks|months|years|decades)\s+(?:ago|back)|(?:years|decades|months)\s+ago|some\s+time\s+ago|a\s+while\s+ago|long\s+ago)\b"
                  r"|\b(?P<fut>(?:the\s+)?(?:near|distant|foreseeable|immediate)\s+future|in\s+the\s+future|(?:the\s+)?(?:days|weeks|months|years)(?:\s+and\s+(?:weeks|months|years))?\s+(?:ahead|to\s+come)|the\s+coming\s+(?:days|weeks|months|years)(?:\s+and\s+(?:weeks|months|years))?|until\s+further\s+notice)\b"
                  r"|\b(?P<pres>right\s+now|now|currently|at\s+present|presently|nowadays|these\s+days|at\s+the\s+moment|for\s+now)\b")),
    ("set", rf"\b(?:{_I('every|each')})\s+(?:(?P<other>{_I('other')})\s+)?(?:(?P<n>{NUM})\s+)?(?:(?P<u>{UNIT})s?|(?P<wd>{WEEKDAY})|(?P<pod>{_I('morning|afternoon|evening|night')}))\b"
            rf"|\b(?P<freq>{_FREQ})\s+(?:{_I('a|per|each|every')})\s+(?P<u2>{UNIT})\b"
            r"|\b(?P<adv>annually|yearly|weekly|daily|monthly|hourly)\b"),
    ("time", rf"(?:{_I('at|by|from|until|around|about|before|after')}\s+)?(?P<H>[01]?\d)(?:[:.](?P<M>[0-5]\d))?\s*(?P<ap>{_AMPM})(?![\w])(?:\s+(?P<tz>{_LOCAL_TIME}|GMT|UTC|[A-Z]{{2,4}}T))?(?:\s+(?P<nextday>{_NEXT_DAY}))?"
             rf"|(?<![\d:.])(?P<H24>[01]?\d|2[0-3]):(?P<M24>[0-5]\d)(?![\d:])(?:\s+(?P<tz2>{_CLOCK_ZONE}|GMT|UTC))?(?:\s+(?P<nextday2>{_NEXT_DAY}))?"
             rf"|\b(?P<noon>{_I('noon|midday|midnight')})\b"
             rf"|\b(?P<H4>[01]\d|2[0-3])(?P<M4>[0-5]\d)\s+(?:GMT|UTC|{_CLOCK_ZONE})"),
    ("duration", rf"(?:(?P<pre>{_DUR_PRE})\s+)?(?P<n>{NUM})(?P<sep>[\s-]+)(?P<u>{UNIT})(?P<pl>s)?\b(?!-old|\s+old\b|\s+of\s+age|\s+(?:ago|earlier|later|back|from\s+now|hence)\b)"),
    ("durbare", rf"\b(?P<pre>{_I('for|over|within|after|spanning|lasting')})\s+(?P<bu>{_I('decades|years|months|weeks|days|hours|centuries')})\b|\b(?P<bu2>{_I('decades|years|months|weeks')})-long\b|\b(?P<bu3>{_I('decades|centuries')})\b|\b(?P<half>{_I('a|an|one')})\s+(?P<hu>{UNIT})\s+{_I('and')}\s+{_I('a')}\s+{_I('half')}\b|\b{_I('half')}\s+{_I('an?')}\s+(?P<hfu>{UNIT})\b"),
]
_COMPILED = [(k, re.compile(p)) for k, p in _RULES]

# words that make a 4-digit number a count, not a year ("2000 troops")
_COUNT_NOUNS = re.compile(
    r"\s*(?:people|persons|troops|soldiers|men|women|children|police|officers|votes|voters|residents|"
    r"refugees|families|houses|homes|cases|deaths|dead|killed|tonnes|tons|km|kilometres|kilometers|miles|"
    r"metres|meters|feet|barrels|dollars|euros|pounds|rupees|yuan|units|vehicles|members|fighters|"
    r"workers|students|prisoners|delegates|observers|seats|jobs|hectares|acres|square|mw|megawatts|"
    r"strong|-strong|percent|schoolchildren|pupils|patients|survivors|victims|participants|"
    r"respondents|companies|firms|schools|villages|sites|ships|aircraft|planes|tanks|weapons|rounds)\b", re.I)
_QUANT_BEFORE = re.compile(
    r"(?:\b(?:about|around|some|nearly|almost|than|least|approximately|roughly|only|just|estimated|"
    r"no\.|number|resolution|flight|route|page|article|code|model)|\$|€|£)\s*$", re.I)
_ANNIV_TAIL = re.compile(r"(?:\s+(?!(?:by|with|and|or|in|on|at|to|for|from|that|which|who|as|when|while|but|"
                         r"was|were|is|are|has|had|will|would)\b)[A-Za-z][\w-]*){0,3}")
_FUT_WORDS = re.compile(
    r"\b(?:will|won['’]t|shall|would|going\s+to|due\s+to|(?:is|are)\s+to|plans?\s+to|planned|intends?\s+to|"
    r"scheduled|expected\s+to|set\s+(?:to|for)|aims?\s+to|next|upcoming|coming|later)\b|['’]ll\b", re.I)
_PAST_WORDS = re.compile(r"\b(?:was|were|had|did|ago|last|earlier|since|said|\w{3,}ed)\b", re.I)
_SENT_BOUND = re.compile(r"[.!?]\s+(?=[A-Z“\"])|\n")


# ---------------------------------------------------------------- date arithmetic

def anchor_date(anchor: date | datetime | str | None) -> date | None:
    """The calendar date of an anchor given as a date, datetime or ISO string (None if unusable)."""
    if anchor is None or anchor == "":
        return None
    if isinstance(anchor, datetime):
        return anchor.date()
    if isinstance(anchor, date):
        return anchor
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", str(anchor))
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def _d(x: date) -> str:
    return x.isoformat()


def _week(x: date) -> str:
    iy, iw, _ = x.isocalendar()
    return f"{iy:04d}-W{iw:02d}"


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _number(s: str | None) -> float | None:
    """A count written in digits or words; None for vague counts (TIMEX3 'X')."""
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s.strip().lower())
    if s in _VAGUE_NUM:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return float(s)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", s):
        return float(s.replace(",", ""))
    if s.endswith(" and a half"):
        whole = _number(s[: -len(" and a half")])
        return None if whole is None else whole + 0.5
    fixed = {"a dozen": 12, "dozen": 12, "a hundred": 100, "hundred": 100, "half": 0.5,
             "one and a half": 1.5, "a year and a half": 1.5}
    if s in fixed:
        return float(fixed[s])
    total = 0
    for part in re.split(r"[- ]", s):
        if part in _SMALL:
            total += _SMALL[part]
        elif part in _TENS:
            total += _TENS[part]
        elif part == "hundred":
            total = max(total, 1) * 100
        elif part == "dozen":
            total = max(total, 1) * 12
        else:
            return None
    return float(total)


def _ordinal(s: str) -> int | None:
    s = s.lower()
    m = re.match(r"(\d+)", s)
    if m:
        return int(m[1])
    return _ORDINALS.get(s)


def _fmt_num(n: float) -> str:
    return str(int(n)) if n == int(n) else f"{n:g}"


def _duration(n: float | None, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    t, code = _UNIT_CODE.get(unit, ("", "D"))
    if n is not None and unit == "fortnight":
        n *= 2
    if n is not None and n != int(n):  # "a year and a half": TIMEX3 allows a decimal, but only one
        if code == "Y":
            n, code = n * 12, "M"
        elif code == "D" and not t:
            n, t, code = n * 24, "T", "H"
        elif code == "H":
            n, code = n * 60, "M"
        elif code == "M" and not t:
            n, code = n * 30, "D"
        elif code == "W":
            n, code = n * 7, "D"
    count = "X" if n is None else _fmt_num(n)
    return f"P{t}{count}{code}"


def _pick_year(anchor: date, month: int, day: int | None, tense: str | None) -> int:
    """The year of a month (and day) given without one: past tense = latest not after the anchor,
    future = earliest not before it, otherwise the nearest (a bare month leans to the past)."""
    key_a = (anchor.month, anchor.day if day is not None else 0)
    key = (month, day if day is not None else 0)
    if tense == PAST:
        return anchor.year if key <= key_a else anchor.year - 1
    if tense == FUTURE or (tense == PRESENT and day is not None):
        # a dated present ("the vote runs from May 3") is a schedule
        if key >= key_a:
            return anchor.year
        # "is to run from January 23" said on January 28: a stretch already under way
        recent = _safe_date(anchor.year, month, min(day, 28)) if day is not None else None
        return anchor.year if recent and (anchor - recent).days <= 45 else anchor.year + 1
    if day is None:  # "in July" with no tense: news mostly reports the past
        return anchor.year if month <= anchor.month + 1 else anchor.year - 1
    best = min((anchor.year - 1, anchor.year, anchor.year + 1),
               key=lambda y: abs(((_safe_date(y, month, min(day, 28)) or anchor) - anchor).days))
    return best


def _weekday_date(anchor: date, wd: int, tense: str | None, rel: str | None) -> date:
    delta = (wd - anchor.weekday()) % 7  # days forward to the next such weekday (0 = today)
    rel = (rel or "").lower().split()
    if rel and rel[-1] == "past" or "last" in rel:
        return anchor - timedelta(days=(7 - delta) if delta else 7)
    if "next" in rel:
        return anchor + timedelta(days=delta or 7)
    if "coming" in rel:
        return anchor + timedelta(days=delta)
    if delta == 0:
        return anchor
    if tense == FUTURE or (tense == PRESENT and delta <= 3):
        return anchor + timedelta(days=delta)
    return anchor - timedelta(days=7 - delta)


# ---------------------------------------------------------------- resolution

@dataclass(slots=True)
class _Ctx:
    anchor: date | None
    tense: str | None
    ref: date | None  # the last fully specified date mentioned before (for "the following day")
    text: str
    start: int
    end: int


Resolved = tuple[str, str | None, str | None] | None  # (type, value, mod); None = not a time


def _mod(s: str | None) -> str | None:
    if not s:
        return None
    for k, v in _MOD_CODE.items():
        if k in s.lower():
            return v
    return None


def _res_iso(m: re.Match, c: _Ctx) -> Resolved:
    d = _safe_date(int(m["y"]), int(m["m"]), int(m["d"]))
    if d is None:
        return None
    if m["H"]:
        return "TIME", f"{_d(d)}T{m['H']}:{m['M']}", None
    return "DATE", _d(d), None


def _res_nine11(m: re.Match, c: _Ctx) -> Resolved:
    return "DATE", "2001-09-11", None


def _res_slash(m: re.Match, c: _Ctx) -> Resolved:
    a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
    if y < 100:
        y += 2000 if y < 50 else 1900
    mo, d = (a, b) if a <= 12 else (b, a)
    x = _safe_date(y, mo, d)
    return ("DATE", _d(x), None) if x else None


def _res_md(m: re.Match, c: _Ctx) -> Resolved:
    mon = _MONTHS[m["mon"].rstrip(".").lower()]
    day = int(re.match(r"\d+", m["d"])[0])
    if m["y"]:
        x = _safe_date(int(m["y"]), mon, day)
        return ("DATE", _d(x), _mod(m.groupdict().get("mod"))) if x else None
    if c.anchor is None:
        return "DATE", None, _mod(m.groupdict().get("mod"))
    wd = m["wd"]
    y = _pick_year(c.anchor, mon, day, c.tense)
    if wd:  # "Tuesday, March 3": the weekday settles the year when tense cannot
        want = _WEEKDAYS[wd.rstrip(".").lower()]
        for cand in (y, c.anchor.year, c.anchor.year - 1, c.anchor.year + 1):
            x = _safe_date(cand, mon, day)
            if x and x.weekday() == want:
                y = cand
                break
    x = _safe_date(y, mon, day)
    return ("DATE", _d(x), _mod(m.groupdict().get("mod"))) if x else None


def _res_my(m: re.Match, c: _Ctx) -> Resolved:
    mon = _MONTHS[m["mon"].rstrip(".").lower()]
    return "DATE", f"{int(m['y']):04d}-{mon:02d}", _mod(m.groupdict().get("mod"))


_MAY_CONTEXT = re.compile(r"\b(?:in|since|until|till|by|from|of|early|late|mid|during|before|after|through|"
                          r"last|next|this|and|or|to|between|-)\s*$", re.I)


def _res_month(m: re.Match, c: _Ctx) -> Resolved:
    word = m["mon"].rstrip(".").lower()
    mon = _MONTHS[word]
    before = c.text[max(0, m.start() - 20):m.start()]
    after = c.text[m.end():m.end() + 12]
    if word in ("may", "march", "mar", "jan", "sat", "sun") or len(word) <= 4:
        # homographs (the modal, the verb, names): need a date-like context
        if not (m["rel"] or m["mod"] or _MAY_CONTEXT.search(before)):
            return None
        if word == "may" and re.match(r"\s+(?:be|have|not|also|well)\b", after):
            return None
    if c.anchor is None and not m["rel"]:
        return "DATE", None, _mod(m.groupdict().get("mod"))
    if c.anchor is None:
        return "DATE", None, _mod(m.groupdict().get("mod"))
    rel = (m["rel"] or "").lower()
    if "last" in rel or "past" in rel:
        y = c.anchor.year if mon < c.anchor.month else c.anchor.year - 1
    elif "next" in rel or "coming" in rel:
        y = c.anchor.year if mon > c.anchor.month else c.anchor.year + 1
    elif rel == "this":
        y = c.anchor.year
    else:
        tense = PAST if re.search(r"\bsince\s*$", before, re.I) else c.tense
        y = _pick_year(c.anchor, mon, None, tense)
    return "DATE", f"{y:04d}-{mon:02d}", _mod(m.groupdict().get("mod"))


def _res_season(m: re.Match, c: _Ctx) -> Resolved:
    word = m["season"].lower()
    rel = (m["rel"] or "").lower()
    if word == "fall" and not (m["y"] or rel in ("last", "next", "this", "the", "in", "during", "this past")):
        return None
    if not m["y"] and not rel and not m.groupdict().get("mod"):
        return None  # a bare "summer" is too often generic or a name ("Operation Spring Storm")
    code = _SEASONS[word]
    if m["y"]:
        return "DATE", f"{int(m['y']):04d}-{code}", _mod(m.groupdict().get("mod"))
    if c.anchor is None:
        return "DATE", None, _mod(m.groupdict().get("mod"))
    start_month = {"SP": 3, "SU": 6, "FA": 9, "WI": 12}[code]
    y = c.anchor.year
    began = (c.anchor.month, c.anchor.day) >= (start_month, 21)
    if "last" in rel or "past" in rel or (rel in ("", "the", "in", "during") and c.tense == PAST):
        y = y if began and code != "WI" else y - 1
        if code == "WI" and c.anchor.month <= 3:
            y = c.anchor.year - 1
    elif "next" in rel or "coming" in rel or (rel in ("", "the", "in", "during") and c.tense == FUTURE):
        y = y + 1 if began else y
    return "DATE", f"{y:04d}-{code}", _mod(m.groupdict().get("mod"))


def _res_year(m: re.Match, c: _Ctx) -> Resolved:
    y = int(m["y"])
    before = c.text[max(0, m.start("y") - 16):m.start("y")]
    after = c.text[m.end():m.end() + 24]
    if _QUANT_BEFORE.search(before) or _COUNT_NOUNS.match(after):
        return None
    if not 1900 <= y <= 2099 and not re.search(r"\b(?:in|since|of|from)\s*$", before, re.I):
        return None
    if re.match(r"\s*[-–]\s*\d", after) and not re.match(r"\s*[-–]\s*(?:19|20)\d\d\b", after):
        return None  # a score or a range of counts ("2012-3")
    return "DATE", f"{y:04d}", _mod(m.groupdict().get("mod"))


def _res_year2(m: re.Match, c: _Ctx) -> Resolved:
    yy = int(m["yy"])
    y = (2000 if c.anchor is None or yy <= (c.anchor.year % 100) + 1 else 1900) + yy
    return "DATE", f"{y:04d}", None


def _res_decade(m: re.Match, c: _Ctx) -> Resolved:
    return "DATE", m["dec"][:3], _mod(m.groupdict().get("mod"))


def _res_decadew(m: re.Match, c: _Ctx) -> Resolved:
    digit = _DECADE_WORDS[m["decw"].lower()]
    century = 19 if c.anchor is None or c.anchor.year < 2030 + digit * 10 else 20
    return "DATE", f"{century}{digit}", _mod(m.groupdict().get("mod"))


def _res_century(m: re.Match, c: _Ctx) -> Resolved:
    n = _ordinal(m["nth"])
    return ("DATE", f"{n - 1:02d}", None) if n and 1 <= n <= 30 else None


_NAMED_BEFORE = re.compile(r"(?:Black|Good|Bloody|Super|Ash|Palm|Easter|Holy|Cyber|Blue|Manic|Maundy|Shrove)\s+$")


def _res_weekday(m: re.Match, c: _Ctx) -> Resolved:
    if _NAMED_BEFORE.search(c.text[max(0, m.start() - 10):m.start()]):
        return None
    wd = _WEEKDAYS[m["wd"].rstrip(".").lower()]
    pod = _PARTS_OF_DAY.get((m["pod"] or "").lower())
    if c.anchor is None:
        return ("TIME" if pod else "DATE"), None, None
    x = _weekday_date(c.anchor, wd, c.tense, m["rel"])
    if pod:
        return "TIME", f"{_d(x)}T{pod}", None
    return "DATE", _d(x), None


def _res_named(m: re.Match, c: _Ctx) -> Resolved:
    mon, day = _NAMED_DAYS[m["named"].lower()]
    if m["y"]:
        return "DATE", f"{int(m['y']):04d}-{mon:02d}-{day:02d}", None
    if c.anchor is None:
        return "DATE", None, None
    y = _pick_year(c.anchor, mon, day, c.tense)
    return "DATE", f"{y:04d}-{mon:02d}-{day:02d}", None


def _res_relday(m: re.Match, c: _Ctx) -> Resolved:
    rd = re.sub(r"\s+", " ", m["rd"].lower())
    if c.anchor is None:
        return "DATE", None, None
    a = c.anchor
    table = {"yesterday": -1, "today": 0, "tomorrow": 1, "the day before yesterday": -2,
             "the day after tomorrow": 2}
    if rd in table:
        return "DATE", _d(a + timedelta(days=table[rd])), None
    if rd == "tonight":
        return "TIME", f"{_d(a)}TNI", None
    if rd == "last night":
        return "TIME", f"{_d(a - timedelta(days=1))}TNI", None
    pod = _PARTS_OF_DAY[rd.split()[-1]]
    return "TIME", f"{_d(a)}T{pod}", None


def _unit_value(a: date, unit: str, k: int) -> str:
    """The TIMEX3 value of the calendar unit k steps from the one containing date a."""
    if unit == "week":
        return _week(a + timedelta(weeks=k))
    if unit == "fortnight":
        return _week(a + timedelta(weeks=2 * k))
    if unit == "weekend":
        return _week(a + timedelta(weeks=k)) + "-WE"
    if unit == "month":
        y, mo = _add_months(a.year, a.month, k)
        return f"{y:04d}-{mo:02d}"
    if unit == "quarter":
        q = (a.month - 1) // 3 + k
        y = a.year + q // 4
        return f"{y:04d}-Q{q % 4 + 1}"
    if unit == "decade":
        return f"{a.year // 10 + k:03d}"
    if unit == "century":
        return f"{a.year // 100 + k:02d}"
    return f"{a.year + k:04d}"


def _weekend(a: date, k: int, tense: str | None) -> str:
    """'this weekend' is the coming one in a future clause and the one just gone in a past one;
    'last'/'next' step from there. Said on a Saturday or Sunday, 'this weekend' is the current one."""
    w = a.weekday()
    if w >= 5:
        sat = a - timedelta(days=w - 5)
        sat += timedelta(weeks=k)
    else:
        coming = a + timedelta(days=5 - w)
        sat = coming - timedelta(weeks=1) if k < 0 or (k == 0 and tense == PAST) else coming
    return _week(sat) + "-WE"


def _res_relunit(m: re.Match, c: _Ctx) -> Resolved:
    unit = m["u"].lower()
    rel = re.sub(r"\s+", " ", m["rel"].lower())
    lat = (m["lat"] or "").lower()
    mod = {"early": "START", "late": "END"}.get(lat)
    if rel in ("the past", "the last", "this past") and unit != "weekend" and not (rel == "the last" and unit == "year"):
        if rel == "this past":
            k = -1
        else:  # "the past year" is a stretch of time up to now, TIMEX3 DURATION
            return "DURATION", _duration(1, unit), None
    elif rel in ("the next", "the coming") and unit not in ("weekend",):
        return "DURATION", _duration(1, unit), None
    elif rel in ("the previous", "previous", "the following", "following"):
        base = c.ref or c.anchor
        if base is None:
            return "DATE", None, mod
        k = -1 if "previous" in rel else 1
        if unit == "weekend":
            return "DATE", _weekend(base, k, c.tense), mod
        return "DATE", _unit_value(base, unit, k), mod
    else:
        k = {"last": -1, "the last": -1, "this": 0, "next": 1, "coming": 1}.get(rel, 0)
    if c.anchor is None:
        return "DATE", None, mod
    if unit == "weekend":
        return "DATE", _weekend(c.anchor, k, c.tense), mod
    return "DATE", _unit_value(c.anchor, unit, k), mod


def _res_quarter(m: re.Match, c: _Ctx) -> Resolved:
    word = (m["q"] or "").lower()
    q = int(m["qn"]) if m["qn"] else {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3,
                                      "fourth": 4, "4th": 4, "final": 4, "last": 4}[word]
    y = m["y"] or m["y2"]
    if y:
        return "DATE", f"{int(y):04d}-Q{q}", None
    if c.anchor is None:
        return "DATE", None, None
    current = (c.anchor.month - 1) // 3 + 1
    year = c.anchor.year - 1 if c.tense == PAST and q > current else c.anchor.year
    return "DATE", f"{year:04d}-Q{q}", None


def _res_weekend(m: re.Match, c: _Ctx) -> Resolved:
    if c.anchor is None:
        return "DATE", None, None
    return "DATE", _weekend(c.anchor, 0, c.tense or PAST), None


def _res_edge(m: re.Match, c: _Ctx) -> Resolved:
    unit = (m["u"] or m["ye"]).lower()
    mod = _MOD_CODE.get((m["edge"] or "end").lower())
    if c.anchor is None:
        return "DATE", None, mod
    phrase = m[0].lower()
    k = 1 if "next" in phrase else -1 if "last" in phrase else 0
    return "DATE", _unit_value(c.anchor, unit, k), mod


def _res_anaph(m: re.Match, c: _Ctx) -> Resolved:
    s = re.sub(r"\s+", " ", m["ana"].lower())
    base = c.ref or c.anchor
    if base is None:
        return "DATE", None, None
    for unit in ("week", "month", "year"):
        if unit in s:
            return "DATE", _unit_value(base, unit, -1 if "before" in s else 1), None
    if "same" in s:
        return "DATE", _d(base), None
    back = any(w in s for w in ("previous", "preceding", "before", "earlier"))
    return "DATE", _d(base + timedelta(days=-1 if back else 1)), None


def _shift(a: date, n: float, unit: str) -> str:
    unit = unit.lower().rstrip("s")
    if unit in ("second", "minute"):
        return _d(a)
    if unit == "hour":
        return _d(a - timedelta(days=round(-n / 24)) if n < 0 else a + timedelta(days=round(n / 24)))
    if unit in ("day", "night"):
        return _d(a + timedelta(days=n))
    if unit in ("week", "fortnight"):
        return _week(a + timedelta(weeks=n * (2 if unit == "fortnight" else 1)))
    if unit == "month":
        y, mo = _add_months(a.year, a.month, int(n))
        return f"{y:04d}-{mo:02d}"
    if unit == "quarter":
        y, mo = _add_months(a.year, a.month, int(3 * n))
        return f"{y:04d}-Q{(mo - 1) // 3 + 1}"
    if unit == "decade":
        return f"{a.year + int(10 * n):04d}"
    if unit == "centurie" or unit == "century":
        return f"{a.year + int(100 * n):04d}"
    return f"{a.year + int(n):04d}"


def _res_ago(m: re.Match, c: _Ctx) -> Resolved:
    n = _number(m["n"])
    d = m["dir"].lower()
    unit = m["u"].lower()
    if unit == "second" and not re.match(r"\d", m["n"]) and m["n"].lower() in ("a", "an"):
        return None
    if d in ("before", "after"):  # "two days after X": a stretch of time between two events
        return "DURATION", _duration(n, unit), None
    if n is None:
        return "DATE", "PAST_REF" if d in ("ago", "earlier", "back") else "FUTURE_REF", None
    if unit in ("second", "minute", "hour") and not (unit == "hour" and n >= 24 and d in ("ago", "back")):
        # the anchor has no clock time, so "an hour later" cannot be placed: keep its length
        return "DURATION", _duration(n, unit), None
    if d in ("earlier", "later"):
        base = c.ref or c.anchor
        sign = -1 if d == "earlier" else 1
    else:
        base = c.anchor
        sign = -1 if d in ("ago", "back") else 1
    if base is None:
        return "DATE", None, None
    return "DATE", _shift(base, sign * n, unit), None


def _res_vague(m: re.Match, c: _Ctx) -> Resolved:
    if m["past"]:
        return "DATE", "PAST_REF", None
    if m["fut"]:
        return "DATE", "FUTURE_REF", None
    if m[0].lower() == "now" and re.match(r"\s+that\b", c.text[m.end():m.end() + 6]):
        return None  # "now that ..." is a conjunction
    return "DATE", "PRESENT_REF", None


def _res_set(m: re.Match, c: _Ctx) -> Resolved:
    if m["adv"]:
        code = {"annually": "P1Y", "yearly": "P1Y", "weekly": "P1W", "daily": "P1D", "monthly": "P1M",
                "hourly": "PT1H"}[m["adv"].lower()]
        return "SET", code, None
    if m["freq"]:
        return "SET", _duration(1, m["u2"]), None
    if m["wd"]:
        return "SET", f"XXXX-WXX-{_WEEKDAYS[m['wd'].rstrip('.').lower()] + 1}", None
    if m["pod"]:
        return "SET", f"T{_PARTS_OF_DAY[m['pod'].lower()]}", None
    n = _number(m["n"]) if m["n"] else 1.0
    if m["other"]:
        n = (n or 1) * 2
    return "SET", _duration(n, m["u"]), None


def _res_time(m: re.Match, c: _Ctx) -> Resolved:
    base = c.ref or c.anchor
    if m["noon"]:
        hh, mm = (0, 0) if m["noon"].lower() == "midnight" else (12, 0)
        nextday = None
    elif m["H4"] is not None:
        hh, mm, nextday = int(m["H4"]), int(m["M4"]), None
    elif m["H24"] is not None:
        if not (m["tz2"] or re.search(r"\b(?:at|by|from|until|around|before|after)\s*$",
                                      c.text[max(0, m.start() - 8):m.start()], re.I)):
            # a bare "3:1" or "2:30" needs a clock cue; accept HH:MM with hours > 12 or a zero-led hour
            if not (len(m["H24"]) == 2):
                return None
        hh, mm = int(m["H24"]), int(m["M24"])
        nextday = m["nextday2"]
    else:
        hh = int(m["H"]) % 12
        if m["ap"].lower().startswith("p"):
            hh += 12
        if int(m["H"]) > 12:
            return None
        mm = int(m["M"] or 0)
        nextday = m["nextday"]
    if base is None:
        return "TIME", None, None
    if nextday:
        base = base + timedelta(days=1)
    return "TIME", f"{_d(base)}T{hh:02d}:{mm:02d}", None


_DUR_PRE_REQUIRED = {"a", "an"}


def _res_duration(m: re.Match, c: _Ctx) -> Resolved:
    raw_n = re.sub(r"\s+", " ", m["n"].lower())
    unit = m["u"].lower()
    pre = re.sub(r"\s+", " ", (m["pre"] or "").lower())
    after = c.text[m.end():m.end() + 12]
    if raw_n in ("a", "an", "one", "single") and unit == "second":
        return None  # "a second phase": the ordinal, not a time
    if raw_n in _DUR_PRE_REQUIRED and not pre:
        # "a year" alone is usually a rate ("$5bn a year") or part of an idiom; need a cue
        if not m["sep"].startswith("-"):
            return None
    if raw_n in ("some", "many") and not pre:
        return None
    if "-" in m["sep"] and re.match(r"-?old\b", after):
        return None
    if unit in ("day",) and m[0][m.start("u") - m.start():][:1] == "D":
        return None
    n = _number(raw_n)
    if n is None and raw_n not in _VAGUE_NUM:
        return None
    if n is not None and n > 1000 and (unit not in ("second", "minute", "hour", "day") or (
            re.fullmatch(r"(?:19|20)\d\d", raw_n) and not m["sep"].startswith("-"))):
        return None
    if re.match(r"\s+(?:ago|earlier|later|back)\b", after):
        return None  # handled as a date by the "ago" rule
    return "DURATION", _duration(n, unit), None


def _res_durbare(m: re.Match, c: _Ctx) -> Resolved:
    if m["hu"]:
        return "DURATION", _duration(1.5, m["hu"]), None
    if m["hfu"]:
        return "DURATION", _duration(0.5, m["hfu"]), None
    unit = (m["bu"] or m["bu2"] or m["bu3"]).lower()
    unit = "century" if unit == "centuries" else unit.rstrip("s")
    return "DURATION", _duration(None, unit), None


def _res_anniversary(m: re.Match, c: _Ctx) -> Resolved:
    return None  # resolved in `find` (`_anniversary`) together with the date that follows it


_RESOLVERS: dict[str, Callable[[re.Match, _Ctx], Resolved]] = {
    "anniversary": _res_anniversary, "iso": _res_iso, "nine11": _res_nine11, "slash": _res_slash,
    "mdy": _res_md, "dmy": _res_md, "my": _res_my, "month": _res_month, "season": _res_season,
    "year": _res_year, "year2": _res_year2, "decade": _res_decade, "decadew": _res_decadew,
    "century": _res_century, "weekday": _res_weekday, "named": _res_named, "relday": _res_relday,
    "edge": _res_edge, "quarter": _res_quarter, "weekend": _res_weekend, "relunit": _res_relunit, "anaphday": _res_anaph, "ago": _res_ago,
    "vague": _res_vague, "set": _res_set, "time": _res_time, "duration": _res_duration,
    "durbare": _res_durbare,
}
_PRIORITY = {k: i for i, (k, _) in enumerate(_RULES)}
# leading words a match may carry that are not part of the TIMEX3 extent
_LEAD = re.compile(r"(?i)(?:(?:in|on|at|by|from|until|around|about|before|after|for|within|during|over|"
                   r"some|nearly|almost|roughly)\s+)")


# ---------------------------------------------------------------- recognition

@dataclass(slots=True)
class _Cand:
    start: int
    end: int
    kind: str
    match: re.Match


# Every rule's match holds one of its trigger words (or digits): each rule runs only on small
# windows around its own triggers, ~15x faster than running 26 patterns over the whole text.
_UNITS = {u for u in _UNIT_CODE} | {u + "s" for u in _UNIT_CODE} | {"centuries"}
_DIGIT = "#"
_RULE_TRIGGERS: dict[str, set[str]] = {
    "anniversary": {"anniversary"},
    "iso": {_DIGIT}, "nine11": {_DIGIT}, "slash": {_DIGIT}, "year": {_DIGIT}, "year2": {_DIGIT},
    "decade": {_DIGIT},
    "mdy": set(_MONTHS), "dmy": set(_MONTHS), "my": set(_MONTHS), "month": set(_MONTHS),
    "season": set(_SEASONS), "decadew": set(_DECADE_WORDS), "century": {"century"},
    "weekday": set(_WEEKDAYS), "named": {"christmas", "halloween", "valentine", "boxing", "year"},
    "relday": {"yesterday", "today", "tonight", "tomorrow", "night", "morning", "afternoon", "evening"},
    "edge": {"end", "beginning", "start", "middle"},
    "quarter": {"quarter", "q"}, "weekend": {"weekend"}, "relunit": _UNITS, "anaphday": _UNITS, "duration": _UNITS, "ago": _UNITS,
    "durbare": {"decades", "years", "months", "weeks", "days", "hours", "centuries", "half"},
    "vague": {"recently", "lately", "formerly", "past", "recent", "ago", "future", "ahead", "coming",
              "notice", "now", "currently", "present", "presently", "nowadays", "days", "moment", "back",
              "come"},
    "set": {"every", "each", "once", "twice", "times", "annually", "yearly", "weekly", "daily", "monthly",
            "hourly"},
    "time": {_DIGIT, "noon", "midday", "midnight"},
}
# Rules with the same trigger words (the digit rules, the month rules, ...) share one window list.
_GROUPS: list[frozenset[str]] = list(dict.fromkeys(frozenset(_RULE_TRIGGERS[k]) for k, _ in _RULES))
_GROUP_OF = [_GROUPS.index(frozenset(_RULE_TRIGGERS[k])) for k, _ in _RULES]
_BY_WORD: dict[str, list[int]] = {}  # trigger word -> its groups
for _g, _ws in enumerate(_GROUPS):
    for _w in _ws:
        _BY_WORD.setdefault(_w, []).append(_g)
_WORD = re.compile(r"[A-Za-z]+|\d+")
_MARGIN = 48
# What a rule's match cannot do without, found by one cheap search: a window lacking it is skipped.
# Most digit windows hold counts, not clock times, ISO dates or decades. Each is implied by its rule.
_NEEDS: dict[str, re.Pattern] = {k: re.compile(p) for k, p in {
    "iso": r"\d-[01]\d-[0-3]\d",
    "nine11": r"9/11",
    "slash": r"\d/\d",
    "year": r"1[6-9]\d\d|20\d\d",
    "year2": r"['’]\d\d",
    "decade": r"\d0['’]?s",
    "ago": r"\s(?i:ago|earlier|later|before|back|from\s+now|hence)",
    "time": r"\d(?:[:.]\d\d)?\s*(?i:[ap]\.?m)(?!\w)|\d:\d|(?i:noon|midday|midnight)"
            r"|\d\s+(?:GMT|UTC|(?i:[lh]))",
    # month words are triggers in any case ("may"), but dates need the month and a day or year
    "mdy": rf"(?:{MONTH})\s*\d",
    "dmy": rf"\d(?:st|nd|rd|th)?(?:\s+{_I('of')})?\s+(?:{MONTH})",
    "my": rf"(?:{MONTH}),?\s+(?:{_I('of')}\s+)?(?:{YEAR})",
}.items()}


def _windows(text: str) -> list[list[tuple[int, int]]]:
    """Per rule, the merged text windows around its trigger words (one list shared by a group)."""
    n = len(text)
    wins: list[list[tuple[int, int]]] = [[] for _ in _GROUPS]
    for m in _WORD.finditer(text):
        w = m.group()
        groups = _BY_WORD.get(_DIGIT if w[0].isdigit() else w.lower())
        if not groups:
            continue
        s, e = max(0, m.start() - _MARGIN), min(n, m.end() + _MARGIN)
        for i in groups:
            lst = wins[i]
            if lst and s <= lst[-1][1]:
                lst[-1] = (lst[-1][0], e)
            else:
                lst.append((s, e))
    for lst in wins:  # start and end on whitespace so no rule sees a cut word
        for j, (s, e) in enumerate(lst):
            while s > 0 and not text[s - 1].isspace():
                s -= 1
            while e < n and not text[e].isspace():
                e += 1
            lst[j] = (s, e)
    return [wins[g] for g in _GROUP_OF]


def _scan(text: str) -> list[_Cand]:
    """All rule matches near their trigger words, then the longest non-overlapping ones in order."""
    cands: list[_Cand] = []
    seen: set[tuple[str, int, int]] = set()
    for (kind, rx), wins in zip(_COMPILED, _windows(text), strict=True):
        need = _NEEDS.get(kind)
        for s, e in wins:
            if need is not None and not need.search(text, s, e):
                continue
            for m in rx.finditer(text, s, e):
                key = (kind, m.start(), m.end())
                if m.end() > m.start() and key not in seen:
                    seen.add(key)
                    cands.append(_Cand(m.start(), m.end(), kind, m))
    cands.sort(key=lambda c: (-(c.end - c.start), _PRIORITY[c.kind], c.start))
    taken: list[_Cand] = []
    for c in cands:
        if all(c.end <= t.start or c.start >= t.end for t in taken):
            taken.append(c)
    taken.sort(key=lambda c: c.start)
    return taken


def _text_tense(text: str, start: int, end: int) -> str | None:
    """Tense from the surrounding words of the sentence, for use without a parse."""
    left = text.rfind("\n", 0, start)
    for m in _SENT_BOUND.finditer(text, max(0, start - 300), start):
        left = max(left, m.end() - 1)
    right_m = _SENT_BOUND.search(text, end)
    sent = text[left + 1:right_m.start() if right_m else len(text)]
    before = text[max(left + 1, start - 120):start]
    if _FUT_WORDS.search(before) or re.search(r"\b(?:will|would|due\s+to|to\s+be)\b", sent, re.I):
        return FUTURE
    if _PAST_WORDS.search(sent):
        return PAST
    return None


_FORCE_PAST = re.compile(r"(?i)\b(?:since|last|past|previous|ago|earlier)\s*$")
_FORCE_FUTURE = re.compile(r"(?i)\b(?:next|coming|upcoming)\s*$")


def find(text: str, anchor: date | datetime | str | None, *, doc: Any = None,
         tense_at: Callable[[int, int], str | None] | None = None) -> list[Timex]:
    """Every time expression in `text`, normalised against `anchor` (the publication date).

    Tense for weekdays and bare months comes from `tense_at(start, end)` when given, else from
    the parsed `doc` (the governing verb), else from the words around the expression.
    """
    a = anchor_date(anchor)
    if tense_at is None:
        if doc is not None:
            def tense_at(s: int, e: int) -> str | None:
                span = doc.char_span(s, e, alignment_mode="expand")
                return clause_tense(span.root) if span is not None and len(span) else None
        else:
            def tense_at(s: int, e: int) -> str | None:
                return _text_tense(text, s, e)
    out: list[Timex] = []
    ref: date | None = None
    anniv: _Cand | None = None
    for cand in _scan(text):
        m = cand.match
        if cand.kind == "anniversary":
            anniv = cand
            continue
        tense = None
        if cand.kind in ("mdy", "dmy", "month", "weekday", "season", "named", "time", "weekend") or (
                cand.kind == "relunit" and "weekend" in m[0].lower()):
            before = text[max(0, cand.start - 12):cand.start]
            if _FORCE_PAST.search(before):
                tense = PAST
            elif _FORCE_FUTURE.search(before):
                tense = FUTURE
            else:
                tense = tense_at(cand.start, cand.end)
        ctx = _Ctx(a, tense, ref, text, cand.start, cand.end)
        res = _RESOLVERS[cand.kind](m, ctx)
        if res is None:
            anniv = None
            continue
        typ, value, mod = res
        start, end = _trim(text, cand.start, cand.end, cand.kind)
        if out and value and cand.kind in ("mdy", "dmy") and not m["y"]:
            value = _range_end(text, out[-1], start, value)
        if anniv is not None and anniv.end == cand.start and typ == "DATE":
            merged = _anniversary(text, anniv, start, end, value, a, tense or tense_at(start, end))
            if merged is not None:
                out.append(merged)
                anniv = None
                continue
        anniv = None
        out.append(Timex(start, end, text[start:end], typ, value, mod, cand.kind))
        if value and typ in ("DATE", "TIME") and re.match(r"\d{4}-\d\d-\d\d", value):
            ref = date.fromisoformat(value[:10])
    return out


_RANGE_SEP = re.compile(r"\s*(?:to|through|until|till|and|-|–|—)\s*$", re.I)


def _range_end(text: str, prev: Timex, start: int, value: str) -> str:
    """'from November 20 to December 11': the end of a range does not come before its start."""
    if prev.type != "DATE" or not prev.value or not re.fullmatch(r"\d{4}-\d\d-\d\d", prev.value):
        return value
    if not _RANGE_SEP.fullmatch(text[prev.end:start]) or not re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        return value
    if value < prev.value:
        return f"{int(value[:4]) + 1:04d}{value[4:]}"
    if value[:4] > prev.value[:4] and f"{int(prev.value[:4]):04d}{value[4:]}" >= prev.value:
        return f"{int(prev.value[:4]):04d}{value[4:]}"
    return value


def _trim(text: str, start: int, end: int, kind: str) -> tuple[int, int]:
    """Drop leading prepositions and trailing punctuation: TIMEX3 extents exclude 'on' in 'on Monday'."""
    if kind in ("vague", "set", "anaphday", "relunit", "durbare"):
        seg = text[start:end]
        m = re.match(r"(?i)(?:in|on|at|for|during)\s+(?=the\s|recent\s|the$)", seg)
        if m and kind == "vague" and not seg.lower().startswith("in the past"):
            start += m.end()
        return start, end
    while True:
        m = _LEAD.match(text, start, end)
        if not m or m.end() >= end:
            break
        rest = text[m.end():end]
        if kind in ("duration", "time") and m[0].strip().lower() in (
                "the", "some", "nearly", "almost", "roughly", "about", "around"):
            break  # quantifiers are part of a TIMEX3 extent ("about three days"), prepositions are not
        if kind in ("decade", "decadew", "century", "season") and m[0].strip().lower() == "the":
            break
        if not rest.strip():
            break
        start = m.end()
    while end > start and text[end - 1] in ",;:":
        end -= 1
    return start, end


def _anniversary(text: str, anniv: _Cand, start: int, end: int, value: str | None, a: date | None,
                 tense: str | None) -> Timex | None:
    """'the 20th anniversary of the Sept. 11 attacks': the day-month of the date, in its Nth year."""
    nth = _ordinal(anniv.match["nth"]) or 0
    tail = _ANNIV_TAIL.match(text, end)
    stop = tail.end() if tail else end
    while stop > end and text[stop - 1] in ",;:.":
        stop -= 1
    span_text = text[anniv.start:stop]
    mm = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", value or "")
    if mm and not _has_year(text[start:end]) and a is not None:
        mon, day = int(mm[2]), int(mm[3])
        # the clause's tense is about the event planned for the anniversary, not the day itself
        y = _pick_year(a, mon, day, None)
        return Timex(anniv.start, stop, span_text, "DATE", f"{y:04d}-{mon:02d}-{day:02d}", None, "anniversary")
    if mm and _has_year(text[start:end]):
        y = int(mm[1]) + nth
        return Timex(anniv.start, stop, span_text, "DATE", f"{y:04d}-{mm[2]}-{mm[3]}", None, "anniversary")
    if re.fullmatch(r"\d{4}", value or "") and nth:
        return Timex(anniv.start, stop, span_text, "DATE", f"{int(value) + nth:04d}", None, "anniversary")
    if value is None:
        return Timex(anniv.start, stop, span_text, "DATE", None, None, "anniversary")
    return None


def _has_year(s: str) -> bool:
    return bool(re.search(r"\b(?:1[6-9]|20)\d\d\b|9/11", s))


def normalize(expr: str, anchor: date | datetime | str | None, *, tense: str | None = None) -> tuple[str, str | None] | None:
    """(TIMEX3 type, value) of one expression, e.g. ("DATE", "2021-04-14") for "on Wednesday".

    `tense` ("past", "future", "present") decides weekdays and bare months; None means
    guess from the words of `expr` itself. Returns None when `expr` holds no time expression.
    """
    found = find(expr, anchor, tense_at=(lambda s, e: tense) if tense is not None else None)
    if not found:
        return None
    best = max(found, key=lambda t: t.end - t.start)
    return best.type, best.value


# ---------------------------------------------------------------- tense from a parse

_FUTURE_AUX = {"will", "'ll", "’ll", "shall", "wo", "would", "may", "might", "could", "should", "must", "ca"}
_FUTURE_HEADS = {"due", "plan", "expect", "schedule", "set", "intend", "aim", "hope", "want", "seek",
                 "prepare", "agree", "decide", "promise", "vow", "threaten", "pledge", "propose", "go",
                 "likely", "unlikely", "ready", "wish", "vote", "call", "urge", "ask", "invite", "able",
                 "poised", "slate", "need", "have", "try", "offer", "announce", "be"}
_SCHEDULE_VERBS = {"schedule", "reschedule", "postpone", "delay", "slate", "plan", "set", "adjourn",
                   "defer", "push", "move"}


def clause_tense(token: Any) -> str | None:
    """Past, future or present of the clause governing `token` (a spaCy Token), None if verbless.

    Climbs from the token to its governing verb, then reads auxiliaries: will/would/modals and
    infinitives under due/plan/expect... are future; VBD, perfects and past passives are past;
    a date placed after 'schedule/postpone/call for ...' is future whatever the verb's tense.
    """
    t, start_i = token, token.i
    for _ in range(12):
        if t.pos_ in ("VERB", "AUX") and t.dep_ not in ("amod", "compound"):
            break
        if t.pos_ == "ADJ" and t.lemma_ in ("due", "likely", "set"):
            return FUTURE
        if t.head.i == t.i:
            return None
        t = t.head
    else:
        return None
    return _verb_tense(t, start_i, 0)


def _verb_tense(v: Any, date_i: int, depth: int) -> str | None:
    kids = list(v.children)
    aux = [c for c in kids if c.dep_ in ("aux", "auxpass")]
    aux_l = {c.lower_ for c in aux}
    if aux_l & _FUTURE_AUX:
        return FUTURE
    if v.lemma_ in _SCHEDULE_VERBS and date_i > v.i:
        return FUTURE
    if v.lemma_ in ("call", "urge") and date_i > v.i and any(
            c.dep_ == "prep" and c.lower_ == "for" and c.i < date_i for c in kids):
        return FUTURE
    is_inf = any(c.tag_ == "TO" or (c.dep_ == "aux" and c.lower_ == "to") for c in aux)
    if is_inf and depth < 4:
        h = v.head
        if h.lemma_ in _FUTURE_HEADS or h.lower_ in _FUTURE_HEADS:
            return FUTURE
        if h is not v and h.i != v.i:
            return _verb_tense(h, date_i, depth + 1)
    if any(c.lower_ in ("going",) for c in aux) or (v.lower_ == "going" and any(
            c.lower_ == "to" for c in v.subtree)):
        return FUTURE
    if v.tag_ == "VBD":
        return PAST
    if any(c.tag_ == "VBD" for c in aux):  # was/were/had/did + participle
        return PAST
    if v.tag_ == "VBN" and any(c.lemma_ == "have" for c in aux):
        return PAST  # present perfect reports the past
    if v.tag_ in ("VBN", "VBG") and not aux and depth < 4 and v.head.i != v.i:
        return _verb_tense(v.head, date_i, depth + 1)  # a participle clause shares its head's tense
    if v.tag_ in ("VBZ", "VBP", "VBG") or any(c.tag_ in ("VBZ", "VBP") for c in aux):
        return PRESENT
    if v.tag_ == "VB" and depth < 4 and v.head.i != v.i:
        return _verb_tense(v.head, date_i, depth + 1)
    return None
