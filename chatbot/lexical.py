"""BM25 over passages and their headings (bm25s), with English stemming and stop words."""

from __future__ import annotations

import logging
import re

import numpy as np

from .chunking import Passage
from .text import STOPWORDS

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class LexicalIndex:
    """Scores every passage for a query by BM25; built in memory at load (milliseconds)."""

    def __init__(self, passages: list[Passage]) -> None:
        import bm25s
        import Stemmer

        # bm25s sets its own logger to DEBUG on import, so "Building index from IDs objects" reaches
        # whatever handler the application configured (the CLI's stderr); give the level back to the app.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._stopwords = sorted(STOPWORDS | set(bm25s.stopwords.STOPWORDS_EN))
        self._stopword_set = frozenset(self._stopwords)
        documents = [" ".join(p.section) + "\n" + p.text for p in passages]
        self.model = bm25s.BM25()
        self.model.index(self._tokenize(documents), show_progress=False)
        self.size = len(passages)

    def _tokenize(self, texts: list[str]):
        return self._bm25s.tokenize(texts, stopwords=self._stopwords, stemmer=self._stemmer, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of each passage, in passage order (zeros when no query word is indexed)."""
        # The same steps as bm25s.tokenize (lower-case, \w\w+ words, stop words, stemming), without its
        # per-call progress-bar set-up, which costs more than the scoring itself on a small guide.
        words = [w for w in _TOKEN.findall(query.lower()) if w not in self._stopword_set]
        tokens = [t for t in self._stemmer.stemWords(words) if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)
