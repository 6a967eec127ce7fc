"""Exact and near-duplicate detection, so each story copy is analysed once and linked, not lost.

Exact duplicates share the article id (sha256 of the normalised text).
Near duplicates - syndicated wire copies with a new headline, a trimmed
paragraph, a different dateline - are found with MinHash LSH (datasketch) over
word shingles. The index of stored articles lives in the store (one row per LSH
band of each signature, `band_keys`), written in the article's own transaction,
so a restarted ingest sees exactly what was stored before it and memory stays
flat however large the store grows.
"""

from __future__ import annotations

import hashlib
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
# The on-disk index bands a signature into BANDS bands of ROWS values each. Fixed, not derived
# from the threshold, so stored keys stay valid when --near-threshold changes: a pair at Jaccard
# 0.6 shares a band with probability 1 - (1 - 0.6^4)^32 = 0.99 (0.87 at 0.5), and every candidate
# is then checked against the threshold on its full signature.
ROWS = 4


def band_keys(signature: bytes) -> list[int]:
    """Signed 64-bit keys of a signature's LSH bands (band number included, so bands never collide)."""
    width = ROWS * 4  # 32-bit hash values
    return [int.from_bytes(hashlib.blake2b(bytes((b,)) + signature[o:o + width], digest_size=8).digest(),
                           "big", signed=True)
            for b, o in enumerate(range(0, len(signature) - width + 1, width))]


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
    """Decides new / exact / near for each incoming article, against the store and the in-flight ones.

    Stored articles are looked up through the store's band index (`Store.near_candidates`), so
    memory does not grow with the store; only the articles in flight (admitted, not yet stored,
    bounded by the ingest's queue) sit in an in-memory LSH.
    """

    def __init__(self, *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM):
        self.threshold = threshold
        self.num_perm = num_perm
        self._template = MinHash(num_perm=num_perm, scheme=SCHEME)
        self._dtype = self._template.hashvalues.dtype
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        # Admitted but not yet stored: id -> minhash (bounded by the ingest's in-flight limit).
        self._pending: dict[str, MinHash] = {}
        self.size = 0  # articles in the in-memory (in-flight) index

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
        """Make sure every stored signature is in the store's band index (stores written before it
        existed); returns how many were added."""
        n = store.band_missing_signatures()
        if n:
            log.info("banded %d stored signatures for the near-duplicate index", n)
        return n

    def classify(self, article_id: str, text: str, store: Store | None = None) -> Verdict:
        """new, exact (same id stored or in flight) or near (a similar text stored or in flight)."""
        if article_id in self._pending or (store is not None and store.has_article(article_id)):
            return Verdict("exact", original_id=article_id)
        m = self.minhash(text)
        scored = [(m.jaccard(self._pending[c]), c) for c in self._lsh.query(m) if c in self._pending]
        if store is not None:
            for cand, sig in store.near_candidates(band_keys(self.signature_bytes(m))):
                other = self.from_bytes(sig)
                if other is not None:
                    scored.append((m.jaccard(other), cand))
        best = max(scored, default=None)
        if best is not None and best[0] >= self.threshold:
            return Verdict("near", original_id=best[1], similarity=round(float(best[0]), 4))
        return Verdict("new", minhash=m)

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
        """The article is durable: its signature and bands are now in the store."""
        self._forget(article_id)

    def failed(self, article_id: str) -> None:
        """Analysis failed: forget it, so a later copy becomes the first copy."""
        self._forget(article_id)

    def _forget(self, article_id: str) -> None:
        self._pending.pop(article_id, None)
        if article_id in self._lsh:
            self._lsh.remove(article_id)
            self.size -= 1
