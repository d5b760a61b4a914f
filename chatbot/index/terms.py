"""Which words of a question the guide never mentions: the terms a partly covered reply names.

A candidate is a content word of the question (as read: typos corrected) whose stem the guide
never uses, or an abbreviation whose spelled-out words the guide does not all use ("LPN": licensed
practical nurse). Whether it names something the guide does not cover ("ambulance", "CCMA", a
made-up word) or is a harmless paraphrase ("paycheck", "gig") is a logistic model over six
features (FEATURES), fitted at build time on the bank: the near misses' labeled
`missing` words are the positives, every candidate of an answered question a negative. Its
threshold is fitted by cross-validation over the bank's voices, flagging at most
`FALSE_FLAG_BOUND` of held-out answered questions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..guide.shorthand import ABBREVIATIONS
from ..guide.text import STOPWORDS, raw_words, stems, tokens

TERMS = "terms.json"
TERM_VECTORS = "terms.npy"
FEATURES = ("guide_similarity", "rarity", "centrality", "bank_seen", "capitalized", "english_like")
WORD_CACHE = 20_000  # word vectors kept; the cache starts afresh past this
ENGLISH_WORDS = 60_000  # the commonest English words a word unknown to English is compared with
FALSE_FLAG_BOUND = 0.05  # share of answered bank questions (held out) allowed a flagged word

Encode = Callable[[list[str]], np.ndarray]


@lru_cache(maxsize=1)
def _zipf():
    from wordfreq import zipf_frequency

    return zipf_frequency


@lru_cache(maxsize=1)
def _english_by_length() -> dict[int, list[str]]:
    from wordfreq import top_n_list

    out: dict[int, list[str]] = {}
    for word in top_n_list("en", ENGLISH_WORDS):
        if word.isalpha():
            out.setdefault(len(word), []).append(word)
    return out


def english_like(word: str) -> float:
    """1 for an English word; for one English never uses, its likeness (0–1) to the nearest common
    English word of about its length: a typo ("clinc") is near one, a made-up word ("blorbix") is not."""
    if _zipf()(word, "en") > 0:
        return 1.0
    from rapidfuzz import fuzz, process

    words = _english_by_length()
    pool = [w for n in range(len(word) - 2, len(word) + 3) for w in words.get(n, ())]
    best = process.extractOne(word, pool, scorer=fuzz.ratio) if pool else None
    return best[1] / 100 if best else 0.0


def rarity(word: str) -> float:
    """1 for a word English never uses, 0 for the commonest (wordfreq's Zipf scale, 0–8)."""
    return 1.0 - min(_zipf()(word, "en"), 8.0) / 8.0


def candidates(text: str, guide_stems: frozenset[str], typed: str = "") -> list[str]:
    """The content words of `text` (a question as read) whose stem the guide never uses, in order,
    once each; with `typed` (the question as typed), its abbreviations stand for their spelled-out
    words, and are candidates themselves when the guide lacks one of those words."""
    spelled: set[str] = set()
    short: list[str] = []
    for word in dict.fromkeys(w.lower().rstrip(".") for w in raw_words(typed)):
        if word in ABBREVIATIONS:
            expansion = [w for w in tokens(ABBREVIATIONS[word]) if w not in STOPWORDS]
            spelled.update(expansion)
            if word.isalpha() and len(word) > 1 and not all(stems([w]) & guide_stems for w in expansion):
                short.append(word)
    typed_words = {w.lower() for w in raw_words(typed)}
    words = [w for w in tokens(text) if w.replace("-", "").isalpha() and len(w) > 1 and w not in STOPWORDS]
    words = [w for w in words if w not in spelled or w in typed_words]
    return [w for w in dict.fromkeys(short + words) if w in short or not stems([w]) & guide_stems]


def capitalized(word: str, typed: str) -> bool:
    """Whether `typed` writes `word` with a capital past the sentence's first word ("NHA", "Texas")."""
    raw = raw_words(typed)
    return any(
        w.lower().rstrip(".") == word and any(ch.isupper() for ch in w) and (i > 0 or w.isupper()) for i, w in enumerate(raw)
    )


@dataclass(frozen=True)
class TermModel:
    """A fitted logistic model over FEATURES, its threshold, and the vocabulary it compares with."""

    coefficients: tuple[float, ...] = ()
    intercept: float = 0.0
    threshold: float = 1.1  # above any probability: nothing is flagged by an unfitted model
    guide_stems: frozenset[str] = frozenset()
    seen_stems: frozenset[str] = frozenset()  # stems of the answered bank questions' words
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), dtype=np.float32), repr=False)
    fitted_on: str = "not fitted"
    cv: dict[str, float] = field(default_factory=dict)
    _vectors: dict[str, np.ndarray] = field(default_factory=dict, compare=False, repr=False)  # words already encoded

    def features(
        self, words: Sequence[str], word_vectors: np.ndarray, question_vector: np.ndarray, typed: str = ""
    ) -> np.ndarray:
        """(word, feature) for candidate words with their vectors, the question's vector and the question as typed."""
        if not len(words):
            return np.zeros((0, len(FEATURES)), dtype=np.float32)
        similarity = (word_vectors @ self.vectors.T).max(axis=1) if len(self.vectors) else np.zeros(len(words))
        return np.column_stack(
            [
                similarity,
                [rarity(w) for w in words],
                word_vectors @ question_vector,
                [float(bool(stems([w]) & self.seen_stems)) for w in words],
                [float(capitalized(w, typed)) for w in words],
                [english_like(w) for w in words],
            ]
        ).astype(np.float32)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        if not self.coefficients or not len(x):
            return np.zeros(len(x))
        return 1.0 / (1.0 + np.exp(-(x @ np.asarray(self.coefficients) + self.intercept)))

    def scored(self, text: str, encode: Encode, typed: str = "", vector: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Every candidate word of `text` (a question as read; `typed`, as typed; `vector`, its vector
        when already encoded) with the probability that it names something the guide lacks."""
        words = candidates(text, self.guide_stems, typed)
        if not words or not self.coefficients:
            return [(w, 0.0) for w in words]
        new = [w for w in words if w not in self._vectors] + ([text] if vector is None else [])
        if len(self._vectors) > WORD_CACHE:
            self._vectors.clear()
        self._vectors.update(zip(new, encode(new)) if new else ())
        question = self._vectors.pop(text) if vector is None else vector
        word_vectors = np.vstack([self._vectors[w] for w in words])
        return list(zip(words, self.probabilities(self.features(words, word_vectors, question, typed)).tolist()))

    def missing(self, text: str, encode: Encode, typed: str = "", vector: np.ndarray | None = None) -> tuple[str, ...]:
        """The words the guide never mentions, as typed, adjacent ones joined ("purple ribbon")."""
        flagged = {w for w, p in self.scored(text, encode, typed, vector) if p >= self.threshold}
        return phrases(typed or text, flagged)

    def save(self, folder: Path) -> None:
        data = {k: v for k, v in asdict(self).items() if k not in ("vectors", "_vectors")}
        data["guide_stems"], data["seen_stems"] = sorted(self.guide_stems), sorted(self.seen_stems)
        (folder / TERMS).write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        np.save(folder / TERM_VECTORS, np.asarray(self.vectors, dtype=np.float32), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path) -> TermModel:
        """The model `save` wrote (raises OSError, ValueError or KeyError when it is unreadable)."""
        data = json.loads((folder / TERMS).read_text(encoding="utf-8"))
        vectors = np.load(folder / TERM_VECTORS, allow_pickle=False)
        if len(data["coefficients"]) not in (0, len(FEATURES)):
            raise ValueError(f"{TERMS} was fitted on {len(data['coefficients'])} features, this version reads {len(FEATURES)}")
        return cls(
            coefficients=tuple(float(c) for c in data["coefficients"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            guide_stems=frozenset(data["guide_stems"]),
            seen_stems=frozenset(data["seen_stems"]),
            vectors=vectors,
            fitted_on=str(data["fitted_on"]),
            cv=dict(data["cv"]),
        )


def phrases(typed: str, flagged: set[str]) -> tuple[str, ...]:
    """Runs of flagged words as `typed` writes them ("NHA CCMA"); a flagged word the reader changed
    (a corrected typo) follows on its own."""
    out: list[list[str]] = []
    previous = False
    for raw in raw_words(typed):
        word = raw.lower().rstrip(".")
        if word in flagged:
            if previous:
                out[-1].append(raw)
            else:
                out.append([raw])
        previous = word in flagged
    found = {w.lower().rstrip(".") for run in out for w in run}
    return tuple(dict.fromkeys([" ".join(run) for run in out] + sorted(flagged - found)))
