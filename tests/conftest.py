"""Shared fixtures: the real spaCy model, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def extractor():
    from wirewatch.nlp.pipeline import Extractor

    return Extractor()


@pytest.fixture(scope="session")
def nlp(extractor):
    return extractor.nlp


@pytest.fixture(scope="session")
def analyse_text(extractor):
    """Analyse a hand-written text into a record (published date optional)."""
    from wirewatch.nlp.pipeline import extract

    def run(text: str, published: str | None = "2021-04-15", title: str | None = None):
        return extract(text, published=published, title=title, extractor=extractor)

    return run


# --- the store contract suite runs on SQLite and on a real PostgreSQL (issue 4) ---

import os  # noqa: E402

PG_ENV = "WIREWATCH_TEST_PG"


def _pg_base_url() -> str:
    """The test server's URL; without it PostgreSQL tests skip locally and fail loudly in CI."""
    url = os.environ.get(PG_ENV)
    if url:
        return url
    msg = f"{PG_ENV} is not set: start a server with `eval \"$(.ci/postgres.sh)\"`"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(msg + " (required in CI)", pytrace=False)
    pytest.skip(msg)


@pytest.fixture
def pg_url():
    """A fresh, empty schema on the test PostgreSQL server, as a store URL; dropped afterwards."""
    from wirewatch.store.postgres import scratch_schema

    with scratch_schema(_pg_base_url(), "t_") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    """A fresh store URL on each back end: the same tests must pass on both."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url):
    from wirewatch.store import open_store

    s = open_store(store_url)
    yield s
    s.close()
