"""Actor coding: country and sector from titles, appositions and organisations."""

from __future__ import annotations


def _coded(rec):
    return {e.name: (e.country, e.sector) for e in rec.entities}


def test_titles_before_the_name(analyse_text):
    rec = analyse_text("U.S. President Joe Biden spoke to Turkey’s Foreign Minister Mevlüt Çavuşoğlu "
                       "and NATO chief Jens Stoltenberg.")
    coded = _coded(rec)
    assert coded["Joe Biden"] == ("USA", "GOV")
    assert coded["Mevlüt Çavuşoğlu"] == ("TUR", "GOV")
    assert coded["Jens Stoltenberg"] == ("NATO", "IGO")


def test_organisation_named_with_a_title_gives_its_sector(analyse_text):
    rec = analyse_text("Rebels of the M23 movement said they would fight. M23 spokesman Jean-Claude "
                       "Habimana said the truce would hold.")
    coded = _coded(rec)
    m23 = next(v for k, v in coded.items() if k.startswith("M23"))
    assert m23 == ("COD", "REB")
    assert coded["Jean-Claude Habimana"] == ("COD", "REB")


def test_appositions_and_nationality_groups(analyse_text):
    rec = analyse_text("In Nairobi, Kenyan police arrested 40 people, said Esther Kahindo, a market trader in the city.")
    coded = _coded(rec)
    assert coded["Kenyan police"] == ("KEN", "POL")
    assert coded["Esther Kahindo"][1] == "CVL"


def test_roles_are_recorded(analyse_text):
    rec = analyse_text("Interior Minister Kithure Kindiki said the officers had acted lawfully.")
    person = next(e for e in rec.entities if e.name == "Kithure Kindiki")
    assert [r.title for r in person.roles] == ["Interior Minister"]
    assert person.sector == "GOV"


def test_known_armed_groups_and_ngos(analyse_text):
    rec = analyse_text("Amnesty International condemned the attack claimed by al-Shabaab in Mogadishu.")
    coded = _coded(rec)
    assert coded["Amnesty International"] == (None, "NGO")
    assert coded["al-Shabaab"][1] == "REB"


def test_roles_belong_to_their_own_conjunct(analyse_text):
    rec = analyse_text("Colombia's peace commissioner, Andrés Rivera, and the rebel commander Marta Ocampo "
                       "signed the agreement. The channel's editor-in-chief, Adama Ouédraogo, and two reporters, "
                       "Mariam Sawadogo and Issouf Kaboré, were detained.")
    roles = {e.name: [r.title for r in e.roles] for e in rec.entities if e.type == "PERSON"}
    assert roles["Andrés Rivera"] == ["peace commissioner"]  # not "and the rebel commander"
    assert roles["Marta Ocampo"] == ["rebel commander"]
    assert roles["Adama Ouédraogo"] == ["editor-in-chief"]  # hyphenated, without the channel
    assert roles["Mariam Sawadogo"] == ["two reporters"]


def test_government_prefix_is_not_part_of_a_full_title(analyse_text):
    rec = analyse_text("The deal was signed by the government's peace commissioner Andrés Rivera. "
                       "Government spokesman Levan Chkhaidze said talks would go on.")
    roles = {e.name: [(r.title, r.sector) for r in e.roles] for e in rec.entities if e.type == "PERSON"}
    assert roles["Andrés Rivera"] == [("peace commissioner", "GOV")]
    assert roles["Levan Chkhaidze"] == [("Government spokesman", "GOV")]
