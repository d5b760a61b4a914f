"""The whole bench in order: each measurement into one dict of figures."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from chatbot.index.load import ENCODER

from .builds import build_throughput, guide_builds
from .encoding import corpus_texts, encode_throughput
from .latency import warm_and_baselines
from .memory import memory
from .options import QUESTIONS, BenchOptions
from .scale import large_index
from .startup import cold_start, import_check
from .targets import add_ratios, check_targets
from .threads import thread_settings

log = logging.getLogger(__name__)


def run(options: BenchOptions, work: Path) -> dict:
    """Measure everything into `work` (a scratch folder) and return the figures, with the seconds
    each stage of the bench took (`stage_s`: where a slow bench run goes)."""
    started = time.perf_counter()
    results: dict = {"environment": environment(), "options": {**options.__dict__}, "questions": len(QUESTIONS)}
    stages: dict[str, float] = {}

    def timed(stage: str, measure, *args):
        begun = time.perf_counter()
        value = measure(*args)
        stages[stage] = round(time.perf_counter() - begun, 1)
        return value

    # Subprocesses first, while this process is small: a child's ru_maxrss starts from its
    # parent's high-water mark at spawn (Linux copies it across fork and exec).
    settings, results["build"] = timed("build", guide_builds, work, options)
    results["cold_start"] = timed("cold_start", cold_start, settings, options)
    log.info("checking what `ask` imports")
    results["imports"] = timed("imports", import_check, settings, options)
    results["memory"] = timed("memory", memory, settings, options, results)

    from chatbot.answering.assistant import Assistant

    assistant = Assistant.load(settings)
    assistant.warm_up()
    results["threads"] = timed("threads", thread_settings, assistant, options)
    # before torch: its OpenMP pool would share the cores
    results["large"] = timed("large", large_index, assistant.index, options)
    results["warm"], results["baseline"] = timed("warm", warm_and_baselines, assistant, options)
    results["throughput"] = timed("throughput", build_throughput, assistant.index, work, options)
    log.info("bulk encode against a bare ONNX Runtime loop")
    texts = corpus_texts(work / "synthetic-corpus", options.encode_texts, seed=options.seed)
    results["encode"] = timed("encode", encode_throughput, assistant.index.folder / ENCODER, texts)
    add_ratios(results)
    results["targets"] = check_targets(results)
    results["environment"]["load_after"] = os.getloadavg()
    results["stage_s"] = stages
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


def environment() -> dict:
    """Versions, CPUs and load average of the machine the figures come from."""
    import platform

    import faiss
    import onnxruntime

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
        "faiss": faiss.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
        "pythondontwritebytecode": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }
