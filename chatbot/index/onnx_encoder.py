"""Questions (and a build's texts) encoded by the exported model with ONNX Runtime and the
`tokenizers` library: starts in a fraction of a second, no torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .batching import Batch, Tokens, token_batches
from .embedding import whole_words

CHUNK_TEXTS = 8192  # texts tokenized at a time by a bulk encode, a chunk ahead of the model


class OnnxEncoder:
    """The exported model run by ONNX Runtime on one thread; starts fast, no torch."""

    def __init__(self, folder: Path, *, bulk: bool = False) -> None:
        """`bulk` for encoding a corpus in batches of a few fixed shapes (`encode_batched`): ONNX
        Runtime's arena then holds the largest batch's activations and reuses them, with no
        per-shape memory plan (a plan per shape would keep them all)."""
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
        self.inputs: list[str] = config["inputs"]
        self.pooling: str = config["pooling"]
        self.dimension = int(config["dimension"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.max_tokens = int(config["max_tokens"])
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        if bulk:
            options.enable_mem_pattern = False
        self.session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        rows = [self._encode_one(text) for text in texts]
        return np.vstack(rows) if rows else np.zeros((0, self.dimension), dtype=np.float32)

    def encode_batched(
        self,
        texts: list[str],
        *,
        batch_size: int = 32,
        workers: int = 1,
        progress: bool = False,
        seed: int = 0,
        chunk: int = CHUNK_TEXTS,
    ) -> np.ndarray:
        """Many texts at once, as a build embeds a corpus: tokenized `chunk` texts at a time, a chunk ahead in a thread of its
        own, padded to a few fixed lengths (`batching.py`), and run by `workers` threads at once
        (ONNX Runtime releases the GIL; each run uses one core). `batch_size` is unused: a batch
        holds as many texts as fit its token budget.

        Batches run in a shuffled order within each chunk, so the progress bar's rate, and its
        estimate, hold from the start."""
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        rng = np.random.default_rng(seed)

        def tokenize(start: int) -> tuple[int, Tokens, list[Batch]]:
            tokens = Tokens.of([e.ids for e in self.tokenizer.encode_batch(texts[start : start + chunk])])
            batches = token_batches(tokens.lengths, max_tokens=self.max_tokens)
            rng.shuffle(batches)  # type: ignore[arg-type]
            return start, tokens, batches

        def run(start: int, tokens: Tokens, batch: Batch) -> int:
            ids, mask = tokens.padded(batch.rows, batch.length)
            out[start + batch.rows] = self._pooled(ids, mask)
            return len(batch.rows)

        with (
            tqdm(total=len(texts), desc="Embedding", unit="text", disable=not progress) as bar,
            ThreadPoolExecutor(1) as reader,
            ThreadPoolExecutor(max(1, workers)) as pool,
        ):
            ahead = reader.submit(tokenize, 0) if texts else None
            while ahead is not None:
                start, tokens, batches = ahead.result()
                following = start + chunk
                ahead = reader.submit(tokenize, following) if following < len(texts) else None
                for done in pool.map(run, [start] * len(batches), [tokens] * len(batches), batches):
                    bar.update(done)
        return out

    def _pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Unit vectors of one padded batch."""
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {name: feeds[name] for name in self.inputs})[0]
        if self.pooling == "cls":
            vectors = hidden[:, 0]
        else:
            weights = mask.astype(np.float32)
            vectors = (weights[:, None, :] @ hidden)[:, 0] / np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

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
