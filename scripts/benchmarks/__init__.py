"""Where the time goes: cold start, warm answers by stage, index builds, memory, build
throughput and retrieval at 100,000 passages — each beside a plain baseline (encode the
question, search a FAISS flat index) so that every figure is also a ratio to it.

The figures come from the real model, the real guide and real subprocesses; only the large
corpora are synthetic (recombined guide sentences, perturbed copies of real vectors).
Used by `scripts/bench.py`; progress is logged, figures are returned as one dict.

    options     the questions, sizes and repeats        stats      timings -> p50/p95
    processes   timed subprocesses, cProfile runs       suite      run(): everything in order
    startup     cold start of `ask`, its imports        builds     index builds, build throughput
    latency     warm answers and the plain baseline     threads    ONNX/FAISS/torch thread settings
    memory      peak memory of `ask` and `serve`        synthetic  recombined corpora and vectors
    scale       retrieval at 100,000 passages           targets    ratios and the speed targets
    report      the table and the JSON
"""

from .options import QUESTIONS, BenchOptions
from .report import table, to_json
from .suite import run
from .synthetic import synthetic_passages, write_synthetic_corpus
from .targets import TARGETS

__all__ = [
    "QUESTIONS",
    "TARGETS",
    "BenchOptions",
    "run",
    "synthetic_passages",
    "table",
    "to_json",
    "write_synthetic_corpus",
]
