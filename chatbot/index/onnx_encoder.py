"""Questions (and a build's texts) encoded by the exported model with ONNX Runtime and the
`tokenizers` library: starts in a fraction of a second, no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .embedding import whole_words

BATCH_CHARS = 16_384  # padded characters in one batch of a bulk encode (~4,000 tokens)


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
        return whole_words(self.tokenizer.get_vocab())

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
