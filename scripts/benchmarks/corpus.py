"""One corpus folder end to end: build time and peak memory, whether the progress bar's estimate
held, cold `ask` (load + answer) and warm answers.

    .venv/bin/python scripts/bench.py --corpus DIR     # e.g. a folder from scripts/synthetic_corpus.py
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from chatbot.settings import Settings

from .encoding import corpus_texts, encode_table_rows, encode_throughput
from .options import QUESTIONS, BenchOptions
from .processes import chatbot_command, profile_command, run_process
from .stats import ask_new, median, summary, timed

log = logging.getLogger(__name__)

# one tqdm refresh: "<desc>:  12%|███  | 1.2M/9.8M [00:30<03:40, 40.1kchar/s]"
_BAR = re.compile(r"(?:^|\r)([^\r\n|]*?):?\s*(\d+)%\|[^|]*\|[^\[\r\n]*\[([\d:]+)<([\d:]+|\?)")
ESTIMATE_POINTS = (5, 10, 25, 50, 75)


def corpus_bench(corpus: Path, work: Path, options: BenchOptions) -> dict:
    """Build `corpus` into `work`/index from scratch, then time `ask` cold and warm against it."""
    settings = Settings(corpus_dir=corpus, index_dir=work / "index", feedback_db=work / "feedback.sqlite3")
    log.info("building %s from scratch (progress bars parsed from stderr)", corpus)
    build = run_process(chatbot_command(options.python, "build-index", settings, "--force"), timeout=7200)
    figures: dict = {
        "corpus": str(corpus),
        "corpus_mb": sum(p.stat().st_size for p in corpus.iterdir() if p.is_file()) / 1e6,
        "build": {
            "seconds": build.exit_s,
            "peak_mib": build.peak_mib,
            "report": build.stdout.strip(),
            "progress": progress_estimates(build.stderr),
        },
    }
    log.info("timing cold `ask`")
    interpreter = median(run_process([options.python, "-c", "pass"]).exit_s for _ in range(options.cold_runs))
    runs = [
        run_process(chatbot_command(options.python, "ask", settings, QUESTIONS[n % len(QUESTIONS)]))
        for n in range(options.cold_runs)
    ]
    figures["cold_ask"] = {
        "exit_s": median(r.exit_s for r in runs),
        "runs_s": [round(r.exit_s, 3) for r in runs],
        "interpreter_s": interpreter,
        "beyond_interpreter_s": median(r.exit_s for r in runs) - interpreter,
        "peak_mib": max(r.peak_mib for r in runs),
    }
    if options.profile:
        figures["cold_ask"]["profile"] = profile_command(
            chatbot_command(options.python, "ask", settings, QUESTIONS[0]), options, work / "ask.prof"
        )
    log.info("bulk encode of %d of its texts against a bare ONNX Runtime loop", options.encode_texts)
    from chatbot.index.load import ENCODER, live_folder

    texts = corpus_texts(corpus, options.encode_texts, seed=options.seed)
    figures["encode"] = encode_throughput(live_folder(settings.index_dir) / ENCODER, texts)
    log.info("timing warm answers")
    from chatbot.answering.assistant import Assistant

    load_ms = []
    assistant = None
    for _ in range(2):  # the second load reads files from the page cache, as `ask` usually does

        def load() -> None:
            nonlocal assistant
            assistant = Assistant.load(settings)

        load_ms.append(timed(load))
    assistant.warm_up()
    warm = [timed(lambda q=q: ask_new(assistant, q)) for _ in range(options.repeats) for q in QUESTIONS]
    figures["warm"] = {"load_in_process_ms": load_ms[-1], **{f"{k}_ms" if k != "n" else k: v for k, v in summary(warm).items()}}
    return figures


def progress_estimates(stderr: str) -> dict:
    """For the longest progress bar of a build: its real duration and, at a few points, the total
    duration its estimate (elapsed + remaining) predicted."""
    bars: dict[str, list[tuple[int, float, float | None]]] = {}
    for match in _BAR.finditer(stderr):
        name, percent, elapsed, remaining = match.groups()
        remaining_s = None if remaining == "?" else _seconds(remaining)
        bars.setdefault(name.strip() or "?", []).append((int(percent), _seconds(elapsed), remaining_s))
    if not bars:
        return {}
    name, points = max(bars.items(), key=lambda item: item[1][-1][1])
    actual = points[-1][1]
    predicted = {}
    for target in ESTIMATE_POINTS:
        at = next((p for p in points if p[0] >= target and p[2] is not None), None)
        if at is not None:
            predicted[f"at_{target}%_s"] = at[1] + at[2]
    return {"bar": name, "actual_s": actual, "predicted_total": predicted}


def _seconds(clock: str) -> float:
    seconds = 0.0
    for part in clock.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


def corpus_table(figures: dict) -> str:
    """The corpus figures as a short table."""
    build, cold, warm, progress = figures["build"], figures["cold_ask"], figures["warm"], figures["build"]["progress"]
    predicted = progress.get("predicted_total", {})
    estimates = ", ".join(f"{k.removeprefix('at_').removesuffix('_s')} {v / 60:.1f} min" for k, v in predicted.items())
    rows = [
        ("corpus", f"{figures['corpus']} ({figures['corpus_mb']:.1f} MB)"),
        ("build from scratch", f"{build['seconds'] / 60:.1f} min ({build['report']})"),
        ("build peak memory", f"{build['peak_mib']:.0f} MiB"),
        (
            f"progress bar '{progress.get('bar', '-')}'",
            f"took {progress.get('actual_s', 0) / 60:.1f} min; estimated total at {estimates or '-'}",
        ),
        ("cold ask, process start to exit", f"{cold['exit_s']:.2f} s (runs {cold['runs_s']})"),
        ("  beyond interpreter start-up", f"{cold['beyond_interpreter_s']:.2f} s (bare {cold['interpreter_s']:.2f} s)"),
        ("  peak memory", f"{cold['peak_mib']:.0f} MiB"),
        ("warm answer p50 / p95", f"{warm['p50_ms']:.1f} / {warm['p95_ms']:.1f} ms ({warm['n']} answers)"),
        ("  Assistant.load in process (files cached)", f"{warm['load_in_process_ms']:.0f} ms"),
    ]
    rows += [(label, f"{value}; {note}") for label, value, note in encode_table_rows(figures["encode"])]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label:<{width}}  {value}" for label, value in rows]
    if "profile" in cold:
        lines += ["", "cold ask, cProfile (project functions by cumulative time):"]
        lines += [f"  {r['cumulative_s']:7.3f} s  {r['function']}" for r in cold["profile"]["chatbot_by_cumulative"][:8]]
    return "\n".join(lines)
