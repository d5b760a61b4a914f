"""Hybrid retrieval: dense passage, sentence and heading similarity, BM25, and the bank's questions.

Candidates come from the top of each signal (FAISS for the dense ones, BM25 for the lexical one,
the bank for its answered questions); each candidate is then scored exactly on all of them and
ranked by a weighted sum whose weights are the index's fitted `Tuning`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..guide.query import Query
from .lexical import LexicalIndex

if TYPE_CHECKING:
    from .load import LoadedIndex
    from .recent_vectors import RecentVectors

CANDIDATES = 50  # per signal
EXHAUSTIVE_MAX_PASSAGES = 2_000  # up to this size every passage is scored, straight from memory


@dataclass(frozen=True)
class Ranking:
    """Candidate passage ids best first with their fused scores, plus the evidence behind them."""

    ids: np.ndarray
    scores: np.ndarray
    dense: np.ndarray  # passage cosine, aligned with ids
    sentence: np.ndarray  # best sentence cosine, aligned with ids
    lexical: np.ndarray  # BM25 / max BM25, aligned with ids
    sentence_scores: dict[int, float]  # sentence row -> cosine, for every candidate's sentences
    quote_scores: dict[int, float]  # the same for the message's own question (differs for follow-ups)
    bank_sims: np.ndarray  # cosine of the question with every bank question
    confidence: float  # best fused score
    vector: np.ndarray  # the vector of the message's own question (`Query.own`)
    timings_ms: dict[str, float]


class Retriever:
    """Ranks the index's passages for a query."""

    def __init__(self, index: LoadedIndex, vectors: RecentVectors) -> None:
        self.index = index
        self.vectors = vectors  # the index's query encoder, with the assistant's memory of recent texts
        self.lexical = index.lexical
        self.counts = np.bincount(index.sentence_owner, minlength=len(index.passages)).astype(np.int64)
        self.exhaustive = len(index.passages) <= EXHAUSTIVE_MAX_PASSAGES
        if self.exhaustive:
            self.passage_matrix = index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal)
            self.sentence_matrix = index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)

    def rank(self, query: Query) -> Ranking:
        timings: dict[str, float] = {}
        start = time.perf_counter()
        vectors = self.vectors.encode([query.dense] if query.own == query.dense else [query.dense, query.own])
        vector = vectors[:1]
        timings["encode"] = _since(start)

        start = time.perf_counter()
        index = self.index
        if self.exhaustive:
            ids = np.arange(len(index.passages))
            passage_matrix = self.passage_matrix
            rows = np.arange(len(self.sentence_matrix))
            sentence_matrix = self.sentence_matrix
        else:
            _, passage_ids = index.passage_vectors.search(vector, CANDIDATES)
            _, sentence_rows = index.sentence_vectors.search(vector, CANDIDATES)
        timings["dense_search"] = _since(start)

        start = time.perf_counter()
        bm25 = self.lexical.scores(query.lexical)
        timings["lexical"] = _since(start)

        start = time.perf_counter()
        # a follow-up ("and what about certification?") is compared with the bank's questions as read
        # with its context (that decides whether the guide answers) and alone: a passage's bank signal is
        # the nearer of the two, since the bank's questions stand alone
        every_sims = index.bank.vectors @ vectors.T
        bank_sims = every_sims[:, 0]
        bank = index.bank.passage_scores(every_sims.max(axis=1), len(index.passages))
        if not self.exhaustive:
            lexical_top = np.argpartition(-bm25, min(CANDIDATES, len(bm25)) - 1)[:CANDIDATES]
            owners = index.sentence_owner[sentence_rows[0][sentence_rows[0] >= 0]]
            bank_top = np.argsort(-bank)[:CANDIDATES]
            ids = np.unique(
                np.concatenate(
                    [
                        passage_ids[0][passage_ids[0] >= 0],
                        owners,
                        lexical_top[bm25[lexical_top] > 0],
                        bank_top[bank[bank_top] > 0],
                    ]
                )
            )
            passage_matrix = index.passage_vectors.reconstruct_batch(ids)
            rows = np.concatenate([np.arange(index.sentence_offsets[i], index.sentence_offsets[i] + self.counts[i]) for i in ids])
            sentence_matrix = index.sentence_vectors.reconstruct_batch(rows)
        starts = np.concatenate([[0], np.cumsum(self.counts[ids])[:-1]])
        dense, sims, sentence, heading, lexical = _signals(
            vector[0], passage_matrix, sentence_matrix, index.heading_vectors[ids], bm25[ids], starts
        )
        weights = index.tuning.weights
        fused = weights @ np.vstack([dense, sentence, heading, lexical, bank[ids]])
        own_sims = sims
        if len(vectors) > 1:  # a follow-up: a passage scores the mean of the question read with its context and alone
            own_dense, own_sims, own_sentence, own_heading, _ = _signals(
                vectors[1], passage_matrix, sentence_matrix, index.heading_vectors[ids], bm25[ids], starts
            )
            fused = (fused + weights @ np.vstack([own_dense, own_sentence, own_heading, lexical, bank[ids]])) / 2
        order = np.argsort(-fused, kind="stable")
        timings["fusion"] = _since(start)
        return Ranking(
            ids=ids[order],
            scores=fused[order],
            dense=dense[order],
            sentence=sentence[order],
            lexical=lexical[order],
            sentence_scores=dict(zip(rows.tolist(), sims.tolist())),
            quote_scores=dict(zip(rows.tolist(), own_sims.tolist())),
            bank_sims=bank_sims,
            vector=vectors[-1],
            confidence=float(fused.max()) if len(fused) else 0.0,
            timings_ms=timings,
        )


def _signals(vector, passages, sentences, headings, bm25, starts):
    """Dense passage, sentence rows, best sentence, heading and lexical scores."""
    dense = passages @ vector
    sims = sentences @ vector
    sentence = np.maximum.reduceat(sims, starts)
    heading = headings @ vector
    return dense, sims, sentence, heading, _normalized_bm25(bm25)


def _normalized_bm25(bm25: np.ndarray) -> np.ndarray:
    """BM25 divided by the question's best BM25 score (zeros when no word matched)."""
    top = float(bm25.max()) if len(bm25) else 0.0
    return bm25 / top if top > 0 else np.zeros(len(bm25), dtype=np.float32)


def guide_signals(index: LoadedIndex, lexical: LexicalIndex, vectors: np.ndarray, texts: list[str]) -> np.ndarray:
    """(question, signal, passage): every passage's passage, sentence, heading and lexical signal for
    many questions at once (the fit asks the whole bank)."""
    passages = index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal)
    sentences = index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)
    counts = np.bincount(index.sentence_owner, minlength=len(index.passages))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    out = np.zeros((len(vectors), 4, len(index.passages)), dtype=np.float32)
    for i, (vector, text) in enumerate(zip(vectors, texts)):
        dense, _, sentence, heading, lex = _signals(
            vector, passages, sentences, index.heading_vectors, lexical.scores(text), starts
        )
        out[i] = (dense, sentence, heading, lex)
    return out


def _since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
