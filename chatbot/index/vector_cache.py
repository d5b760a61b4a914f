"""Text vectors for one build, by the sha256 of the text: the previous build's, else embedded now.

Each distinct text is embedded once (a sentence that is a whole passage too, a heading shared by
several passages) and every vector is held once, in one matrix, so a large corpus needs no more
memory than its vectors."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


class VectorCache:
    """Vectors by text hash; `encode` embeds the texts no earlier build had (called once per `embed`)."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], previous: tuple[list[str], np.ndarray] | None = None) -> None:
        self.encode = encode
        keys, matrix = previous if previous is not None else ([], None)
        self.rows: dict[str, int] = {key: row for row, key in enumerate(keys)}
        self.matrix = matrix
        self.used: set[str] = set()
        self.embedded = 0

    @property
    def reused(self) -> int:
        return len(self.used) - self.embedded

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector a text, in order (an empty (0, 0) matrix for no texts)."""
        keys = self.add(texts)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return self.matrix[[self.rows[k] for k in keys]]

    def add(self, texts: list[str]) -> list[str]:
        """Embed the texts that have no vector yet (in one call to `encode`); return every text's key."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        missing = dict(sorted({k: t for k, t in zip(keys, texts) if k not in self.rows}.items()))
        if missing:
            log.info("embedding %d new texts (%d reused)", len(missing), len(set(keys)) - len(missing))
            new = np.ascontiguousarray(self.encode(list(missing.values())), dtype=np.float32)
            start = 0 if self.matrix is None else len(self.matrix)
            self.rows.update((key, start + i) for i, key in enumerate(missing))
            self.matrix = new if not start else np.concatenate([self.matrix, new])
            self.embedded += len(missing)
        self.used.update(keys)
        return keys

    def save(self, path: Path, model_sha256: str) -> None:
        """The vectors this build used, for the next build to reuse."""
        used = sorted(self.used)
        vectors = self.matrix[[self.rows[k] for k in used]] if used else np.zeros((0, 0), dtype=np.float32)
        with path.open("wb") as handle:
            np.savez(handle, keys=np.array(used), vectors=vectors, model=model_sha256)


def read_cache(path: Path, model_sha256: str) -> tuple[list[str], np.ndarray] | None:
    """The keys and vectors a build saved with the same model; None when absent, unreadable or of another model."""
    try:
        with np.load(path) as data:
            if str(data["model"]) != model_sha256:
                return None
            keys, vectors = data["keys"].tolist(), np.ascontiguousarray(data["vectors"], dtype=np.float32)
    except (OSError, ValueError, KeyError):
        return None
    if len(keys) != len(vectors) or vectors.ndim != 2:
        return None
    return keys, vectors
