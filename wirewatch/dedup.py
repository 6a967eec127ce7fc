"""Exact and near-duplicate detection, so each story copy is analysed once and linked, not lost.

Exact duplicates share the article id (sha256 of the normalised text).
Near duplicates - syndicated wire copies with a new headline, a trimmed
paragraph, a different dateline - are found with MinHash LSH (datasketch) over
word shingles. The index lives in memory and is rebuilt on start from the
signatures the store keeps beside each article (`Store.iter_signatures`), so a
restarted ingest sees exactly what was stored before it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from datasketch import MinHash, MinHashLSH

if TYPE_CHECKING:
    from .store.base import Store

log = logging.getLogger(__name__)

# 4-word shingles: long enough that two different stories in the same house style
# rarely share them, short enough that an edited sentence changes only a few.
SHINGLE_WORDS = 4
# 128 permutations keep the Jaccard estimate within about ±0.09 (1/sqrt(128)).
NUM_PERM = 128
# Measured on 4-shingles: a wire copy with a new dateline, one trimmed and one edited sentence
# scores 0.76 (tests/test_dedup.py); distinct dev articles at most 0.004, and independently written
# reports of the same event ~0. 0.6 leaves room for the ±0.09 MinHash estimate error.
THRESHOLD = 0.6
# Pinned so stored signatures stay comparable whatever datasketch's default becomes.
SCHEME = "affine32"

WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `Deduper.classify` decided about one article."""

    kind: Literal["new", "exact", "near"]
    original_id: str | None = None  # the first copy, for "exact" and "near"
    similarity: float = 1.0
    minhash: MinHash | None = None  # for "new": admit() it, and store `signature_bytes(minhash)`


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    words = WORD.findall(text.lower())
    if len(words) <= k:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i:i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


class Deduper:
    """Decides new / exact / near for each incoming article, against the store and the in-flight ones."""

    def __init__(self, *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM):
        self.threshold = threshold
        self.num_perm = num_perm
        self._template = MinHash(num_perm=num_perm, scheme=SCHEME)
        self._dtype = self._template.hashvalues.dtype
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Admitted but not yet stored: id -> minhash (bounded by the ingest's in-flight limit).
        self._pending: dict[str, MinHash] = {}
        self.size = 0

    def minhash(self, text: str) -> MinHash:
        m = MinHash(num_perm=self.num_perm, permutations=self._template.permutations, scheme=SCHEME)
        m.update_batch(list(shingles(text)))
        return m

    def signature_bytes(self, m: MinHash) -> bytes:
        return np.asarray(m.hashvalues, dtype=self._dtype).tobytes()

    def from_bytes(self, sig: bytes) -> MinHash | None:
        values = np.frombuffer(sig, dtype=self._dtype)
        if len(values) != self.num_perm:
            return None
        return MinHash(num_perm=self.num_perm, hashvalues=values.copy(), permutations=self._template.permutations,
                       scheme=SCHEME)

    def load(self, store: Store) -> int:
        """Rebuild the index from the store's signatures; returns how many were loaded."""
        n = skipped = 0
        with self._lsh.insertion_session() as session:
            for aid, sig in store.iter_signatures():
                m = self.from_bytes(sig)
                if m is None:
                    skipped += 1
                    continue
                if aid not in self._lsh:
                    session.insert(aid, m)
                    n += 1
        if skipped:
            log.warning("%d stored signatures were made with another num_perm and are not indexed", skipped)
        self.size += n
        return n

    def classify(self, article_id: str, text: str, store: Store | None = None) -> Verdict:
        """new, exact (same id stored or in flight) or near (a similar text stored or in flight)."""
        if article_id in self._pending or (store is not None and store.has_article(article_id)):
            return Verdict("exact", original_id=article_id)
        m = self.minhash(text)
        best: tuple[float, str] | None = None
        for cand in self._lsh.query(m):
            other = self._pending.get(cand) or (self._stored_minhash(store, cand) if store else None)
            sim = m.jaccard(other) if other is not None else self.threshold
            if best is None or (sim, cand) > best:
                best = (sim, cand)
        if best is not None and best[0] >= self.threshold:
            return Verdict("near", original_id=best[1], similarity=round(float(best[0]), 4))
        return Verdict("new", minhash=m)

    def _stored_minhash(self, store: Store, article_id: str) -> MinHash | None:
        rows = store.execute("SELECT sig FROM minhashes WHERE article_id = ?", (article_id,))
        return self.from_bytes(bytes(rows[0][0])) if rows else None

    def admit(self, article_id: str, m: MinHash) -> None:
        """Index a new article as soon as it is sent for analysis, so later copies link to it."""
        self._pending[article_id] = m
        if article_id not in self._lsh:
            self._lsh.insert(article_id, m)
            self.size += 1

    def in_flight(self, article_id: str) -> bool:
        """Admitted and not yet stored (links to it must wait until it is)."""
        return article_id in self._pending

    def stored(self, article_id: str) -> None:
        """The article is durable: its signature is now in the store."""
        self._pending.pop(article_id, None)

    def failed(self, article_id: str) -> None:
        """Analysis failed: forget it, so a later copy becomes the first copy."""
        self._pending.pop(article_id, None)
        if article_id in self._lsh:
            self._lsh.remove(article_id)
            self.size -= 1
