"""BM25 over passages and their headings, with English stemming and stop words.

bm25s computes every (word, passage) score when the index is built; the build saves them as
arrays (`bm25.npz`), and a question is scored from those arrays with numpy alone, so loading an
index neither re-indexes the corpus nor imports bm25s and scipy.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from ..guide.chunking import Passage
from ..guide.text import STOPWORDS, stemmer

LEXICAL = "bm25.npz"

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class LexicalIndex:
    """Scores every passage for a query by BM25, from per-word score columns (a CSC matrix:
    column `w` holds `data[indptr[w]:indptr[w + 1]]` for passages `indices[…]`)."""

    def __init__(
        self, words: list[str], stopwords: frozenset[str], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, size: int
    ) -> None:
        if len(indptr) != len(words) + 1 or len(data) != len(indices) or int(indptr[-1]) != len(data):
            raise ValueError("BM25 arrays disagree")
        self.words = words
        self.vocabulary = {word: column for column, word in enumerate(words)}
        self.stopwords = stopwords
        self.data, self.indices, self.indptr = data, indices, indptr
        self.size = size

    @classmethod
    def build(cls, passages: list[Passage]) -> LexicalIndex:
        """Index the passages (with their headings) with bm25s."""
        import bm25s

        # bm25s sets its own logger to DEBUG on import, so "Building index from IDs objects" reaches
        # whatever handler the application configured (the CLI's stderr); give the level back to the app.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)
        stopwords = sorted(STOPWORDS | set(bm25s.stopwords.STOPWORDS_EN))
        documents = [" ".join(p.section) + "\n" + p.text for p in passages]
        model = bm25s.BM25()
        model.index(bm25s.tokenize(documents, stopwords=stopwords, stemmer=stemmer(), show_progress=False), show_progress=False)
        scores = model.scores
        words = sorted(model.vocab_dict, key=model.vocab_dict.__getitem__)
        columns = len(scores["indptr"]) - 1  # bm25s numbers an empty word last and gives it no column
        if [model.vocab_dict[w] for w in words] != list(range(len(words))) or any(words[columns:]):
            raise ValueError("bm25s numbered its vocabulary in an unexpected way")
        words = words[:columns]
        return cls(
            words,
            frozenset(stopwords),
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"], dtype=np.int32),
            np.asarray(scores["indptr"], dtype=np.int64),
            int(scores["num_docs"]),
        )

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(
                handle,
                words=_joined(self.words),
                stopwords=_joined(sorted(self.stopwords)),
                data=self.data,
                indices=self.indices,
                indptr=self.indptr,
                size=np.int64(self.size),
            )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        """The index `save` wrote (raises OSError, ValueError or KeyError when it is unreadable)."""
        with np.load(path, allow_pickle=False) as saved:
            return cls(
                _split(saved["words"], len(saved["indptr"]) - 1),
                frozenset(_split(saved["stopwords"])) - {""},
                saved["data"],
                saved["indices"],
                saved["indptr"],
                int(saved["size"]),
            )

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of each passage, in passage order (zeros when no query word is indexed)."""
        # The same steps as bm25s.tokenize (lower-case, \w\w+ words, stop words, stemming) and as
        # bm25s's scoring (each query word's column added in turn, float32), bit for bit.
        words = [w for w in _TOKEN.findall(query.lower()) if w not in self.stopwords]
        scores = np.zeros(self.size, dtype=np.float32)
        for token in stemmer().stemWords(words):
            column = self.vocabulary.get(token)
            if column is not None:
                start, end = self.indptr[column], self.indptr[column + 1]
                np.add.at(scores, self.indices[start:end], self.data[start:end])
        return scores


def _joined(words: list[str]) -> np.ndarray:
    """Words as one UTF-8 byte array ("\\n" between them): loads far faster than an array of strings."""
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8)


def _split(data: np.ndarray, count: int | None = None) -> list[str]:
    return [] if count == 0 else data.tobytes().decode("utf-8").split("\n")
