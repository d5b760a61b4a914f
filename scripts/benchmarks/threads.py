"""Thread settings: ONNX Runtime intra-op threads, FAISS threads, two callers at once, and the
typo corrector's cost on a large vocabulary."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

import numpy as np

from .options import QUESTIONS, BenchOptions
from .stats import ask_new, summary, timed

log = logging.getLogger(__name__)


def thread_settings(assistant, options: BenchOptions) -> dict:
    """Single-question encode with 1 or 2 ONNX Runtime threads; warm answers with 1 or 2 FAISS threads."""
    import faiss
    import onnxruntime
    from tokenizers import Tokenizer

    log.info("comparing thread settings")
    folder = assistant.index.folder / "encoder"
    config = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    encodings = [tokenizer.encode(q) for q in QUESTIONS]
    feeds = [
        {
            name: np.array([getattr(e, attr)], dtype=np.int64)
            for name, attr in (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))
            if name in config["inputs"]
        }
        for e in encodings
    ]
    sessions = {}
    for threads in (1, 2):
        session_options = onnxruntime.SessionOptions()
        session_options.intra_op_num_threads = threads
        session_options.inter_op_num_threads = 1
        sessions[str(threads)] = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), session_options, providers=["CPUExecutionProvider"]
        )
        sessions[str(threads)].run(None, feeds[0])
    onnx: dict[str, list[float]] = {name: [] for name in sessions}
    answers: dict[str, list[float]] = {"1": [], "2": []}
    default = faiss.omp_get_max_threads()
    for _ in range(options.repeats):  # the settings take turns, so that both see the same load
        for feed, question in zip(feeds, QUESTIONS):
            for name, session in sessions.items():
                onnx[name].append(timed(lambda session=session, feed=feed: session.run(None, feed)))
            for name in answers:
                faiss.omp_set_num_threads(int(name))
                answers[name].append(timed(lambda question=question: ask_new(assistant, question)))
    faiss.omp_set_num_threads(default)
    onnx = {name: summary(values) for name, values in onnx.items()}
    answers = {name: summary(values) for name, values in answers.items()}
    concurrent = {name: _two_callers(session, feeds, options.repeats) for name, session in sessions.items()}
    return {
        "typo_corrector": typo_corrector(
            assistant, tokenizer_vocabulary=json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]
        ),
        "onnx_encode_ms_by_intra_op_threads": onnx,
        "onnx_encode_ms_two_callers_by_intra_op_threads": concurrent,  # as `serve` answers two at once
        "warm_answer_ms_by_faiss_threads": answers,
        "faiss_default_threads": default,
        "omp_num_threads_env": os.environ.get("OMP_NUM_THREADS", ""),
        "blas": _blas_threads(),
    }


def _two_callers(session, feeds: list[dict], repeats: int) -> dict:
    """Two threads encoding at once through one session: per-call latency and encodes per second."""
    latencies: list[float] = []

    def work() -> None:
        for _ in range(repeats):
            for feed in feeds:
                latencies.append(timed(lambda feed=feed: session.run(None, feed)))

    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return dict(summary(latencies), per_s=len(latencies) / (time.perf_counter() - start))


MISSPELLINGS = ("assistent", "certifcation", "salery", "externshipp", "injectons", "schedual", "phlebotamy", "vaccum")


def typo_corrector(assistant, *, tokenizer_vocabulary: dict) -> dict:
    """First-time cost of correcting a misspelt word (query.correct, difflib) against the guide's
    vocabulary and against one of ~20,000 English words (the model's, as a large corpus would have)."""
    from chatbot.guide.query import correct

    words = frozenset(w for w in tokenizer_vocabulary if w.isalpha() and w.islower() and len(w) >= 3)
    figures = {}
    for name, vocabulary in (("guide", assistant.reader.vocabulary), ("large", assistant.reader.vocabulary | words)):
        figures[f"{name}_vocabulary_words"] = len(vocabulary)
        figures[f"{name}_ms_per_word"] = summary(
            timed(lambda w=w, vocabulary=vocabulary: correct(w, vocabulary)) for w in MISSPELLINGS
        )
    return figures


def _blas_threads() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: info.get(k) for k in ("user_api", "internal_api", "num_threads", "filepath")} for info in threadpool_info()]
