"""Golden test: the key facts of the project's founding article, end to end through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import EVAL

SEED = EVAL / "dev" / "seed-nato-withdrawal.txt"


@pytest.fixture(scope="module")
def seed():
    if not SEED.exists():
        pytest.fail(f"{SEED} is missing: the tests read ../shared/eval")
    out = subprocess.run([sys.executable, "-m", "wirewatch", "extract", str(SEED), "--published", "2021-04-15",
                          "--format", "json"], capture_output=True, text=True, check=True)
    rec = json.loads(out.stdout)
    from wirewatch.schema import validate

    validate(rec)
    return rec


def _by_name(rec):
    return {e["name"]: e for e in rec["entities"]}


def test_actors_are_coded(seed):
    ents = _by_name(seed)
    assert (ents["Antony Blinken"]["country"], ents["Antony Blinken"]["sector"]) == ("USA", "GOV")
    assert (ents["Jens Stoltenberg"]["country"], ents["Jens Stoltenberg"]["sector"]) == ("NATO", "IGO")
    assert (ents["Mevlüt Çavuşoğlu"]["country"], ents["Mevlüt Çavuşoğlu"]["sector"]) == ("TUR", "GOV")
    assert {m["text"] for m in ents["Mevlüt Çavuşoğlu"]["mentions"]} == {"Mevlüt Çavuşoğlu"}
    assert {m["text"] for m in ents["Antony Blinken"]["mentions"]} == {"Antony Blinken", "Blinken"}


def test_seven_quotes_and_their_speakers(seed):
    names = {e["id"]: e["name"] for e in seed["entities"]}
    quotes = [(names.get(q["speaker"]), q["text"]) for q in seed["quotes"]]
    assert len(quotes) == 7
    assert [s for s, _ in quotes].count("Antony Blinken") == 5
    assert [s for s, _ in quotes].count("Jens Stoltenberg") == 2
    assert any(t.startswith("Together, we went into Afghanistan") for _, t in quotes)
    assert ("Jens Stoltenberg", "our future presence in Afghanistan") in quotes
    text = seed["article"]["text"]
    assert all(text[q["start"]:q["end"]] == q["text"] for q in seed["quotes"])


def test_nato_consults_in_brussels_on_wednesday(seed):
    names = {e["id"]: e["name"] for e in seed["entities"]}
    places = {p["id"]: p["name"] for p in seed["places"]}
    consult = [v for v in seed["events"] if v["type"] == "CONSULT" and names[v["actors"][0]] == "NATO"]
    assert consult and consult[0]["status"] == "occurred"
    assert places[consult[0]["place"]] == "Brussels" and consult[0]["date"] == "2021-04-14"


def test_planned_us_retreat_by_the_anniversary(seed):
    ents = {e["id"]: e for e in seed["entities"]}
    retreats = [v for v in seed["events"] if v["type"] == "RETREAT" and v["status"] == "planned"
                and ents[v["actors"][0]]["country"] == "USA"]
    assert any(v["date"] == "2021-09-11" for v in retreats)
    anniversary = next(t for t in seed["times"] if "anniversary" in t["text"])
    assert anniversary["value"] == "2021-09-11"


def test_troop_numbers(seed):
    qty = {q["value"]: q for q in seed["quantities"]}
    assert qty[7000]["of"] == "NATO forces" and qty[7000]["approximate"] is True
    assert qty[2500]["of"] == "U.S. troops"
    place = {p["name"]: p for p in seed["places"]}["Brussels"]
    assert abs(place["lat"] - 50.85) < 0.2 and place["country"] == "BEL"
