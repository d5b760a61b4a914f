"""Whether a message leans on an earlier turn of the conversation, and on which one.

Two logistic models, fitted at build time on labeled conversations written in the bank's voices
(`*.conversations.jsonl` beside the guide; `context_fit.py`): one reads the message's own vector
(what "how long does that take?" or "and the second one?" mean to the model) with its length and
its nearness to the earlier turns, and says whether it leans on them; the other picks the turn
from each turn's nearness to the message and how far back it is. No table of words decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..guide.text import STOPWORDS, tokens

CONTEXT = "context.json"
TURNS = 3  # earlier turns considered, the latest first

Encode = Callable[[list[str]], np.ndarray]


def lean_features(message: str, vector: np.ndarray, turn_vectors: np.ndarray) -> np.ndarray:
    """The features of "does this message lean on the conversation": its vector, its length in
    words and in content words, and its best cosine with an earlier turn."""
    words = tokens(message)
    content = [w for w in words if w not in STOPWORDS]
    nearest = float((turn_vectors @ vector).max()) if len(turn_vectors) else 0.0
    return np.concatenate([vector, [min(len(words), 20) / 10, min(len(content), 10) / 5, nearest]]).astype(np.float32)


def turn_features(vector: np.ndarray, turn_vectors: np.ndarray) -> np.ndarray:
    """(turn, feature) for the earlier turns, latest first: cosine with the message, how far back,
    and the cosine's gap to the nearest turn's."""
    sims = turn_vectors @ vector
    back = np.arange(len(sims), dtype=np.float32)
    return np.column_stack([sims, 1.0 / (1.0 + back), sims - sims.max()]).astype(np.float32)


@dataclass(frozen=True)
class ContextModel:
    """The two fitted models; unfitted, every message is read alone."""

    lean_coefficients: tuple[float, ...] = ()
    lean_intercept: float = 0.0
    lean_threshold: float = 0.5
    turn_coefficients: tuple[float, ...] = ()
    turn_intercept: float = 0.0
    fitted_on: str = "not fitted"
    cv: dict[str, float] = field(default_factory=dict)

    def leans_on(self, message: str, history: Sequence[str], encode: Encode) -> int | None:
        """The index in `history` (oldest first) of the turn `message` leans on, or None."""
        if not history or not self.lean_coefficients:
            return None
        turns = list(history)[-TURNS:][::-1]  # latest first
        vectors = encode([message, *turns])
        vector, turn_vectors = vectors[0], vectors[1:]
        if _sigmoid(lean_features(message, vector, turn_vectors) @ np.asarray(self.lean_coefficients) + self.lean_intercept) < (
            self.lean_threshold
        ):
            return None
        scores = turn_features(vector, turn_vectors) @ np.asarray(self.turn_coefficients) + self.turn_intercept
        back = int(np.argmax(scores))
        return len(history) - 1 - back

    def save(self, folder: Path) -> None:
        (folder / CONTEXT).write_text(json.dumps(asdict(self), indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ContextModel:
        """The model `save` wrote (raises OSError, ValueError or KeyError when it is unreadable)."""
        data = json.loads((folder / CONTEXT).read_text(encoding="utf-8"))
        return cls(
            lean_coefficients=tuple(float(c) for c in data["lean_coefficients"]),
            lean_intercept=float(data["lean_intercept"]),
            lean_threshold=float(data["lean_threshold"]),
            turn_coefficients=tuple(float(c) for c in data["turn_coefficients"]),
            turn_intercept=float(data["turn_intercept"]),
            fitted_on=str(data["fitted_on"]),
            cv=dict(data["cv"]),
        )


def _sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))
