"""Pick the guide's sentences that answer a question, and decide whether the guide answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import Passage
from .query import Query, content_words
from .retrieval import Ranking

QUOTE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3
QUOTE_MARGIN = 0.06  # a further sentence is quoted when it scores within this of the best
IN_SCOPE_MIN = 0.42  # below this fused score the guide is taken not to answer

_NUMERIC = re.compile(r"\b(how (much|many|long|often|fast|big|quickly)|what (percent|percentage|share|portion)|salary|pay|earn|wage|per (year|hour)|rate)\b", re.I)
_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class Selection:
    """The quoted sentences (text, passage) and whether the guide answers the question."""

    quotes: list[tuple[str, Passage]]
    in_scope: bool
    confidence: float


def select(query: Query, ranking: Ranking, passages: list[Passage], sentence_offsets: np.ndarray) -> Selection:
    """Best 1-3 sentences from the top passages; in scope when the best passage is close enough."""
    numeric = bool(_NUMERIC.search(query.interpreted_as))
    wanted = set(content_words(query.lexical))
    candidates: list[tuple[float, str, Passage]] = []
    for rank, (pid, fused) in enumerate(zip(ranking.ids[:QUOTE_POOL], ranking.scores[:QUOTE_POOL])):
        passage = passages[int(pid)]
        first = int(sentence_offsets[int(pid)])
        for j, sentence in enumerate(passage.sentences):
            words = set(content_words(sentence))
            overlap = len(words & wanted) / (len(words) ** 0.5 + 1)
            score = ranking.sentence_scores[first + j] + 0.5 * float(fused) + 0.15 * overlap
            if numeric and _NUMBER.search(sentence):
                score += 0.08
            candidates.append((score, sentence, passage))
    candidates.sort(key=lambda c: -c[0])
    best = candidates[0][0] if candidates else 0.0
    quotes = [(s, p) for score, s, p in candidates[:MAX_QUOTES] if score >= best - QUOTE_MARGIN]
    confidence = float(ranking.scores[0]) if len(ranking.scores) else 0.0
    return Selection(quotes=quotes, in_scope=confidence >= IN_SCOPE_MIN, confidence=confidence)
