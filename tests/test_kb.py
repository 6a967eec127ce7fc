"""The actor knowledge base: merged identities, role dates, user file priority, lookup, profiles."""

from __future__ import annotations

import json

import pytest

from wirewatch import kb
from wirewatch.errors import ConfigError
from wirewatch.models import Article, ArticleRecord, Entity, Event, Mention, Quote, Role, Span
from wirewatch.read.files import text_id
from wirewatch.store import open_store


def person(eid: str, name: str, *mentions: str, country: str | None = None, sector: str | None = None,
           role: str | None = None, etype: str = "PERSON") -> Entity:
    roles = [Role(role, country, sector)] if role else []
    ms = [Mention(i * 20, i * 20 + len(m), m) for i, m in enumerate(mentions or (name,))]
    return Entity(eid, name, etype, country, sector, roles, ms)


def record(published: str, text: str, *ents: Entity, events: list[Event] | None = None,
           quotes: list[Quote] | None = None) -> ArticleRecord:
    art = Article(text=text, title=text[:30], published=published, source="Test Wire")
    art.id = text_id(text)
    return ArticleRecord(art, list(ents), events=events or [], quotes=quotes or [])


def corpus() -> list[ArticleRecord]:
    meet = Event("v1", "CONSULT", "meet", ["e1"], ["e2"], None, None, "2021-04-14", "occurred",
                 Mention(40, 43, "met"), Span(0, 60), 0.9)
    return [
        record("2021-04-14", "Secretary of State Antony Blinken met Jens Stoltenberg in Brussels on Wednesday.",
               person("e1", "Antony Blinken", "Antony Blinken", "Blinken", country="USA", sector="GOV",
                      role="Secretary of State"),
               person("e2", "Jens Stoltenberg", country="NATO", sector="IGO", role="Secretary General"),
               events=[meet],
               quotes=[Quote("c1", "Together we went in", 0, 19, "e1", "Blinken", "said", True)]),
        record("2021-05-01", "Tony Blinken spoke to reporters in Washington about the withdrawal plan.",
               person("e1", "Tony Blinken", country="USA")),
        record("2021-06-02", "Secretary Blinken told senators the withdrawal was on schedule in June.",
               person("e1", "Blinken", "Secretary Blinken", country="USA", sector="GOV", role="secretary of state")),
        record("2026-03-12", "Indonesian Foreign Minister Arif Santoso met Helen Whitaker in Canberra.",
               person("e1", "Arif Santoso", country="IDN", sector="GOV", role="Foreign Minister"),
               person("e2", "Helen Whitaker", country="AUS")),
        # Two different Riveras: a bare "Rivera" must stay ambiguous.
        record("2026-03-09", "Peace commissioner Andrés Rivera signed the accord with the United Southern Front.",
               person("e1", "Andrés Rivera", country="COL", sector="GOV", role="peace commissioner"),
               person("e2", "United Southern Front", "United Southern Front", "USF", country="COL", sector="REB",
                      etype="ORG")),
        record("2026-03-10", "Marta Rivera, a Spanish diplomat, said Madrid welcomed the USF accord.",
               person("e1", "Marta Rivera", country="ESP", sector="GOV"),
               person("e2", "USF", country="COL", sector="REB", etype="ORG")),
    ]


@pytest.fixture()
def base() -> kb.KnowledgeBase:
    return kb.build_kb((r, r.article.published) for r in corpus())


def test_identities_merge_where_the_evidence_supports_it(base: kb.KnowledgeBase) -> None:
    a = base.find("Antony Blinken")
    assert a is not None
    assert base.find("Secretary Blinken") is a and base.find("Blinken") is a and base.find("Tony Blinken") is a
    assert (a.name, a.country, a.sector, len(a.articles)) == ("Antony Blinken", "USA", "GOV", 3)
    assert {"Tony Blinken", "Secretary Blinken", "Blinken"} <= set(a.aliases)
    assert base.find("Rivera") is None  # two full names share the surname
    assert base.find("Andrés Rivera") is not base.find("Marta Rivera")
    assert base.find("USF") is base.find("United Southern Front")
    assert base.find("Nobody Inparticular") is None


