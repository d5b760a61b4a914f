"""Subprocesses timed from the outside: first output byte, exit, peak memory; and cProfile runs."""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chatbot.settings import ROOT, Settings

from .options import BenchOptions
from .stats import MIB


@dataclass(frozen=True)
class Process:
    """A finished subprocess: time to its first output byte, time to exit, peak memory, output."""

    first_output_s: float
    exit_s: float
    peak_mib: float
    stdout: str
    stderr: str


def run_process(args: Sequence[str], *, env: dict | None = None, timeout: float = 600.0) -> Process:
    """Run `args` from the project folder; raise RuntimeError with its stderr if it fails."""
    variables = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", **(env or {})}
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(list(args), cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, env=variables)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        first = process.stdout.read(1)
        first_output = time.perf_counter() - start
        rest = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        exited = time.perf_counter() - start
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stdout.close()
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {errors.strip()[-2000:]}")
    return Process(
        first_output if first else exited, exited, usage.ru_maxrss / MIB, (first + rest).decode("utf-8", "replace"), errors
    )


def chatbot_command(python: str, command: str, settings: Settings, *extra: str) -> list[str]:
    """`python -m chatbot <command>` on the index and corpus of `settings`."""
    return [python, "-m", "chatbot", command, "--index", str(settings.index_dir), "--corpus", str(settings.corpus_dir), *extra]


def profile_command(args: Sequence[str], options: BenchOptions, out: Path, *, top: int = 12) -> dict:
    """cProfile a `python -m chatbot …` run: the project's functions by cumulative time, and the
    calls with the most time of their own (imports count as the module's top level)."""
    import pstats

    run_process([options.python, "-m", "cProfile", "-o", str(out), *args[1:]])
    stats = pstats.Stats(str(out))
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in stats.stats.items():
        name = f"{_short(filename)}:{line}({function})" if line else function
        rows.append({"function": name, "calls": calls, "cumulative_s": round(cumulative, 4), "own_s": round(own, 4)})
    project = [r for r in rows if r["function"].startswith("chatbot/") and "(<module>)" not in r["function"]]
    return {
        "total_s": round(stats.total_tt, 4),
        "chatbot_by_cumulative": sorted(project, key=lambda r: -r["cumulative_s"])[:top],
        "by_own_time": sorted(rows, key=lambda r: -r["own_s"])[:top],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/chatbot/"):
        if marker in filename:
            return ("chatbot/" if marker == "/chatbot/" else "") + filename.split(marker, 1)[1]
    return filename
