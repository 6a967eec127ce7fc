"""The shipped actor-coding knowledge: countries, organisations, titles."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wirewatch import knowledge as kb

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "wirewatch" / "data"


def iso3(c: kb.Country | None) -> str | None:
    return c.iso3 if c else None


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Côte d’Ivoire", "cote divoire"),
        ("Cote d'Ivoire", "cote divoire"),
        ("the U.S.", "us"),
        ("Russia's", "russia"),
        ("the Philippines'", "philippines"),
        ("Bosnia & Herzegovina", "bosnia and herzegovina"),
        ("Guinea-Bissau", "guinea bissau"),
        ("  The   Gambia ", "gambia"),
        ("Saint Lucia", "st lucia"),
        ("St. Lucia", "st lucia"),
        ("Türkiye", "turkiye"),
        ("N’Djaména", "ndjamena"),
        ("São Tomé and Príncipe", "sao tome and principe"),
        ("foreign minister", "foreign minister"),
    ],
)
def test_normalise(text, key):
    assert kb.normalise(text) == key


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("U.S.", "USA"), ("US", "USA"), ("USA", "USA"), ("the United States", "USA"), ("America", "USA"),
        ("United States of America", "USA"), ("UK", "GBR"), ("U.K.", "GBR"), ("Britain", "GBR"),
        ("Great Britain", "GBR"), ("United Kingdom", "GBR"), ("Scotland", "GBR"),
        ("DRC", "COD"), ("DR Congo", "COD"), ("D.R. Congo", "COD"), ("Congo-Kinshasa", "COD"),
        ("Democratic Republic of Congo", "COD"), ("Democratic Republic of the Congo", "COD"), ("Congo", "COD"),
        ("Republic of Congo", "COG"), ("Republic of the Congo", "COG"), ("Congo-Brazzaville", "COG"),
        ("South Korea", "KOR"), ("ROK", "KOR"), ("Republic of Korea", "KOR"),
        ("North Korea", "PRK"), ("DPRK", "PRK"), ("Democratic People’s Republic of Korea", "PRK"),
        ("Russia", "RUS"), ("Russian Federation", "RUS"), ("Russia's", "RUS"), ("Iran", "IRN"), ("Syria", "SYR"),
        ("Ivory Coast", "CIV"), ("Côte d'Ivoire", "CIV"), ("Cote d’Ivoire", "CIV"),
        ("Türkiye", "TUR"), ("Turkiye", "TUR"), ("Turkey", "TUR"), ("Burma", "MMR"), ("Myanmar", "MMR"),
        ("Czechia", "CZE"), ("Czech Republic", "CZE"), ("UAE", "ARE"), ("U.A.E.", "ARE"), ("Emirates", "ARE"),
        ("United Arab Emirates", "ARE"), ("Holland", "NLD"), ("the Netherlands", "NLD"), ("Vatican", "VAT"),
        ("Holy See", "VAT"), ("Georgia", "GEO"), ("Kyrgyz Republic", "KGZ"), ("Kyrgyzstan", "KGZ"),
        ("Eswatini", "SWZ"), ("Swaziland", "SWZ"), ("East Timor", "TLS"), ("Timor-Leste", "TLS"),
        ("Cape Verde", "CPV"), ("The Gambia", "GMB"), ("Bosnia", "BIH"), ("Macedonia", "MKD"),
        ("Palestine", "PSE"), ("Palestinian territories", "PSE"), ("Kosovo", "XKX"), ("Taiwan", "TWN"),
        ("Laos", "LAO"), ("Vietnam", "VNM"), ("Viet Nam", "VNM"), ("St Kitts and Nevis", "KNA"),
        ("Saint Vincent and the Grenadines", "VCT"), ("Trinidad & Tobago", "TTO"), ("Hong Kong", "HKG"),
        ("Burkina Faso", "BFA"), ("Nepal", "NPL"), ("Venezuela", "VEN"), ("Egypt", "EGY"), ("Greece", "GRC"),
        ("Ukraine", "UKR"), ("Tajikistan", "TJK"), ("Sudan", "SDN"), ("South Sudan", "SSD"), ("Niger", "NER"),
        ("Nigeria", "NGA"), ("Guinea", "GIN"), ("Equatorial Guinea", "GNQ"), ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"), ("CAR", "CAF"), ("Central African Republic", "CAF"),
    ],
)
def test_country(text, code):
    assert iso3(kb.country(text)) == code


@pytest.mark.parametrize("text", ["us", "Washington", "Turkish", "Europe", "Africa", "Security Council", "", "the"])
def test_country_rejects(text):
    assert kb.country(text) is None


def test_country_fields():
    us = kb.country("U.S.")
    assert (us.iso3, us.iso2, us.name, us.capital) == ("USA", "US", "United States", "Washington")
    assert us.geonameid == 6252001
    assert "Americans" in us.demonyms and "America" in us.names
    assert 25 < us.lat < 50 and -125 < us.lon < -65  # a city near the population centre, not Alaska
    cod = kb.country("DRC")
    assert (cod.name, cod.capital, cod.continent) == ("Democratic Republic of the Congo", "Kinshasa", "AF")
    assert "RWA" in cod.neighbours and "COG" in cod.neighbours
    assert round(cod.capital_lat) == -4 and round(cod.capital_lon) == 15
    tur = kb.country("Türkiye")
    assert tur.name == "Turkey" and 36 < tur.lat < 42 and 26 < tur.lon < 45
    fji = kb.country("Fiji")  # straddles the antimeridian: the point must still be in Fiji
    assert -19 < fji.lat < -16 and (fji.lon > 176 or fji.lon < -179)


@pytest.mark.parametrize(
    ("code", "expected"),
    [("USA", "USA"), ("usa", "USA"), ("GB", "GBR"), ("gbr", "GBR"), ("CD", "COD"), ("XKX", "XKX"), ("XK", "XKX"),
     ("TR", "TUR"), ("ZZZ", None)],
)
def test_country_by_code(code, expected):
    assert iso3(kb.country_by_code(code)) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("American", "USA"), ("Americans", "USA"), ("U.S.", "USA"), ("British", "GBR"), ("Briton", "GBR"),
        ("Britons", "GBR"), ("Scottish", "GBR"), ("Turkish", "TUR"), ("Turk", "TUR"), ("Turks", "TUR"),
        ("Congolese", "COD"), ("Kenyan", "KEN"), ("Kenyans", "KEN"), ("Afghan", "AFG"), ("Afghans", "AFG"),
        ("Emirati", "ARE"), ("Emiratis", "ARE"), ("Nepali", "NPL"), ("Nepalese", "NPL"), ("Kyrgyz", "KGZ"),
        ("Tajik", "TJK"), ("Tajiks", "TJK"), ("Burkinabe", "BFA"), ("Burkinabé", "BFA"), ("Sudanese", "SDN"),
        ("South Sudanese", "SSD"), ("Georgian", "GEO"), ("Venezuelan", "VEN"), ("Greek", "GRC"),
        ("Egyptian", "EGY"), ("Israeli", "ISR"), ("Israelis", "ISR"), ("Palestinian", "PSE"),
        ("Palestinians", "PSE"), ("Ukrainian", "UKR"), ("Russian", "RUS"), ("Chinese", "CHN"), ("Dutch", "NLD"),
        ("Filipino", "PHL"), ("Ivorian", "CIV"), ("Nigerien", "NER"), ("Nigerian", "NGA"), ("Saudi", "SAU"),
        ("Swiss", "CHE"), ("Kosovar", "XKX"), ("Bissau-Guinean", "GNB"), ("Guinean", "GIN"),
        ("North Korean", "PRK"), ("South Korean", "KOR"), ("Thai", "THA"), ("Pakistani", "PAK"),
        ("Yemeni", "YEM"), ("Iraqi", "IRQ"), ("Iranian", "IRN"), ("Angolan", "AGO"), ("Rwandan", "RWA"),
    ],
)
def test_country_of_demonym(text, code):
    assert iso3(kb.country_of_demonym(text)) == code


def test_demonym_is_not_a_name():
    assert kb.country_of_demonym("Turkey") is None
    assert kb.country_of_demonym("Kinshasa") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Kinshasa", "COD"), ("Washington", "USA"), ("Washington, D.C.", "USA"), ("Moscow", "RUS"),
        ("Beijing", "CHN"), ("Peking", "CHN"), ("Kyiv", "UKR"), ("Kiev", "UKR"), ("Tbilisi", "GEO"),
        ("Ankara", "TUR"), ("Brazzaville", "COG"), ("Ouagadougou", "BFA"), ("Bishkek", "KGZ"),
        ("Dushanbe", "TJK"), ("Kathmandu", "NPL"), ("Caracas", "VEN"), ("Cairo", "EGY"), ("Athens", "GRC"),
        ("Abu Dhabi", "ARE"), ("Luanda", "AGO"), ("N'Djamena", "TCD"), ("Ndjamena", "TCD"), ("Sanaa", "YEM"),
        ("Sana'a", "YEM"), ("Brasília", "BRA"), ("Naypyitaw", "MMR"), ("Astana", "KAZ"), ("The Hague", "NLD"),
        ("Abidjan", "CIV"), ("Pretoria", "ZAF"), ("White House", "USA"), ("Kremlin", "RUS"),
        ("Downing Street", "GBR"), ("Pentagon", "USA"),
    ],
)
def test_country_of_capital(text, code):
    assert iso3(kb.country_of_capital(text)) == code


@pytest.mark.parametrize("text", ["Hamilton", "Plymouth", "Victoria", "Paris, Texas", "Goma"])
def test_ambiguous_or_unknown_capitals(text):
    assert kb.country_of_capital(text) is None


def test_country_of_metonym():
    assert [(c.iso3, s) for c, s in [kb.country_of_metonym(t) for t in ("White House", "Pentagon", "Kinshasa")]] == [
        ("USA", "GOV"), ("USA", "MIL"), ("COD", "GOV"),
    ]
    assert kb.country_of_metonym("Capitol Hill")[1] == "LEG"
    assert kb.country_of_metonym("Goma") is None


def test_all_country_names():
    pairs = set(kb.all_country_names())
    assert {("U.S.", "USA"), ("Britain", "GBR"), ("DRC", "COD"), ("Türkiye", "TUR")} <= pairs
    for surface, code in pairs:  # every surface form resolves to its own country
        assert iso3(kb.country(surface)) == code, surface


def test_all_demonyms():
    pairs = set(kb.all_demonyms())
    assert {("Turkish", "TUR"), ("Congolese", "COD"), ("Americans", "USA")} <= pairs
    for surface, code in pairs:
        assert iso3(kb.country_of_demonym(surface)) == code, surface


def test_every_state_is_complete():
    states = [c for c in kb.countries() if (c.population or 0) > 500_000]
    assert len(states) > 150
    for c in states:
        assert c.demonyms and c.capital and c.lat is not None and c.geonameid, c.iso3
    assert len(kb.countries()) >= 249


@pytest.mark.parametrize(
    ("text", "id_", "code", "sector"),
    [
        ("NATO", "NATO", "NATO", "IGO"), ("Nato", "NATO", "NATO", "IGO"),
        ("North Atlantic Treaty Organization", "NATO", "NATO", "IGO"),
        ("U.N.", "UN", "UN", "IGO"), ("the U.N.", "UN", "UN", "IGO"), ("UN", "UN", "UN", "IGO"),
        ("United Nations", "UN", "UN", "IGO"), ("UNITED NATIONS", "UN", "UN", "IGO"),
        ("U.N. refugee agency", "UNHCR", "UN", "IGO"), ("UNHCR", "UNHCR", "UN", "IGO"),
        ("European Union", "EU", "EU", "IGO"), ("EU", "EU", "EU", "IGO"),
        ("European Commission", "EC", "EU", "IGO"), ("European Council", "EUCO", "EU", "IGO"),
        ("European Parliament", "EP", "EU", "IGO"), ("African Union", "AU", "AU", "IGO"), ("AU", "AU", "AU", "IGO"),
        ("ECOWAS", "ECOWAS", "ECOWAS", "IGO"), ("SADC", "SADC", "SADC", "IGO"), ("EAC", "EAC", "EAC", "IGO"),
        ("IGAD", "IGAD", "IGAD", "IGO"), ("ASEAN", "ASEAN", "ASEAN", "IGO"), ("OAS", "OAS", "OAS", "IGO"),
        ("Arab League", "LAS", "LAS", "IGO"), ("GCC", "GCC", "GCC", "IGO"), ("OSCE", "OSCE", "OSCE", "IGO"),
        ("Council of Europe", "COE", "COE", "IGO"), ("WHO", "WHO", "UN", "IGO"),
        ("World Health Organization", "WHO", "UN", "IGO"), ("IMF", "IMF", "IMF", "IGO"),
        ("World Bank", "WBG", "WBG", "IGO"), ("WFP", "WFP", "UN", "IGO"), ("UNICEF", "UNICEF", "UN", "IGO"),
        ("OCHA", "OCHA", "UN", "IGO"), ("ICC", "ICC", "ICC", "IGO"), ("ICJ", "ICJ", "UN", "IGO"),
        ("IAEA", "IAEA", "UN", "IGO"), ("U.N. nuclear watchdog", "IAEA", "UN", "IGO"), ("WTO", "WTO", "WTO", "IGO"),
        ("OPEC", "OPEC", "OPEC", "IGO"), ("UN Security Council", "UNSC", "UN", "IGO"),
        ("U.N. Security Council", "UNSC", "UN", "IGO"), ("UN General Assembly", "UNGA", "UN", "IGO"),
        ("UN Human Rights Council", "UNHRC", "UN", "IGO"), ("MONUSCO", "MONUSCO", "UN", "IGO"),
        ("MINUSMA", "MINUSMA", "UN", "IGO"), ("UNMISS", "UNMISS", "UN", "IGO"), ("UNIFIL", "UNIFIL", "UN", "IGO"),
        ("UNISFA", "UNISFA", "UN", "IGO"), ("Central Emergency Response Fund", "CERF", "UN", "IGO"),
        ("G7", "G7", "G7", "IGO"), ("G-20", "G20", "G20", "IGO"), ("CSTO", "CSTO", "CSTO", "IGO"),
        ("Collective Security Treaty Organization", "CSTO", "CSTO", "IGO"), ("SCO", "SCO", "SCO", "IGO"),
    ],
)
def test_igo(text, id_, code, sector):
    o = kb.igo(text)
    assert o is not None, text
    assert (o.id, o.code, o.country, o.sector, o.kind) == (id_, code, code, sector, "igo")


@pytest.mark.parametrize(
    ("text", "id_"),
    [("Red Cross", "ICRC"), ("ICRC", "ICRC"), ("International Committee of the Red Cross", "ICRC"),
     ("Amnesty International", "AMNESTY"), ("Amnesty", "AMNESTY"), ("Human Rights Watch", "HRW"), ("HRW", "HRW"),
     ("MSF", "MSF"), ("Doctors Without Borders", "MSF"), ("Médecins Sans Frontières", "MSF"),
     ("Reporters Without Borders", "RWB"), ("Committee to Protect Journalists", "CPJ")],
)
def test_ngo(text, id_):
    o = kb.igo(text)
    assert (o.id, o.sector, o.country, o.kind) == (id_, "NGO", None, "ngo")


def test_igo_prefix_rule():
    assert kb.igo("UN peacekeeping mission").code == "UN"
    assert kb.igo("U.N. group of experts").id == "UN"
    assert kb.igo("EU delegation").code == "EU"
    assert kb.igo("EU election observation mission").code == "EU"
    assert kb.igo("NATO allies").id == "NATO"
    assert kb.igo("WHO officials").id == "WHO"
    assert kb.igo("U.N. peacekeeping mission in Congo").id == "MONUSCO"
    assert kb.igo("European Union’s delegation in Tbilisi").id == "EU"


@pytest.mark.parametrize("text", ["who", "Who", "who officials", "un", "Security Council", "amnesty law",
                                  "the bloc", "Kenya", "M23", "Rapid Support Forces", "RSF",
                                  "AI", "Let", "Pace", "Care", "Ola", "Kia"])
def test_igo_rejects(text):
    assert kb.igo(text) is None


def test_organisation_includes_armed_groups():
    m23 = kb.organisation("M23")
    assert (m23.sector, m23.country, m23.kind) == ("REB", "COD", "armed_group")
    assert kb.organisation("Rapid Support Forces").country == "SDN"
    assert kb.organisation("al-Qaida").country is None
    assert kb.organisation("ISIS").id == "ISLAMIC_STATE"
    assert kb.organisation("IS").id == "ISLAMIC_STATE"
    assert kb.organisation("is") is None
    assert kb.organisation("NATO").id == "NATO"
    assert all(o.kind in {"igo", "ngo"} for o in kb.igos())


def test_igo_members():
    nato = kb.igo_by_id("NATO")
    assert len(nato.members) == 32 and {"TUR", "USA", "FIN", "SWE"} <= set(nato.members)
    assert len(kb.igo_by_id("EU").members) == 27
    assert kb.igo_by_id("unhcr").parent == "UN"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Foreign Minister", ("GOV", False)), ("foreign minister", ("GOV", False)),
        ("Turkish Foreign Minister", ("GOV", False)), ("deputy foreign minister", ("GOV", False)),
        ("Prime Minister", ("GOV", False)), ("defense secretary", ("GOV", False)),
        ("Defence Secretary", ("GOV", False)), ("Secretary of State", ("GOV", False)),
        ("U.S. Secretary of State", ("GOV", False)), ("Minister of Foreign Affairs", ("GOV", False)),
        ("ambassador", ("GOV", False)), ("governor", ("GOV", False)), ("mayor", ("GOV", False)),
        ("king", ("GOV", False)), ("chancellor", ("GOV", False)), ("envoy", ("GOV", True)),
        ("general", ("MIL", False)), ("Lt. Gen.", ("MIL", False)), ("army chief", ("MIL", False)),
        ("colonel", ("MIL", False)), ("soldiers", ("MIL", True)), ("troops", ("MIL", True)),
        ("army", ("MIL", False)), ("navy", ("MIL", False)), ("air force", ("MIL", False)),
        ("military", ("MIL", False)), ("security forces", ("MIL", False)),
        ("police", ("POL", False)), ("police officer", ("POL", False)), ("police chief", ("POL", False)),
        ("riot police", ("POL", False)),
        ("rebels", ("REB", False)), ("rebel", ("REB", False)), ("insurgents", ("REB", False)),
        ("militia", ("REB", False)), ("militants", ("REB", False)), ("jihadists", ("REB", False)),
        ("fighters", ("REB", True)), ("guerrillas", ("REB", False)),
        ("opposition leader", ("OPP", False)), ("dissident", ("OPP", False)), ("opposition", ("OPP", False)),
        ("lawmaker", ("LEG", False)), ("lawmakers", ("LEG", False)), ("MP", ("LEG", False)),
        ("senator", ("LEG", False)), ("parliament", ("LEG", False)), ("speaker of parliament", ("LEG", False)),
        ("judge", ("JUD", False)), ("court", ("JUD", False)), ("prosecutor", ("JUD", False)),
        ("tribunal", ("JUD", False)), ("party", ("PTY", False)), ("party leader", ("PTY", False)),
        ("CEO", ("BUS", False)), ("company", ("BUS", False)), ("journalist", ("MED", False)),
        ("reporter", ("MED", False)), ("broadcaster", ("MED", False)), ("TV", ("MED", False)),
        ("newspaper", ("MED", False)), ("resident", ("CVL", False)), ("villagers", ("CVL", False)),
        ("civilians", ("CVL", False)), ("protesters", ("CVL", False)), ("demonstrators", ("CVL", False)),
        ("student", ("CVL", False)), ("farmer", ("CVL", False)), ("market trader", ("CVL", False)),
        ("trader", ("CVL", False)), ("refugees", ("CVL", False)), ("cleric", ("REL", False)),
        ("imam", ("REL", False)), ("bishop", ("REL", False)), ("pope", ("REL", False)),
        ("professor", ("EDU", False)), ("university", ("EDU", False)), ("aid worker", ("NGO", False)),
        ("rights group", ("NGO", False)),
    ],
)
def test_title_sector(title, expected):
    assert kb.title_sector(title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("chief", (None, True)), ("spokesman", (None, True)), ("head", (None, True)), ("director", (None, True)),
        ("leader", (None, True)), ("mediator", (None, True)), ("president", ("GOV", True)),
        ("commander", ("MIL", True)),
        # the organisation or sector word named with the title decides
        ("NATO chief", ("IGO", False)), ("M23 spokesman", ("REB", False)),
        ("Congolese government spokesman", ("GOV", False)), ("police spokesman", ("POL", False)),
        ("army spokesman", ("MIL", False)), ("rebel commander", ("REB", False)), ("AU mediator", ("IGO", False)),
        ("UN Secretary-General", ("IGO", False)), ("party secretary-general", ("PTY", False)),
        ("President of the European Commission", ("IGO", False)), ("head of the U.N. mission", ("IGO", False)),
        ("spokesman for the Congolese government", ("GOV", False)), ("NATO troops", ("IGO", False)),
        ("U.N. officials", ("IGO", False)), ("rebel officials", ("REB", False)),
        ("Interior Ministry spokesman", ("GOV", False)), ("Kyrgyz troops", ("MIL", True)),
    ],
)
def test_title_sector_depends_on_org(title, expected):
    assert kb.title_sector(title) == expected


@pytest.mark.parametrize("title", ["Kenya", "Blinken", "", "the", "said", "Citizens' Platform",
                                   "Coordination Headquarters for the Treatment of Prisoners of War"])
def test_title_sector_unknown(title):
    assert kb.title_sector(title) is None


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Secretary", True), ("President", True), ("Minister", True), ("State", True), ("Gen.", True),
     ("Foreign", True), ("Prime", True), ("Mr.", True), ("Sheikh", True), ("spokesman", True),
     ("Blinken", False), ("of", False), ("the", False), ("Farmer", False), ("Kenya", False)],
)
def test_is_title_word(word, expected):
    assert kb.is_title_word(word) is expected


def test_data_files_are_consistent():
    codes = {c.iso3 for c in kb.countries()}
    orgs = json.loads((DATA / "igos.json").read_text(encoding="utf-8"))["organisations"]
    ids = [o["id"] for o in orgs]
    assert len(ids) == len(set(ids))
    for o in orgs:
        assert o["sector"] in kb.SECTORS, o["id"]
        assert set(o.get("members", ())) <= codes, o["id"]
        assert o.get("parent") is None or o["parent"] in ids, o["id"]
    titles = json.loads((DATA / "titles.json").read_text(encoding="utf-8"))
    for kind in ("person", "group", "org"):
        assert set(titles[kind]) <= kb.SECTORS
    assert {s for s in titles["org_dependent"].values() if s} <= kb.SECTORS
    for c in kb.countries():
        assert len(c.iso3) == 3 and len(c.iso2) == 2 and set(c.neighbours) <= codes


def test_loading_is_fast():
    for f in (kb._countries, kb._igos, kb._titles):
        f.cache_clear()
    start = time.process_time()
    kb.country("U.S."), kb.igo("NATO"), kb.title_sector("foreign minister")
    # The budget is 50 ms on an idle machine; the bound leaves room for busy CI runners.
    assert time.process_time() - start < 0.2


@pytest.mark.slow
def test_countries_json_is_up_to_date():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_knowledge.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
