"""Ratios to the plain baseline scripts, and the speed targets checked against the figures."""

from __future__ import annotations

# (name, figure path, limit, unit): the speed targets of these 2-core machines.
TARGETS = (
    ("warm answer p50", "warm.total_ms.p50", 15.0, "ms"),
    ("warm answer p50 / plain ONNX baseline", "warm.ratio_to_baseline_onnx", 1.3, "x"),
    ("cold start to first ask answer", "cold_start.ask_s", 3.0, "s"),
    ("no-change rebuild beyond start-up", "build.rebuild_beyond_startup_s", 1.0, "s"),
    ("query p50 at 100k passages", "large.rank.chosen.total_ms.p50", 30.0, "ms"),
    ("recall@10 of exact search at 100k", "large.rank.chosen.recall_at_10", 0.99, ">="),
    ("peak memory of serve", "memory.serve_peak_mib", 700.0, "MiB"),
)


def add_ratios(results: dict) -> None:
    """Cold start and memory divided by the plain baseline scripts' (latencies carry their own)."""
    cold = results["cold_start"]
    cold["ratio_to_baseline_onnx"] = cold["ask_s"] / cold["baseline_onnx_s"]
    cold["ratio_to_baseline_st"] = cold["ask_s"] / cold["baseline_st_s"]
    memory = results["memory"]
    memory["ask_ratio_to_baseline_st"] = memory["ask_peak_mib"] / memory["baseline_st_peak_mib"]
    if memory["serve_peak_mib"]:
        memory["serve_ratio_to_baseline_st"] = memory["serve_peak_mib"] / memory["baseline_st_peak_mib"]


def check_targets(results: dict) -> list[dict]:
    """Each of TARGETS with its figure from `results` and whether it is met (None: not measured)."""
    out = []
    for name, path, limit, unit in TARGETS:
        value = _lookup(results, path)
        met = None if value is None else (value >= limit if unit == ">=" else value <= limit)
        out.append({"target": name, "figure": path, "value": value, "limit": limit, "unit": unit, "met": met})
    return out


def _lookup(results: dict, path: str):
    value = results
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value
