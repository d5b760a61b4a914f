"""Warm answers by stage, interleaved with the plain baseline (encode, search a flat index)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import numpy as np

from .options import QUESTIONS, BenchOptions, model_path
from .stats import ask_new, summary

log = logging.getLogger(__name__)


def warm_answers(assistant, options: BenchOptions, *, baselines: dict | None = None) -> dict:
    """`assistant.ask` over QUESTIONS, `repeats` passes: p50/p95 of each stage and the total.

    Each of `baselines` (name -> PlainBaseline) answers the same question just before, so that
    both see the same load on the machine; their figures are under "baselines".
    """
    log.info("timing warm answers")
    baselines = baselines or {}
    stages: dict[str, list[float]] = {}
    first_pass: list[float] = []
    for repeat in range(options.repeats):
        for question in QUESTIONS:
            for baseline in baselines.values():
                baseline(question)
            start = time.perf_counter()
            answer = ask_new(assistant, question)
            wall = (time.perf_counter() - start) * 1000
            if not answer.timings_ms:  # answered without retrieval (greeting, medical advice…)
                continue
            timings = dict(answer.timings_ms, wall=wall)
            timings["other"] = timings["total"] - sum(v for k, v in answer.timings_ms.items() if k != "total")
            for stage, value in timings.items():
                stages.setdefault(stage, []).append(value)
            if repeat == 0:
                first_pass.append(timings["total"])
    figures = {f"{stage}_ms": summary(values) for stage, values in stages.items()}
    figures["retrieved"] = len(first_pass)
    figures["first_pass_total_ms"] = summary(first_pass)
    figures["baselines"] = {name: baseline.figures() for name, baseline in baselines.items()}
    for name, baseline in figures["baselines"].items():
        figures[f"ratio_to_baseline_{name}"] = figures["total_ms"]["p50"] / baseline["total_ms"]["p50"]
    return figures


class PlainBaseline:
    """What a tutorial builds: encode the question, search a flat FAISS index of the passages."""

    def __init__(self, encode: Callable, flat) -> None:
        self.encode, self.flat = encode, flat
        self.encoding: list[float] = []
        self.searching: list[float] = []
        encode([QUESTIONS[0]])

    def __call__(self, question: str) -> None:
        start = time.perf_counter()
        vector = np.asarray(self.encode([question]), dtype=np.float32)
        middle = time.perf_counter()
        self.flat.search(vector, 10)
        self.encoding.append((middle - start) * 1000)
        self.searching.append((time.perf_counter() - middle) * 1000)

    def figures(self) -> dict:
        total = [a + b for a, b in zip(self.encoding, self.searching)]
        return {"total_ms": summary(total), "encode_ms": summary(self.encoding), "search_ms": summary(self.searching)}


def warm_and_baselines(assistant, options: BenchOptions) -> tuple[dict, dict]:
    """Warm answers interleaved with the plain baselines: ONNX, and sentence-transformers `.encode`
    as a tutorial calls it (torch's default threads) and on one thread."""
    log.info("loading sentence-transformers for the plain baseline")
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(model_path()), device="cpu")
    default_threads = torch.get_num_threads()

    def st_encode(threads: int) -> Callable:
        def encode(texts: list[str]) -> np.ndarray:
            torch.set_num_threads(threads)
            return model.encode(texts, normalize_embeddings=True, show_progress_bar=False)

        return encode

    flat = _flat_copy(assistant.index.passage_vectors)
    # With several threads, torch's OpenMP workers spin after each call and would slow whatever
    # runs next; so that baseline runs on its own, the others in turn with each answer.
    tutorial = PlainBaseline(st_encode(default_threads), flat)
    for _ in range(options.repeats):
        for question in QUESTIONS:
            tutorial(question)
    baselines = {"onnx": PlainBaseline(assistant.index.encoder.encode, flat), "st_one_thread": PlainBaseline(st_encode(1), flat)}
    time.sleep(0.5)
    warm = warm_answers(assistant, options, baselines=baselines)
    warm["ratio_to_baseline_st"] = warm["total_ms"]["p50"] / tutorial.figures()["total_ms"]["p50"]
    torch.set_num_threads(default_threads)
    plain = dict(warm.pop("baselines"), st=tutorial.figures(), torch_default_threads=default_threads)
    return warm, plain


def _flat_copy(vectors):
    import faiss

    flat = faiss.IndexFlatIP(vectors.d)
    flat.add(vectors.reconstruct_n(0, vectors.ntotal))
    return flat
