"""Hybrid retrieval: dense passage and sentence similarity fused with BM25 over headings and text."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .index import LoadedIndex
from .lexical import LexicalIndex
from .query import Query

# Fusion weights, each score on a 0..1 scale (cosine for dense, BM25 divided by its maximum).
PASSAGE_WEIGHT = 0.35
SENTENCE_WEIGHT = 0.45
LEXICAL_WEIGHT = 0.20
CANDIDATES = 64


@dataclass(frozen=True)
class Ranking:
    """Passage ids best first with their fused scores, plus the evidence behind them."""

    ids: np.ndarray
    scores: np.ndarray
    query_vector: np.ndarray
    sentence_scores: np.ndarray  # cosine of every sentence row with the query
    dense_best: float  # highest passage-or-sentence cosine
    lexical_best: float  # highest raw BM25 score
    timings_ms: dict[str, float]


class Retriever:
    """Ranks the index's passages for a query."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.lexical = LexicalIndex(index.passages)

    def rank(self, query: Query) -> Ranking:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        vector = self.index.encoder.encode([query.dense])
        timings["encode"] = _since(start)

        start = time.perf_counter()
        n = len(self.index.passages)
        dense = _search_all(self.index.passage_vectors, vector, n)
        sentences = _search_all(self.index.sentence_vectors, vector, self.index.sentence_vectors.ntotal)
        best_sentence = np.maximum.reduceat(sentences, self.index.sentence_offsets) if n else sentences
        timings["dense"] = _since(start)

        start = time.perf_counter()
        bm25 = self.lexical.scores(query.lexical)
        timings["lexical"] = _since(start)

        start = time.perf_counter()
        top = float(bm25.max()) if bm25.size else 0.0
        lexical = bm25 / top if top > 0 else bm25
        fused = PASSAGE_WEIGHT * dense + SENTENCE_WEIGHT * best_sentence + LEXICAL_WEIGHT * lexical
        order = np.argsort(-fused, kind="stable")
        timings["fusion"] = _since(start)
        return Ranking(
            ids=order,
            scores=fused[order],
            query_vector=vector[0],
            sentence_scores=sentences,
            dense_best=float(max(dense.max(initial=0), best_sentence.max(initial=0))),
            lexical_best=top,
            timings_ms=timings,
        )


def _search_all(index, vector: np.ndarray, count: int) -> np.ndarray:
    """Similarity of the query with every row (exact), in row order."""
    if count == 0:
        return np.zeros(0, dtype=np.float32)
    k = min(count, max(CANDIDATES, count))
    scores, rows = index.search(vector, k)
    out = np.full(count, float(scores[0][-1]) if k < count else -1.0, dtype=np.float32)
    keep = rows[0] >= 0
    out[rows[0][keep]] = scores[0][keep]
    return out


def _since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
