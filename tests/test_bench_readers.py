"""The benchmark scripts' readers and metrics, on tiny hand-made inputs (no spaCy model needed).

A benchmark whose reader silently drops or shifts gold items reports a wrong figure forever,
so the readers and scorers get their own tests.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def ner() -> ModuleType:
    return _load("ner")


@pytest.fixture(scope="module")
def events() -> ModuleType:
    return _load("events")


@pytest.fixture(scope="module")
def speed() -> ModuleType:
    return _load("extract_speed")


# --- bench/ner.py --------------------------------------------------------------

IOB = """# newdoc id = n01
# sent_id = n01-0001
# text = “Yes,” Kori Schulman said in the United States.
1\t“\tO\t-\t-
2\tYes\tO\t-\t-
3\t,\tO\t-\t-
4\t”\tO\t-\t-
5\tKori\tB-PER\t-\tx
6\tSchulman\tI-PER\t-\tx
7\tsaid\tO\t-\t-
8\tin\tO\t-\t-
9\tthe\tO\t-\t-
10\tUnited\tB-LOC\t-\tx
11\tStates\tI-LOC\t-\tx
12\t.\tO\t-\t-

# sent_id = w01-0001
# text = NATO met.
1\tNATO\tB-ORG\t-\t-
2\tmet\tO\t-\t-
3\t.\tO\t-\t-
"""


def test_iob_spans_closes_and_opens_spans(ner):
    assert ner.iob_spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG"]) == {
        (0, 2, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (5, 6, "ORG")}  # a stray I- opens a span
    assert ner.iob_spans(["O", "O"]) == set()
    assert ner.iob_spans(["B-ORG", "I-ORG"]) == {(0, 2, "ORG")}  # a span running to the end


def test_read_iob2_keeps_text_offsets_and_gold(ner, tmp_path):
    p = tmp_path / "x.iob2"
    p.write_text(IOB, encoding="utf-8")
    s1, s2 = ner.read_iob2(p)
    assert s1.id == "n01-0001" and s1.text.startswith("“Yes,”")
    assert s1.gold == {(4, 6, "PER"), (9, 11, "LOC")}
    a, b = s1.offsets[4][0], s1.offsets[5][1]
    assert s1.text[a:b] == "Kori Schulman"
    assert s2.gold == {(0, 1, "ORG")} and s2.text == "NATO met."


def test_char_spans_map_onto_tokens_and_types(ner, tmp_path):
    p = tmp_path / "x.iob2"
    p.write_text(IOB, encoding="utf-8")
    s = ner.read_iob2(p)[0]
    start = s.text.index("Kori")
    us = s.text.index("United")
    mentions = [(start, start + len("Kori Schulman"), "PERSON"), (us, us + len("United States"), "GPE"),
                (0, 1, "NORP")]
    assert ner.to_spans(s.offsets, mentions, ner.WIREWATCH_MAP) == {(4, 6, "PER"), (9, 11, "LOC")}
    # a mention starting inside a token covers the whole token
    assert ner.char_to_tokens(s.offsets, start + 1, start + 3) == (4, 5)
    assert ner.char_to_tokens(s.offsets, len(s.text) + 5, len(s.text) + 6) is None


def test_score_and_error_classes(ner):
    gold = {(0, 2, "PER"), (3, 4, "LOC"), (6, 7, "ORG")}
    pred = {(0, 2, "PER"), (3, 4, "ORG"), (8, 9, "LOC")}
    sc = ner.Score()
    sc.add(gold, pred)
    assert sc.prf("PER") == (1.0, 1.0, 1.0)
    p, r, f = sc.prf()
    assert p == pytest.approx(1 / 3) and r == pytest.approx(1 / 3) and f == pytest.approx(1 / 3)
    errs = ner.error_class(gold, pred)
    assert errs["type ORG<-LOC"] == 1 and errs["spurious LOC"] == 1 and errs["missed ORG"] == 1
    assert ner.Score().prf() == (0.0, 0.0, 0.0)


# --- bench/events.py -----------------------------------------------------------

TABLE = """# CAMEO to PLOVER conversion table
08: CONCEDE
080: CONCEDE,   ,  # Yield
08: RETREAT
084: RETREAT,   ,  # Return, release
10: REQUEST
100: REQUEST,  ,  # REQUEST
11: ACCUSE
110: ACCUSE, disapprove,    # Disapprove
17: COERCE
1712: ASSAULT, seize, human_security  # Destroy property
173: COERCE, arrest, legal            # Arrest
19: ASSAULT
190: ASSAULT, , military # Use conventional military force
"""


def test_cameo_table_maps_old_labels(events, tmp_path):
    p = tmp_path / "t.txt"
    p.write_text(TABLE, encoding="utf-8")
    t = events.read_cameo_table(p)
    assert t.roots["08"] == ["CONCEDE", "RETREAT"] and t.codes["1712"] == "ASSAULT"
    assert t.new_type("DEMAND") == "REQUEST"
    assert t.new_type("DISAPPROVE") == "ACCUSE"
    assert t.new_type("FIGHT") == "ASSAULT"
    assert t.new_type("CONCEDE") == "CONCEDE" and t.new_type("RETREAT") == "RETREAT"
    assert t.new_type("COERCE", "destroy") == "ASSAULT"  # CAMEO 1712 moved to ASSAULT
    assert t.new_type("COERCE", "arrest") == "COERCE"
    assert t.new_type("NOVEL") == "NOVEL"


def test_read_gsr_skips_header_and_normalises_codes(events, tmp_path):
    recs = [
        {"id": "DOC", "event": "DOCUMENT", "eventText": "x"},
        {"id": "A1", "event": "DEMAND", "text": "{Japan demanded that Italy act.}",
         "source": [{"actorText": "Japan", "code": "JAP"}], "target": [{"actorText": "Italy", "code": "ITL"}]},
        {"id": "A2", "event": "AGREE", "text": "Chad agreed.", "source": [{"actorText": "Chad", "code": "TCD"}],
         "target": ""},
        {"id": "A3", "event": "AGREE", "text": "Mali agreed.", "source": None, "target": "diplomatic"},
    ]
    p = tmp_path / "gsr.json"
    p.write_text(json.dumps(recs), encoding="utf-8")
    tp = tmp_path / "t.txt"
    tp.write_text(TABLE, encoding="utf-8")
    gold = events.read_gsr(p, events.read_cameo_table(tp))
    assert [g.id for g in gold] == ["A1", "A2", "A3"]
    assert gold[0].text == "Japan demanded that Italy act." and gold[0].type == "REQUEST"
    assert gold[0].sources == {"JPN"} and gold[0].targets == {"ITA"}
    assert gold[1].targets == set() and gold[2].sources == set() and gold[2].targets == set()


def test_event_score_counts_no_event_as_miss(events):
    C, P = events.Coded, events.Pred
    gold = [C("1", "s1", "AGREE", "AGREE", {"USA"}, {"JOR"}),
            C("2", "s2", "ASSAULT", "ASSAULT", {"ISR"}, {"PSE"}),
            C("3", "s2", "COERCE", "COERCE", {"ISR"}, set()),
            C("4", "s3", "PROTEST", "PROTEST", {"EGY"}, set())]
    preds = {"s1": [P("AGREE", {"USA"}, {"JOR"})],
             "s2": [P("COERCE", {"ISR"}, set()), P("SANCTION", {"ISR"}, {"PSE"})],
             "s3": []}
    rep = events.score(gold, preds)
    assert rep.n_sent == 3 and rep.main_right == 2 and rep.with_event == 2
    assert sum(rep.tp.values()) == 2 and sum(rep.fp.values()) == 1 and sum(rep.fn.values()) == 2
    p, r, _ = rep.prf()
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 4)
    # actors: s1 right, ASSAULT judged on the main event (ISR: right), COERCE right, PROTEST has no event
    assert rep.roles["actor"] == [4, 3, 2, 2]
    # targets: s1 right; ASSAULT falls back to the main event, which has no target
    assert rep.roles["target"] == [2, 1, 1, 1]
    assert rep.confusion[("PROTEST", events.NONE)] == 1


def test_pick_prefers_gold_type(events):
    P = events.Pred
    ps = [P("AID", set(), set()), P("AGREE", {"FRA"}, set())]
    assert events.pick(ps, "AGREE") is ps[1]
    assert events.pick(ps, "ASSAULT") is ps[0]
    assert events.pick([], "AGREE") is None


# --- bench/extract_speed.py --------------------------------------------------------

def test_speed_article_loading_and_batches(speed, tmp_path):
    (tmp_path / "a.txt").write_text("Title one\n\nBRUSSELS: NATO met on Monday.\n", encoding="utf-8")
    (tmp_path / "a.gold.json").write_text(json.dumps({"published": "2021-04-15"}), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"title": "T", "text": "Kenya voted."}), encoding="utf-8")
    (tmp_path / "notes.md").write_text("not an article", encoding="utf-8")
    arts = speed.load_articles(tmp_path)
    assert [a.published for a in arts] == ["2021-04-15", None]
    assert [a.text for a in speed.repeat_to(arts, 5)] == [arts[i % 2].text for i in range(5)]
    assert [len(c) for c in speed.chunks(list(range(10)), 4)] == [4, 4, 2]
    copies = list(speed.fresh(arts))
    assert copies[0] is not arts[0] and copies[0].text == arts[0].text
    with pytest.raises(SystemExit):
        speed.repeat_to([], 3)


def test_stage_timer_wraps_and_restores(speed):
    from wirewatch.geo.gazetteer import Gazetteer
    from wirewatch.nlp import entities, pipeline

    orig_entities, orig_prune, orig_cands = entities.extract, pipeline.prune_groups, Gazetteer.candidates
    timer = speed.StageTimer()
    timer.install()
    try:
        assert entities.extract is not orig_entities
    finally:
        timer.restore()
    assert entities.extract is orig_entities and pipeline.prune_groups is orig_prune
    assert Gazetteer.candidates is orig_cands
    f = timer._wrap(lambda x: x * 2, "double")
    assert f(21) == 42 and timer.calls["double"] == 1 and timer.secs["double"] >= 0
