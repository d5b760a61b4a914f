"""The query encoder with a memory of the texts it encoded lately.

A follow-up is read against up to three earlier turns of its conversation, so without a memory
every turn encodes those turns again (follow-ups' p50 in `chatbot eval`: 17.9 ms without, 11.6 ms
with). The query
encoder encodes each text on its own (no padding to a batch), so a remembered vector is the very
vector encoding would give again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from .embedding import Encoder

# 4,096 texts x 384 floats = 6 MiB of vectors, plus the texts (at most 1,000 characters each: a
# message is cut there): enough for the recent turns of a few hundred conversations at once.
RECENT_TEXTS = 4_096


class RecentVectors:
    """`encode` as the query encoder's, remembering the last `size` texts' vectors (thread-safe)."""

    def __init__(self, encoder: Callable[[], Encoder], size: int = RECENT_TEXTS) -> None:
        if size < 1:
            raise ValueError(f"size must be at least 1, not {size}")
        self._encoder = encoder  # called on the first miss: the encoder loads lazily
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of `texts`, one row a text; only the texts not remembered are encoded."""
        if not texts:
            return np.zeros((0, self._encoder().dimension), dtype=np.float32)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            new = [_kept(row) for row in self._encoder().encode(missing)]
            found.update(zip(missing, new))
            with self._lock:
                for text, vector in zip(missing, new):
                    self._vectors[text] = vector
                    self._vectors.move_to_end(text)
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        with self._lock:
            self.hits += len(texts) - len(missing)
            self.misses += len(missing)
        return np.vstack([found[t] for t in texts])

    def forget(self) -> None:
        """Drop every remembered vector (a benchmark that times encoding starts each question with this)."""
        with self._lock:
            self._vectors.clear()

    def __len__(self) -> int:
        return len(self._vectors)


def _kept(row: np.ndarray) -> np.ndarray:
    """A read-only copy of one row: callers share it, and it holds no whole batch in memory."""
    kept = np.array(row)
    kept.setflags(write=False)
    return kept
