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
