"""The TIMEX3 normaliser on its own (no spaCy): hand-written expressions for every hard case."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

from wirewatch.timex import anchor_date, find, normalize

ANCHOR = "2021-04-15"  # a Thursday, ISO week 15


@pytest.mark.parametrize(("expr", "tense", "want"), [
    ("on Wednesday", "past", "2021-04-14"),
    ("on Wednesday", "future", "2021-04-21"),
    ("on Thursday", "past", "2021-04-15"),  # same day = the anchor, whatever the tense
    ("on Thursday", "future", "2021-04-15"),
    ("on Monday", None, "2021-04-12"),  # news default: the past
    ("last Friday", "future", "2021-04-09"),
    ("next Monday", "past", "2021-04-19"),
    ("in July", "past", "2020-07"),
    ("in July", "future", "2021-07"),
    ("in March", "future", "2022-03"),
    ("in March", "past", "2021-03"),
])
def test_tense_decides_weekdays_and_months(expr, tense, want):
    assert normalize(expr, ANCHOR, tense=tense) == ("DATE", want)


@pytest.mark.parametrize(("expr", "want"), [
    ("March 3, 2020", "2020-03-03"),
    ("3 March 2024", "2024-03-03"),
    ("Tuesday, March 3, 2020", "2020-03-03"),
    ("2024-03-03", "2024-03-03"),
    ("in 2019", "2019"),
    ("March 2023", "2023-03"),
    ("February, 2006", "2006-02"),
    ("the spring of 2022", "2022-SP"),
    ("the 1960s", "196"),
    ("the 20th century", "19"),
    ("9/11", "2001-09-11"),
    ("Sept. 11", "2021-09-11"),  # no year: the nearest to the anchor
    ("yesterday", "2021-04-14"),
    ("today", "2021-04-15"),
    ("tomorrow", "2021-04-16"),
    ("last week", "2021-W14"),
    ("this week", "2021-W15"),
    ("next week", "2021-W16"),
    ("next month", "2021-05"),
    ("later this month", "2021-04"),
    ("earlier this year", "2021"),
    ("last year", "2020"),
    ("two days ago", "2021-04-13"),
    ("three weeks ago", "2021-W12"),
    ("Seventeen years ago", "2004"),
    ("a decade ago", "2011"),
    ("since February", "2021-02"),
    ("since last year", "2020"),
    ("Wednesday's meetings", "2021-04-14"),
    ("Wednesday’s meetings", "2021-04-14"),
])
def test_dates(expr, want):
    assert normalize(expr, ANCHOR) == ("DATE", want)


@pytest.mark.parametrize(("tense", "want"), [("past", "2015-W38-WE"), ("future", "2015-W39-WE")])
def test_this_weekend_by_tense(tense, want):
    assert normalize("this weekend", "2015-09-22", tense=tense) == ("DATE", want)
    assert normalize("last weekend", "2015-09-22") == ("DATE", "2015-W38-WE")


def test_month_day_without_year_takes_the_nearest():
    assert normalize("December 2", "2021-11-24") == ("DATE", "2021-12-02")
    assert normalize("the disputed October 26 vote", "2025-03-10") == ("DATE", "2024-10-26")


def test_range_end_follows_its_start():
    got = find("The vote runs from November 20 to January 11.", "2015-05-07", tense_at=lambda s, e: "future")
    assert [t.value for t in got] == ["2015-11-20", "2016-01-11"]


@pytest.mark.parametrize(("expr", "want"), [
    ("three days", "P3D"),
    ("within 14 days", "P14D"),
    ("two years", "P2Y"),
    ("more than two years", "P2Y"),
    ("48 hours", "PT48H"),
    ("fourteen days", "P14D"),
    ("a dozen years", "P12Y"),
    ("twenty-five years", "P25Y"),
    ("a two-day visit", "P2D"),
    ("the next two weeks", "P2W"),
    ("several days", "PXD"),
    ("decades", "PXDE"),
    ("for years", "PXY"),
    ("a year and a half", "P18M"),
])
def test_durations(expr, want):
    assert normalize(expr, ANCHOR) == ("DURATION", want)


@pytest.mark.parametrize(("expr", "want"), [
    ("every week", "P1W"), ("each year", "P1Y"), ("twice a year", "P1Y"), ("every two years", "P2Y"),
    ("every Monday", "XXXX-WXX-1"),
])
def test_sets(expr, want):
    assert normalize(expr, ANCHOR) == ("SET", want)


@pytest.mark.parametrize(("expr", "want"), [
    ("recently", "PAST_REF"), ("in the past", "PAST_REF"), ("a few years ago", "PAST_REF"),
    ("the near future", "FUTURE_REF"), ("the weeks and months ahead", "FUTURE_REF"),
    ("in the coming days", "FUTURE_REF"), ("until further notice", "FUTURE_REF"),
    ("now", "PRESENT_REF"), ("currently", "PRESENT_REF"),
])
def test_vague_references(expr, want):
    assert normalize(expr, ANCHOR) == ("DATE", want)


def test_times_take_the_date_in_context_else_the_anchor():
    assert normalize("at 10 a.m. local time", ANCHOR) == ("TIME", "2021-04-15T10:00")
    got = find("Troops crossed the border on Wednesday. A ceasefire began at 8 p.m. local time.", ANCHOR)
    assert [(t.text, t.value) for t in got] == [("Wednesday", "2021-04-14"), ("8 p.m. local time", "2021-04-14T20:00")]
    assert normalize("22:30", ANCHOR) == ("TIME", "2021-04-15T22:30")


def test_anaphoric_days_follow_the_last_date():
    got = find("The summit opened on March 3, 2020. The following day, leaders signed the deal.", ANCHOR)
    assert [t.value for t in got] == ["2020-03-03", "2020-03-04"]


def test_anniversary_with_the_date_in_the_text():
    text = "troops will pull out by the 20th anniversary of the Sept. 11 terrorist attacks."
    (t,) = find(text, ANCHOR)
    assert t.text == "the 20th anniversary of the Sept. 11 terrorist attacks"
    assert t.value == "2021-09-11"
    (t,) = find("the 30th anniversary of April 12, 1981", ANCHOR)
    assert t.value == "2011-04-12"


def test_unknown_anchor_never_guesses():
    for expr in ("on Wednesday", "later this month", "last week", "yesterday", "in July", "two days ago",
                 "at 10 a.m."):
        got = normalize(expr, None)
        assert got is not None and got[1] is None, expr
    assert normalize("3 March 2024", None) == ("DATE", "2024-03-03")
    assert normalize("in 2019", None) == ("DATE", "2019")
    assert normalize("three days", None) == ("DURATION", "P3D")


@pytest.mark.parametrize("text", [
    "In a second phase, the rebels would leave.",
    "a 10-year-old boy was hurt",
    "some 2000 troops and 1,870 polling stations",
    "Officials may meet again.",
    "The March was peaceful.",
    "He scored 3 goals.",
])
def test_junk_is_not_a_time(text):
    assert find(text, ANCHOR) == []


def test_anchor_forms():
    assert anchor_date("2021-04-15T10:00:00Z") == date(2021, 4, 15)
    assert anchor_date(None) is None
    assert anchor_date("not a date") is None


def test_spans_point_into_the_text():
    text = "NATO members on Wednesday met in Brussels, and talks resume later this month."
    for t in find(text, ANCHOR):
        assert text[t.start:t.end] == t.text


def test_timeml_reader_on_the_fixture():
    path = Path(__file__).parent / "fixtures" / "timeml" / "wirewatch_sample.tml"
    spec = importlib.util.spec_from_file_location("bench_time", Path(__file__).parent.parent / "bench" / "time.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_time"] = bench
    spec.loader.exec_module(bench)
    doc = bench.read_tml(path)
    assert doc.dct == date(2021, 4, 15)
    assert [(g.text, g.type, g.value) for g in doc.golds] == [
        ("Wednesday", "DATE", "2021-04-14"),
        ("later this month", "DATE", "2021-04"),
        ("two years", "DURATION", "P2Y"),
        ("today", "DATE", "2021-04-15"),
        ("every week", "SET", "P1W"),
        ("3 May 2021", "DATE", "2021-05-03"),
        ("10 a.m. local time", "TIME", "2021-05-03T10:00"),
    ]
    for g in doc.golds:
        assert doc.text[g.start:g.end] == g.text
    assert "& cost" in doc.text and "<EVENT" not in doc.text
    ours = [bench.Sys(t.start, t.end, t.text, t.type, t.value) for t in find(doc.text, doc.dct)]
    score = bench.score_doc(doc, ours)
    assert score.value_ok == len(doc.golds)
    # TimeBank style: the DCT inside <TEXT> (compact value), padded extents
    tb = bench.read_tml(path.parent / "timebank_style.tml")
    assert tb.dct == date(1989, 10, 26)
    assert [(g.text, g.value) for g in tb.golds] == [("the third quarter", "1989-Q3"), ("Wednesday", "1989-10-25")]
    ours = [bench.Sys(t.start, t.end, t.text, t.type, t.value) for t in find(tb.text, tb.dct)]
    assert bench.score_doc(tb, ours).value_ok == 2
