"""Bulk encoding against the model's own speed: the build's `OnnxEncoder.encode_batched` (every
core, batches of a few fixed shapes, tokenized a chunk ahead) and a bare ONNX Runtime loop (its
default session, the texts tokenized first, length-sorted batches of 32 padded to their longest),
over the same texts in the same run, in alternating slices so both see the same load."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

SLICES = 4  # each side encodes a quarter of the texts at a time, alternately


def encode_throughput(encoder: Path, texts: list[str]) -> dict:
    """texts/s and CPU seconds of the build's bulk encode and of a bare ONNX Runtime loop."""
    from chatbot.index.onnx_encoder import OnnxEncoder
    from chatbot.index.steps import cores

    bulk, bare = OnnxEncoder(encoder, bulk=True), BareLoop(encoder)
    bulk.encode_batched(texts[:64], workers=cores()), bare.encode(texts[:64])  # warm both sessions
    bare.tokens = 0
    load_before = os.getloadavg()
    timings = {"build": [0.0, 0.0], "bare": [0.0, 0.0]}  # wall, CPU seconds
    gap = 0.0
    for number in range(SLICES):
        part = texts[number::SLICES]
        runs = [("build", lambda p=part: bulk.encode_batched(p, workers=cores())), ("bare", bare.encode)]
        for name, encode in runs if number % 2 == 0 else runs[::-1]:
            wall, cpu = time.perf_counter(), time.process_time()
            vectors = encode(part) if name == "bare" else encode()
            timings[name][0] += time.perf_counter() - wall
            timings[name][1] += time.process_time() - cpu
            if name == "bare":
                reference = vectors
            else:
                ours = vectors
        gap = max(gap, float(np.abs(ours - reference).max()))
    figures = {
        name: {"texts_per_s": len(texts) / wall, "wall_s": wall, "cpu_s": cpu, "cpu_ms_per_text": 1000 * cpu / len(texts)}
        for name, (wall, cpu) in timings.items()
    }
    return {
        "texts": len(texts),
        "tokens": bare.tokens,
        "cores": cores(),
        **figures,
        "ratio_to_bare": figures["build"]["texts_per_s"] / figures["bare"]["texts_per_s"],
        "cpu_ratio_to_bare": figures["build"]["cpu_s"] / figures["bare"]["cpu_s"],
        "max_vector_gap": gap,
        "load_before": load_before,
        "load_after": os.getloadavg(),
    }


def corpus_texts(corpus: Path, limit: int, *, seed: int = 0) -> list[str]:
    """Up to `limit` of the distinct texts a build of `corpus` embeds, a seeded sample."""
    from chatbot.guide.chunking import chunk_documents
    from chatbot.guide.corpus import load_corpus
    from chatbot.index.load import embed_text, heading_embed_text, sentence_embed_texts

    passages = chunk_documents(load_corpus(corpus))
    texts = sorted({t for p in passages for t in (embed_text(p), heading_embed_text(p), *sentence_embed_texts(p))})
    np.random.default_rng(seed).shuffle(texts)  # type: ignore[arg-type]
    return texts[:limit]


class BareLoop:
    """What a tutorial would write: ONNX Runtime's default session (its own thread count), the
    texts tokenized first, batches of 32 sorted by length and padded to their longest."""

    def __init__(self, encoder: Path) -> None:
        import json

        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((encoder / "encoder.json").read_text(encoding="utf-8"))
        self.inputs, self.dimension = config["inputs"], int(config["dimension"])
        self.tokenizer = Tokenizer.from_file(str(encoder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(config["max_tokens"]))
        self.session = onnxruntime.InferenceSession(str(encoder / "model.onnx"), providers=["CPUExecutionProvider"])
        self.tokens = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        self.tokens += sum(len(i) for i in ids)
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), 32):
            rows = order[start : start + 32]
            width = max(len(ids[r]) for r in rows)
            batch = np.zeros((len(rows), width), dtype=np.int64)
            for j, r in enumerate(rows):
                batch[j, : len(ids[r])] = ids[r]
            mask = _mask(rows, ids, width)
            feeds = {"input_ids": batch, "attention_mask": mask, "token_type_ids": np.zeros_like(batch)}
            hidden = self.session.run(None, {name: feeds[name] for name in self.inputs})[0]
            weights = mask.astype(np.float32)[:, :, None]
            vectors = (hidden * weights).sum(axis=1) / weights.sum(axis=1).clip(min=1.0)
            out[rows] = vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(min=1e-12)
        return out


def _mask(rows: np.ndarray, ids: list[list[int]], width: int) -> np.ndarray:
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, r in enumerate(rows):
        mask[j, : len(ids[r])] = 1
    return mask


def encode_table_rows(figures: dict) -> list[tuple[str, str, str]]:
    """(label, value, note) rows for a report."""
    build, bare = figures["build"], figures["bare"]
    return [
        (
            f"bulk encode ({figures['texts']:,} texts, {figures['tokens']:,} tokens, {figures['cores']} cores)",
            f"{build['texts_per_s']:.0f} texts/s",
            f"{figures['ratio_to_bare']:.2f}x bare ONNX Runtime loop ({bare['texts_per_s']:.0f} texts/s); "
            f"CPU {build['cpu_ms_per_text']:.1f} vs {bare['cpu_ms_per_text']:.1f} ms/text "
            f"({figures['cpu_ratio_to_bare']:.2f}x); load {figures['load_before'][0]:.1f}",
        )
    ]
