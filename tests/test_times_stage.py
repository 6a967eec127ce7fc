"""The times stage on real parses: tense from the governing verb, junk filtering, clause lookup."""

from __future__ import annotations

import pytest

from wirewatch.models import Article
from wirewatch.nlp import times
from wirewatch.nlp.context import Analysis


@pytest.fixture()
def run(nlp):
    def go(text: str, published: str | None = "2021-04-15") -> Analysis:
        a = Analysis(doc=nlp(text), article=Article(text=text, published=published))
        times.extract(a)
        return a
    return go


def values(a: Analysis) -> list[tuple[str, str | None]]:
    return [(t.text, t.value) for t in a.times]


def test_weekday_follows_the_tense_of_its_clause(run):
    a = run("NATO ministers met on Wednesday. They will meet again on Friday. "
            "The talks collapsed on Friday, officials said.")
    assert values(a) == [("Wednesday", "2021-04-14"), ("Friday", "2021-04-16"), ("Friday", "2021-04-09")]


@pytest.mark.parametrize(("text", "want"), [
    ("Officials from both sides are due to meet in Isfara on Friday.", "2021-04-16"),
    ("The deal is due to take effect on Monday.", "2021-04-19"),
    ("The group has called for demonstrations in the capital on Saturday.", "2021-04-17"),
    ("The court has scheduled a hearing for Tuesday.", "2021-04-20"),
    ("Protesters had gathered on Saturday.", "2021-04-10"),
    ("In a statement on Thursday, the ministry rejected the sanctions.", "2021-04-15"),
])
def test_future_and_past_constructions(run, text, want):
    (t,) = run(text).times
    assert t.value == want


def test_months_resolve_by_tense(run):
    a = run("The EU suspended visa-free travel in January. A vote is expected in July.", "2025-06-24")
    assert values(a) == [("January", "2025-01"), ("July", "2025-07")]


def test_seed_article_sentences(run):
    a = run("NATO member countries on Wednesday met in Brussels, as peace talks are expected to resume "
            "in Istanbul later this month. The pullout of American troops by the 20th anniversary of the "
            "Sept. 11 terrorist attacks. We will work together in the weeks and months ahead. "
            "“And now it is time to bring our forces home,” he said. Prices are now rising.")
    assert values(a) == [
        ("Wednesday", "2021-04-14"), ("later this month", "2021-04"),
        ("the 20th anniversary of the Sept. 11 terrorist attacks", "2021-09-11"),
        ("the weeks and months ahead", "FUTURE_REF"), ("now", "PRESENT_REF"),
    ]
    assert [t.id for t in a.times] == ["t1", "t2", "t3", "t4", "t5"]
    for t in a.times:
        assert a.article.text[t.start:t.end] == t.text


def test_unknown_publication_date_gives_no_relative_values(run):
    a = run("Talks collapsed on Wednesday. The accord was signed on 3 March 2020 after three days of talks.",
            published=None)
    assert values(a) == [("Wednesday", None), ("3 March 2020", "2020-03-03"), ("three days", "P3D")]


def test_no_junk(run):
    a = run("In a second phase, 3,000 troops aged 20 to 25 and a 10-year-old boy moved 15 km. "
            "About 2000 people attended.")
    assert a.times == []


def test_tense_of(nlp):
    doc = nlp("The rebels attacked the town and will return.")
    assert times.tense_of(doc[2]) == "past"
    assert times.tense_of(doc[7]) == "future"


def test_time_for_takes_the_trigger_clause(run):
    a = run("The rebels attacked the town on Saturday, the army said on Monday.")
    doc = a.doc
    attacked = next(t for t in doc if t.text == "attacked")
    said = next(t for t in doc if t.text == "said")
    t, how = times.time_for(a, attacked)
    assert (t.text, t.value, how) == ("Saturday", "2021-04-10", "clause")
    t, how = times.time_for(a, said)
    assert (t.text, how) == ("Monday", "clause")


def test_time_for_skips_bounds(run):
    a = run("Activists have been jailed since the October 26 vote.")
    jailed = next(t for t in a.doc if t.text == "jailed")
    assert times.time_for(a, jailed) == (None, None)


def test_time_for_noun_trigger_and_none(run):
    a = run("Sunday's vote was rigged, the opposition said. The council stopped counting.")
    vote = next(t for t in a.doc if t.text == "vote")
    stopped = next(t for t in a.doc if t.text == "stopped")
    t, how = times.time_for(a, vote)
    assert (t.value, how) == ("2021-04-11", "clause")
    assert times.time_for(a, stopped) == (None, None)


def test_named_days(run):
    a = run("The fighting began on Christmas 2020 and ended in the autumn of that year.")
    assert values(a)[0] == ("Christmas 2020", "2020-12-25")
