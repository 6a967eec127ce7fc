"""Exact and near-duplicate detection, and rebuilding the index from the store."""

from __future__ import annotations

from wirewatch.dedup import Deduper, shingles
from wirewatch.models import Article, ArticleRecord
from wirewatch.read.files import text_id
from wirewatch.store import open_store

WIRE = (
    "KABUL, Afghanistan (AP) — Taliban fighters attacked a police checkpoint in the northern province of "
    "Kunduz on Tuesday, killing at least seven officers, a provincial spokesman said. The attack came hours "
    "after government negotiators arrived in Doha for a new round of talks with the insurgents. Officials said "
    "the fighters used rocket-propelled grenades and fled before reinforcements arrived. No group other than "
    "the Taliban operates in the area, the spokesman added, and the insurgents did not comment."
)
# The same wire story as a client paper ran it: another dateline and agency tag, one sentence trimmed, one edit.
COPY = (
    "KUNDUZ — Taliban fighters attacked a police checkpoint in the northern province of "
    "Kunduz on Tuesday, killing at least seven officers, a provincial spokesman said. The attack came hours "
    "after government negotiators arrived in Doha for a new round of talks with the insurgents. Officials said "
    "the fighters used rocket-propelled grenades and fled before reinforcements could arrive. No group other than "
    "the Taliban operates in the area, the spokesman added."
)
# Another article about the same event, written independently.
OTHER = (
    "Seven police officers were killed when insurgents stormed a checkpoint in Kunduz province late on Tuesday, "
    "Afghan officials said, as peace negotiators gathered in the Qatari capital. The Taliban did not claim the "
    "assault, but a spokesman for the provincial governor blamed the group and said grenades were used."
)


def test_shingles():
    assert shingles("One two three four five") == {b"one two three four", b"two three four five"}
    assert shingles("Short text") == {b"short text"}


def test_new_exact_near():
    d = Deduper()
    v = d.classify(text_id(WIRE), WIRE)
    assert v.kind == "new" and v.minhash is not None
    d.admit(text_id(WIRE), v.minhash)
    # exact: the same text, whitespace and case aside, has the same id
    same = "  " + WIRE.upper().replace(" ", "\n", 3)
    assert text_id(same) == text_id(WIRE)
    assert d.classify(text_id(same), same).kind == "exact"
    near = d.classify(text_id(COPY), COPY)
    assert near.kind == "near" and near.original_id == text_id(WIRE) and near.similarity >= d.threshold
    assert d.classify(text_id(OTHER), OTHER).kind == "new"


def test_failed_original_frees_its_copies():
    d = Deduper()
    v = d.classify(text_id(WIRE), WIRE)
    d.admit(text_id(WIRE), v.minhash)
    d.failed(text_id(WIRE))
    assert d.classify(text_id(COPY), COPY).kind == "new"
    assert d.size == 0


def test_signatures_round_trip_and_index_rebuilds_from_store(tmp_path):
    d = Deduper()
    m = d.minhash(WIRE)
    sig = d.signature_bytes(m)
    assert len(sig) == d.num_perm * 4
    assert d.from_bytes(sig).jaccard(m) == 1.0
    assert d.from_bytes(sig[:-4]) is None  # another num_perm: ignored, not misread

    db = str(tmp_path / "s.db")
    store = open_store(db)
    art = Article(text=WIRE)
    art.id = text_id(WIRE)
    store.put(ArticleRecord(article=art), source_id="wire", signature=sig)
    store.close()

    store = open_store(db)  # a restart: a fresh Deduper finds stored articles through the store's band index
    fresh = Deduper()
    assert fresh.load(store) == 0  # put() banded the signature in the article's transaction
    with store.transaction() as run:
        run("DELETE FROM minhash_bands", ())  # a store written before the band table existed ...
    assert fresh.load(store) == 1  # ... is banded on start
    assert fresh.load(store) == 0
    assert fresh.classify(art.id, WIRE, store).kind == "exact"
    v = fresh.classify(text_id(COPY), COPY, store)
    assert (v.kind, v.original_id) == ("near", art.id)
    assert 0.6 <= v.similarity < 1.0
    assert fresh.classify(text_id(OTHER), OTHER, store).kind == "new"
    store.close()


def test_stored_articles_leave_memory_and_are_found_in_the_store(tmp_path):
    d = Deduper()
    with open_store(str(tmp_path / "s.db")) as store:
        v = d.classify(text_id(WIRE), WIRE, store)
        d.admit(text_id(WIRE), v.minhash)
        assert d.size == 1 and d.in_flight(text_id(WIRE))
        art = Article(text=WIRE)
        art.id = text_id(WIRE)
        store.put(ArticleRecord(article=art), source_id="wire", signature=d.signature_bytes(v.minhash))
        d.stored(art.id)
        assert d.size == 0 and not d.in_flight(art.id)  # nothing of it is kept in memory
        near = d.classify(text_id(COPY), COPY, store)
        assert (near.kind, near.original_id) == ("near", art.id)
        assert d.classify(text_id(OTHER), OTHER, store).kind == "new"
