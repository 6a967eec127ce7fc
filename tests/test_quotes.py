"""Direct and reported quotes with speakers resolved through pronouns and titles."""

from __future__ import annotations


def _speakers(rec):
    names = {e.id: e.name for e in rec.entities}
    return [(q.direct, names.get(q.speaker), q.text) for q in rec.quotes]


def test_direct_quote_split_around_attribution_and_pronoun(analyse_text):
    rec = analyse_text("Interior Minister Kithure Kindiki spoke on Monday.\n"
                       "“We will not allow chaos,” he said. “The law will be enforced.”\n"
                       "The opposition leader, Raila Odinga, denied that his supporters had attacked anyone.")
    got = _speakers(rec)
    assert (True, "Kithure Kindiki", "We will not allow chaos") in got
    assert (True, "Kithure Kindiki", "The law will be enforced.") in got
    assert (False, "Raila Odinga", "his supporters had attacked anyone") in got


def test_quote_running_over_paragraphs(analyse_text):
    rec = analyse_text("“The scale of this disaster is beyond what we can handle,” said Surya Prasad Gautam. "
                       "“Many villages can only be reached on foot.\n\n“Temperatures are dropping fast.”\n"
                       "Officials agreed.")
    long = [q for q in rec.quotes if "villages" in q.text]
    assert long and "Temperatures are dropping fast" in long[0].text
    names = {e.id: e.name for e in rec.entities}
    assert names[long[0].speaker] == "Surya Prasad Gautam"


def test_straight_quotes_and_title_speaker(analyse_text):
    rec = analyse_text('South Sudan\'s ambassador, Deng Garang Majok, spoke first. Majok dismissed the charge. '
                       '"Not a single soldier has set foot on Sudanese soil," the envoy said.')
    names = {e.id: e.name for e in rec.entities}
    q = next(q for q in rec.quotes if q.text.startswith("Not a single"))
    assert names[q.speaker] == "Deng Garang Majok" and q.direct


def test_according_to_and_organisation_speakers(analyse_text):
    rec = analyse_text("Fighting in North Kivu province has displaced more than 1.7 million people, "
                       "according to the U.N. refugee agency, UNHCR.")
    q = rec.quotes[0]
    assert q.text.startswith("Fighting in North Kivu") and not q.direct and q.cue == "according to"
    names = {e.id: e.name for e in rec.entities}
    assert "UNHCR" in (names.get(q.speaker) or "") or "refugee agency" in (q.speaker_text or "")


def test_scare_quote_takes_the_governing_verbs_subject(analyse_text):
    rec = analyse_text("Council director Gladys Urbina blamed “technical incidents” at a data centre.")
    names = {e.id: e.name for e in rec.entities}
    q = rec.quotes[0]
    assert q.text == "technical incidents" and names[q.speaker] == "Gladys Urbina"


def test_offsets_point_into_the_text(analyse_text):
    rec = analyse_text("“We won,” Peña said. She added that the count had been stopped.")
    for q in rec.quotes:
        assert rec.article.text[q.start:q.end] == q.text