def test_roles_carry_the_dates_they_were_reported(base: kb.KnowledgeBase) -> None:
    a = base.find("Blinken")
    assert a is not None
    assert a.roles == [kb.RoleSpan("Secretary of State", "USA", "GOV", "2021-04-14", "2021-06-02", 2)]
    assert [(e.article_id, e.text) for e in a.evidence][:2] == [(corpus()[0].article.id, "Antony Blinken"),
                                                                (corpus()[0].article.id, "Blinken")]


def test_lookup_codes_an_untitled_actor(base: kb.KnowledgeBase) -> None:
    assert base.lookup("Santoso") == ("IDN", "GOV")
    assert base.lookup("Mr. Santoso") == ("IDN", "GOV")
    assert base.lookup("Helen Whitaker") == ("AUS", None)
    assert base.lookup("Rivera") is None and base.lookup("Someone Else") is None


def test_user_file_has_priority(tmp_path, base: kb.KnowledgeBase) -> None:
    toml = tmp_path / "actors.toml"
    toml.write_text('''
[[actor]]
name = "Helen Whitaker"
aliases = ["Whitaker"]
country = "AUS"
sector = "GOV"
roles = [{title = "Foreign Minister", country = "AUS", sector = "GOV", since = "2025-05-01"}]

[[actor]]
name = "Andrés Rivera"
country = "COL"
sector = "GOV"
aliases = ["Rivera", "Commissioner Rivera"]
''', "utf-8")
    user = kb.load_user_file(toml)
    k = base.with_user(user)
    assert k.lookup("Whitaker") == ("AUS", "GOV")  # the user supplied the sector
    w = k.find("Helen Whitaker")
    assert w is not None and w.from_user and w.roles[0].first_reported == "2025-05-01"
    assert w.articles == [corpus()[3].article.id]  # learnt evidence is kept
    assert k.find("Rivera") is k.find("Andrés Rivera")  # the user settled the ambiguity
    js = tmp_path / "actors.json"
    js.write_text(json.dumps({"actors": [{"name": "Ana Costa", "type": "PERSON", "country": "BRA",
                                          "sector": "LEG"}]}), "utf-8")
    assert base.with_user(kb.load_user_file(js)).lookup("Ana Costa") == ("BRA", "LEG")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"aliases": []}]', "utf-8")
    with pytest.raises(ConfigError, match="needs a 'name'"):
        kb.load_user_file(bad)


def test_from_store_and_profile(tmp_path) -> None:
    with open_store(":memory:") as store:
        for r in corpus():
            store.put(r, source_id=r.article.title)
        k = kb.kb_from_store(store)
        assert k.lookup("Secretary Blinken") == ("USA", "GOV")
        p = kb.actor_profile(store, "Blinken", k)
        assert p is not None and p.actor.name == "Antony Blinken"
        assert [(e.date, e.role, e.type, e.others) for e in p.events] == [
            ("2021-04-14", "actor", "CONSULT", ["Jens Stoltenberg"])]
        assert [q.text for q in p.quotes] == ["Together we went in"]
        assert p.co_actors == [("Jens Stoltenberg", 1)]
        s = kb.actor_profile(store, "Stoltenberg", k)
        assert s is not None and [(e.role, e.others) for e in s.events] == [("target", ["Antony Blinken"])]
        assert kb.actor_profile(store, "Nobody", k) is None


def test_module_lookup_uses_the_installed_kb(base: kb.KnowledgeBase) -> None:
    kb.set_default(None)
    assert kb.lookup("Santoso") is None
    kb.set_default(base)
    try:
        assert kb.lookup("Santoso") == ("IDN", "GOV")
    finally:
        kb.set_default(None)
