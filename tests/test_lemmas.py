"""The memoised lemmatizer gives spaCy's own lemmas, token by token."""

from __future__ import annotations

import warnings

import spacy
from conftest import EVAL
from spacy.language import Language

from wirewatch.nlp import lemmas
from wirewatch.settings import load_settings


def test_pipeline_uses_memoised_lemmatizer(nlp):
    assert lemmas.NAME in nlp.pipe_names
    assert "lemmatizer" not in nlp.pipe_names  # loaded, disabled: it answers new keys only
    assert "lemmatizer" in nlp.component_names


def test_same_lemmas_as_spacy(nlp):
    stock = spacy.load(load_settings().model)
    texts = [p.read_text("utf-8") for p in sorted((EVAL / "dev").glob("*.txt"))]
    texts.append("Ministers were meeting; the talks, which had stalled, resumed. Better days? The U.N.'s envoys said so.")
    # twice: the second pass is answered from the memo
    for _ in range(2):
        ours = [[t.lemma_ for t in d] for d in nlp.pipe(texts)]
        theirs = [[t.lemma_ for t in d] for d in stock.pipe(texts)]
        assert ours == theirs
    assert sum(map(len, ours)) > 5000
    assert len(nlp.get_pipe(lemmas.NAME).memo) > 1000


def test_lemma_set_earlier_is_kept(nlp):
    """Like spaCy's (overwrite=False): a lemma already on the token stays."""
    doc = nlp.make_doc("They were talking")  # no POS: the rules give the lower-cased word
    doc[1].lemma_ = "custom"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # spaCy warns that the tokens have no POS
        nlp.get_pipe(lemmas.NAME)(doc)
    assert [t.lemma_ for t in doc] == ["they", "custom", "talking"]


def test_other_lemmatizers_left_alone():
    """Only spaCy's rule and lookup lemmatizers are memoised: another may read more than the key."""
    blank = spacy.blank("en")
    lemmas.memoise(blank)  # no lemmatizer at all
    assert blank.pipe_names == []
    if not Language.has_factory("test_own_lemmas"):
        Language.component("test_own_lemmas", func=lambda doc: doc)
    own = spacy.blank("en")
    own.add_pipe("test_own_lemmas", name="lemmatizer")
    lemmas.memoise(own)
    assert own.pipe_names == ["lemmatizer"]


def test_empty_doc(nlp):
    assert len(nlp("")) == 0
