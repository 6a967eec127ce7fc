"""Quantities: values, what they count, approximation, money, written numbers and ranges."""

from __future__ import annotations


def _q(rec):
    return [(q.value, q.of, q.approximate, q.currency) for q in rec.quantities]


def test_counts_with_approximation_and_entity(analyse_text):
    rec = analyse_text("There are roughly 7,000 NATO forces in Afghanistan and 2,500 U.S. troops.")
    got = {q.value: q for q in rec.quantities}
    assert got[7000].approximate and got[7000].of == "NATO forces" and got[7000].unit == "troops"
    assert got[7000].entity is not None
    nato = next(e for e in rec.entities if e.id == got[7000].entity)
    assert nato.name == "NATO"
    assert not got[2500].approximate and got[2500].of == "U.S. troops"


def test_money_and_scales(analyse_text):
    rec = analyse_text("China said it would provide 50 million yuan ($6.9 million) in emergency aid, "
                       "and Britain pledged 1.5 million pounds.")
    got = {q.value: q for q in rec.quantities}
    assert got[50_000_000].currency == "CNY"
    assert got[6_900_000].currency == "USD"
    assert got[1_500_000].currency == "GBP"


def test_written_numbers_ranges_and_of_phrases(analyse_text):
    rec = analyse_text("Between 3,000 and 4,000 Rwandan troops were fighting. Four of its servicemen and "
                       "three civilians were killed, and at least 18 protesters were in hospital.")
    got = _q(rec)
    vals = [v for v, *_ in got]
    assert 3000 in vals and 4000 in vals and 4 in vals and 3 in vals
    low = next(q for q in rec.quantities if q.value == 3000)
    assert low.range_end == 4000 and low.of == "Rwandan troops"
    assert next(q for q in rec.quantities if q.value == 4).of == "servicemen"
    at_least = next(q for q in rec.quantities if q.value == 18)
    assert at_least.approximate and at_least.text == "at least 18 protesters"  # the span keeps its "at"


def test_dates_and_ages_are_not_quantities(analyse_text):
    rec = analyse_text("In 2019, the 45-year-old minister resigned on March 3.")
    assert all(q.value not in {2019, 3} for q in rec.quantities)
