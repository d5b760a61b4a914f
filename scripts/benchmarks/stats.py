"""Figures from raw timings: a timed call, a median, a p50/p95 summary."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

MIB = 1024.0  # KiB per MiB: ru_maxrss and /proc/*/status count in KiB


def timed(call: Callable) -> float:
    """Milliseconds `call()` takes."""
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def ask_new(assistant, question: str):
    """`assistant.ask(question)` as if never asked before: the assistant remembers the vectors of
    recent questions, and a benchmark that repeats its questions times their encoding every time."""
    assistant.vectors.forget()
    return assistant.ask(question)


def median(values) -> float:
    """The median of `values` as a plain float."""
    return float(np.median(list(values)))


def summary(values) -> dict:
    """p50, p95 and count of `values` (None when there are none)."""
    values = list(values)
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "n": len(values)}
