"""Near-duplicate bodies: word shingles, MinHash band keys, and the same-story test.

Copies of one story (a wire story rerun with a trimmed ending, an added paragraph, light
edits, or only its lead) share most of their word shingles. Candidates are found by LSH:
two MinHash sketches per body, one of the whole body and one of its lead (so a lead-only
copy, whose Jaccard similarity to the full story is small, still meets it), each cut into
bands whose hashes are the band keys kept in the warehouse. A candidate is then verified
exactly on the two bodies' shingles: most of the shorter body's shingles must be in the
longer one (containment), which covers rewrites, trimmed copies and lead-only copies alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flows.text.normalise import normalise_body

_MERSENNE = np.uint64((1 << 61) - 1)
_MASK32 = np.uint64(0xFFFFFFFF)


@dataclass(frozen=True)
class StoryRules:
    """How bodies are sketched and when two of them are one story (chosen by bench/dedup.py)."""

    shingle_words: int = 3
    body_bands: int = 16
    lead_bands: int = 8
    band_rows: int = 4
    lead_words: int = 30
    min_containment: float = 0.7
    min_shared: int = 15  # shingles shared, so that short bodies need real overlap

    def band_keys(self, body: str) -> list[int]:
        """The LSH band keys of the body's sketch and of its lead's."""
        return self._band_keys(_words(body), self.shingles(body))

    def band_keys_of_normalised(self, normalised: str) -> list[int]:
        """band_keys of a body already normalised (flows.text.normalise); nothing is cached."""
        words = normalised.split()
        return self._band_keys(words, _shingle_hashes(words, self.shingle_words))

    def _band_keys(self, words: Sequence[str], shingles: np.ndarray) -> list[int]:
        body_sketch = _minhash(shingles, self.body_bands * self.band_rows)
        lead = words[: self.lead_words]
        lead_sketch = _minhash(_shingle_hashes(lead, self.shingle_words), self.lead_bands * self.band_rows)
        return _bands(body_sketch, self.band_rows, "body") + _bands(lead_sketch, self.band_rows, "lead")

    def same_story(self, body: str, other: str) -> bool:
        """Exact check on the shingles: the shorter body is mostly contained in the longer."""
        mine, theirs = self.shingles(body), self.shingles(other)
        shared = len(np.intersect1d(mine, theirs, assume_unique=True))
        return shared >= self.min_shared and shared / min(len(mine), len(theirs)) >= self.min_containment

    def shingles(self, body: str) -> np.ndarray:
        return _body_shingles(body, self.shingle_words)


RULES = StoryRules()  # the pipeline's: band keys stored by one set of rules must be matched by the same


@dataclass(frozen=True)
class Presketched:
    """RULES, with the band keys of some bodies already computed (at extraction, in the
    worker processes, from the body they normalised for its content hash anyway)."""

    keys: Mapping[str, Sequence[int]]  # body -> its band keys under RULES

    def band_keys(self, body: str) -> list[int]:
        known = self.keys.get(body)
        return list(known) if known else RULES.band_keys(body)

    def same_story(self, body: str, other: str) -> bool:
        return RULES.same_story(body, other)


# Enough for a load's new bodies and their candidates. A news body's words and shingles
# take about 125 KB, so a cache of thousands would hold hundreds of MB through a long run.
_BODIES_CACHED = 512


@lru_cache(maxsize=_BODIES_CACHED)
def _body_shingles(body: str, size: int) -> np.ndarray:
    return _shingle_hashes(_words(body), size)


@lru_cache(maxsize=_BODIES_CACHED)
def _words(body: str) -> tuple[str, ...]:
    """The body normalised once, however often it is sketched and checked."""
    return tuple(normalise_body(body).split())


def _shingle_hashes(words: Sequence[str], size: int) -> np.ndarray:
    """Sorted unique 64-bit hashes of every run of `size` words (the whole text when shorter)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    tokens = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    count = max(len(tokens) - size + 1, 1)
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(min(size, len(tokens))):
            combined = combined * np.uint64(1_000_003) + tokens[offset : offset + count]
    return np.unique(combined)


@lru_cache(maxsize=1 << 16)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


@lru_cache(maxsize=8)
def _permutations(count: int) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) pairs for (a*x + b) mod 2^61-1, derived from hashlib rather than a random
    generator, so they stay the same across processes and library versions (keys are stored)."""

    def draw(name: str, low: int) -> np.ndarray:
        values = [low + _word_hash(f"{name}{index}") % (int(_MERSENNE) - low) for index in range(count)]
        return np.array(values, dtype=np.uint64)

    return draw("minhash-a", 1), draw("minhash-b", 0)


def _minhash(shingles: np.ndarray, count: int) -> np.ndarray:
    a, b = _permutations(count)
    if not len(shingles):
        return np.full(count, _MASK32, dtype=np.uint64)
    with np.errstate(over="ignore"):
        values = _mod_mersenne(np.outer(shingles & _MASK32, a) + b) & _MASK32
    minimum: np.ndarray = values.min(axis=0)
    return minimum


def _mod_mersenne(values: np.ndarray) -> np.ndarray:
    """values % (2^61 - 1) in place, by shifts and adds instead of a division (several
    times faster): 2^61 = 1 modulo 2^61 - 1, so the bits above 61 fold onto the rest."""
    folded = values >> np.uint64(61)
    values &= _MERSENNE
    values += folded
    values[values >= _MERSENNE] -= _MERSENNE
    return values


def _bands(sketch: np.ndarray, rows: int, kind: str) -> list[int]:
    """One signed 64-bit key per band of `rows` values, tagged with the band's place and kind."""
    keys = []
    for index in range(len(sketch) // rows):
        band = sketch[index * rows : (index + 1) * rows].astype("<u4").tobytes()
        digest = hashlib.blake2b(band, digest_size=8, person=f"{kind}{index}".encode()).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return keys
