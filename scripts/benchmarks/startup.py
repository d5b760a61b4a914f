"""Cold start of `python -m chatbot ask` beside plain ONNX and sentence-transformers scripts,
and what `ask` imports."""

from __future__ import annotations

import logging
from pathlib import Path

from chatbot.settings import Settings

from .options import QUESTIONS, BenchOptions, model_path
from .processes import Process, chatbot_command, profile_command, run_process
from .stats import median

log = logging.getLogger(__name__)

FORBIDDEN_ON_ASK = ("torch", "sentence_transformers", "transformers", "gradio", "gradio_client")


def cold_start(settings: Settings, options: BenchOptions) -> dict:
    """`python -m chatbot ask` from process start to its answer, as users run it."""

    def ask(number: int, env: dict | None = None) -> Process:
        question = QUESTIONS[number % len(QUESTIONS)]
        return run_process(chatbot_command(options.python, "ask", settings, question), env=env)

    log.info("timing cold starts of `ask`")
    runs = [ask(n) for n in range(options.cold_runs)]
    single = [ask(n, {"OMP_NUM_THREADS": "1"}) for n in range(options.cold_runs)]
    baseline = [options.python, "-c", _BASELINE_SCRIPT, str(_live(settings)), str(model_path())]
    baselines = {
        kind: [run_process([*baseline, kind, QUESTIONS[n % len(QUESTIONS)]]) for n in range(max(1, options.cold_runs // 2))]
        for kind in ("onnx", "st")
    }
    figures = {
        "ask_s": median(r.first_output_s for r in runs),
        "ask_runs_s": [r.first_output_s for r in runs],
        "ask_exit_s": median(r.exit_s for r in runs),
        "ask_omp_num_threads_1_s": median(r.first_output_s for r in single),
        "ask_peak_mib": max(r.peak_mib for r in runs),
        "baseline_onnx_s": median(r.first_output_s for r in baselines["onnx"]),
        "baseline_st_s": median(r.first_output_s for r in baselines["st"]),
        "baseline_onnx_peak_mib": max(r.peak_mib for r in baselines["onnx"]),
        "baseline_st_peak_mib": max(r.peak_mib for r in baselines["st"]),
    }
    if options.profile:
        figures["profile"] = profile_command(
            chatbot_command(options.python, "ask", settings, QUESTIONS[0]), options, settings.index_dir.parent / "ask.prof"
        )
    return figures


# A plain script, as a tutorial writes it: load the model, read the flat index, encode, search.
_BASELINE_SCRIPT = """
import sys
from pathlib import Path
import faiss
folder, model, kind, question = sys.argv[1:5]
index = faiss.read_index(str(Path(folder) / "passages.faiss"))
if kind == "st":
    from sentence_transformers import SentenceTransformer
    vector = SentenceTransformer(model, device="cpu").encode([question], normalize_embeddings=True)
else:
    from chatbot.index.onnx_encoder import OnnxEncoder
    vector = OnnxEncoder(Path(folder) / "encoder").encode([question])
print(index.search(vector, 5)[1][0].tolist())
"""


def import_check(settings: Settings, options: BenchOptions) -> dict:
    """What `ask` imports (`-X importtime`): forbidden heavy packages, the slowest imports."""
    process = run_process(
        [options.python, "-X", "importtime", *chatbot_command(options.python, "ask", settings, QUESTIONS[0])[1:]]
    )
    modules: list[tuple[str, int, int, bool]] = []  # name, own µs, cumulative µs, imported at top level
    for line in process.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, cumulative, name = line[len("import time:") :].split("|")
            modules.append((name.strip(), int(own), int(cumulative), not name[1:].startswith(" ")))
    names = {name for name, *_ in modules}
    top = sorted((m for m in modules if m[3]), key=lambda m: -m[2])[:12]
    own = sorted(modules, key=lambda m: -m[1])[:12]
    return {
        "forbidden": sorted(n for n in names if n.split(".")[0] in FORBIDDEN_ON_ASK),
        "modules": len(names),
        "total_ms": sum(m[2] for m in modules if m[3]) / 1000,
        "top_level_ms": {name: c / 1000 for name, _, c, _ in top},
        "slowest_own_ms": {name: o / 1000 for name, o, _, _ in own},
    }


def _live(settings: Settings) -> Path:
    from chatbot.index.load import live_folder

    return live_folder(settings.index_dir)
