"""Where the time goes: cold start, warm answers by stage, index builds, memory, build
throughput and retrieval at 100,000 passages — each beside a plain baseline (encode the
question, search a FAISS flat index) so that every figure is also a ratio to it.

The figures come from the real model, the real guide and real subprocesses; only the large
corpora are synthetic (recombined guide sentences, perturbed copies of real vectors).
Used by `scripts/bench.py`; progress is logged, figures are returned as one dict.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .settings import ROOT, Settings

log = logging.getLogger(__name__)

# Career questions written for the benchmark (typos, slang, out-of-scope and advice included).
QUESTIONS = (
    "What does a medical assistant do on a typical day?",
    "how much money do MAs make an hour",
    "Is certification required to work as a medical assistant?",
    "What's the difference between a medical assistant and a nurse?",
    "how long does MA school take",
    "Can I become a medical assistant without a high school diploma?",
    "what clinical tasks do medical assistants perform",
    "Which administrative duties are part of the job?",
    "Do medical assistants draw blood?",
    "What soft skills make a good medical assistant?",
    "Where can a medical assistant find work besides a doctor's office?",
    "Is the demand for medical assistants growing?",
    "What is the CMA exam and who offers it?",
    "medical asistant vs physician assistent",
    "Are online medical assistant programs legit?",
    "What does an externship involve?",
    "Can a CNA become a medical assistant?",
    "Do MAs work weekends or night shifts?",
    "What is the salary range in big cities compared with rural areas?",
    "Is being a medical assistant a good first step toward nursing?",
    "Which certification should I get, RMA or CCMA?",
    "Do I need to know electronic health records software?",
    "what personality traits help in this job",
    "How stressful is working as a medical assistant?",
    "Can medical assistants give injections?",
    "Will employers pay for my certification?",
    "what are the career advancement options after a few years",
    "How much does a medical assistant program cost?",
    "What is the best programming language for web apps?",
    "I have a rash on my arm, what cream should I use?",
)
FORBIDDEN_ON_ASK = ("torch", "sentence_transformers", "transformers", "gradio", "gradio_client")
MIB = 1024.0
NOISE = 0.6  # norm of the noise added to synthetic vectors: nearest-neighbour cosine ~0.84, as in the guide


@dataclass(frozen=True)
class BenchOptions:
    """How much to measure; `quick()` is the smoke-test size."""

    repeats: int = 5  # warm passes over QUESTIONS
    cold_runs: int = 7
    rebuild_runs: int = 5
    synthetic_passages: int = 2_000
    large_passages: int = 100_000
    serve: bool = True
    profile: bool = True
    python: str = sys.executable
    seed: int = 0

    @classmethod
    def quick(cls, **changes) -> "BenchOptions":
        quick = cls(repeats=1, cold_runs=2, rebuild_runs=2, synthetic_passages=30, large_passages=2_500, profile=False)
        return replace(quick, **changes)


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


def run(options: BenchOptions, work: Path) -> dict:
    """Measure everything into `work` (a scratch folder) and return the figures."""
    started = time.perf_counter()
    results: dict = {"environment": environment(), "options": {**options.__dict__}, "questions": len(QUESTIONS)}
    # Subprocesses first, while this process is small: a child's ru_maxrss starts from its
    # parent's high-water mark at spawn (Linux copies it across fork and exec).
    settings, results["build"] = guide_builds(work, options)
    results["cold_start"] = cold_start(settings, options)
    log.info("checking what `ask` imports")
    results["imports"] = import_check(settings, options)
    results["memory"] = memory(settings, options, results)

    from .assistant import Assistant

    assistant = Assistant.load(settings)
    assistant.warm_up()
    results["threads"] = thread_settings(assistant, options)
    results["large"] = large_index(assistant.index, options)  # before torch: its OpenMP pool would share the cores
    results["warm"], results["baseline"] = warm_and_baselines(assistant, options)
    results["throughput"] = build_throughput(assistant.index, work, options)
    add_ratios(results)
    results["targets"] = check_targets(results)
    results["environment"]["load_after"] = os.getloadavg()
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results


# --- processes ------------------------------------------------------------------------------


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
    return Process(first_output if first else exited, exited, usage.ru_maxrss / MIB, (first + rest).decode("utf-8", "replace"), errors)


def chatbot_command(python: str, command: str, settings: Settings, *extra: str) -> list[str]:
    return [python, "-m", "chatbot", command, "--index", str(settings.index_dir), "--corpus", str(settings.corpus_dir), *extra]


# --- the guide: builds, cold start, imports -------------------------------------------------


def guide_builds(work: Path, options: BenchOptions) -> tuple[Settings, dict]:
    """A fresh build of a copy of the guide, then no-change rebuilds (subprocess and in-process)."""
    from .index import build_index

    corpus = work / "corpus"
    shutil.copytree(Settings().corpus_dir, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=work / "index", feedback_db=work / "feedback.sqlite3")
    build = chatbot_command(options.python, "build-index", settings, "--quiet")
    log.info("building the guide's index from scratch")
    fresh = run_process(build + ["--force"])
    interpreter = _median(run_process([options.python, "-c", "pass"]).exit_s for _ in range(options.rebuild_runs))
    cli = _median(run_process([options.python, "-m", "chatbot", "--help"]).exit_s for _ in range(options.rebuild_runs))
    log.info("timing no-change rebuilds")
    rebuilds = [run_process(build).exit_s for _ in range(options.rebuild_runs)]
    in_process = [build_index(settings).seconds for _ in range(options.rebuild_runs)]
    figures = {
        "fresh_s": fresh.exit_s,
        "fresh_peak_mib": fresh.peak_mib,
        "rebuild_s": _median(rebuilds),
        "rebuild_runs_s": rebuilds,
        "interpreter_s": interpreter,
        "cli_startup_s": cli,
        "rebuild_beyond_startup_s": _median(rebuilds) - interpreter,
        "rebuild_beyond_cli_startup_s": _median(rebuilds) - cli,
        "rebuild_in_process_s": _median(in_process),
    }
    if options.profile:
        scratch = replace(settings, index_dir=work / "profiled-index")
        figures["profile_fresh"] = profile_command(chatbot_command(options.python, "build-index", scratch, "--quiet"), options, work / "fresh.prof")
        figures["profile_rebuild"] = profile_command(build, options, work / "rebuild.prof")
    return settings, figures


def cold_start(settings: Settings, options: BenchOptions) -> dict:
    """`python -m chatbot ask` from process start to its answer, as users run it."""
    def ask(number: int, env: dict | None = None) -> Process:
        question = QUESTIONS[number % len(QUESTIONS)]
        return run_process(chatbot_command(options.python, "ask", settings, question), env=env)

    log.info("timing cold starts of `ask`")
    runs = [ask(n) for n in range(options.cold_runs)]
    single = [ask(n, {"OMP_NUM_THREADS": "1"}) for n in range(options.cold_runs)]
    baseline = [options.python, "-c", _BASELINE_SCRIPT, str(_live(settings)), str(_model_path())]
    baselines = {kind: [run_process([*baseline, kind, QUESTIONS[n % len(QUESTIONS)]]) for n in range(max(1, options.cold_runs // 2))]
                 for kind in ("onnx", "st")}
    figures = {
        "ask_s": _median(r.first_output_s for r in runs),
        "ask_runs_s": [r.first_output_s for r in runs],
        "ask_exit_s": _median(r.exit_s for r in runs),
        "ask_omp_num_threads_1_s": _median(r.first_output_s for r in single),
        "ask_peak_mib": max(r.peak_mib for r in runs),
        "baseline_onnx_s": _median(r.first_output_s for r in baselines["onnx"]),
        "baseline_st_s": _median(r.first_output_s for r in baselines["st"]),
        "baseline_onnx_peak_mib": max(r.peak_mib for r in baselines["onnx"]),
        "baseline_st_peak_mib": max(r.peak_mib for r in baselines["st"]),
    }
    if options.profile:
        figures["profile"] = profile_command(chatbot_command(options.python, "ask", settings, QUESTIONS[0]), options,
                                             settings.index_dir.parent / "ask.prof")
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
    from chatbot.embedding import OnnxEncoder
    vector = OnnxEncoder(Path(folder) / "encoder").encode([question])
print(index.search(vector, 5)[1][0].tolist())
"""


def import_check(settings: Settings, options: BenchOptions) -> dict:
    """What `ask` imports (`-X importtime`): forbidden heavy packages, the slowest imports."""
    process = run_process([options.python, "-X", "importtime", *chatbot_command(options.python, "ask", settings, QUESTIONS[0])[1:]])
    modules: list[tuple[str, int, int, bool]] = []  # name, own µs, cumulative µs, imported at top level
    for line in process.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own, cumulative, name = line[len("import time:"):].split("|")
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


# --- warm answers and the plain baseline ----------------------------------------------------


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
            answer = assistant.ask(question)
            wall = (time.perf_counter() - start) * 1000
            if not answer.timings_ms:  # answered without retrieval (greeting, medical advice…)
                continue
            timings = dict(answer.timings_ms, wall=wall)
            timings["other"] = timings["total"] - sum(v for k, v in answer.timings_ms.items() if k != "total")
            for stage, value in timings.items():
                stages.setdefault(stage, []).append(value)
            if repeat == 0:
                first_pass.append(timings["total"])
    figures = {f"{stage}_ms": _summary(values) for stage, values in stages.items()}
    figures["retrieved"] = len(first_pass)
    figures["first_pass_total_ms"] = _summary(first_pass)
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
        return {"total_ms": _summary(total), "encode_ms": _summary(self.encoding), "search_ms": _summary(self.searching)}


def warm_and_baselines(assistant, options: BenchOptions) -> tuple[dict, dict]:
    """Warm answers interleaved with the plain baselines: ONNX, and sentence-transformers `.encode`
    as a tutorial calls it (torch's default threads) and on one thread."""
    log.info("loading sentence-transformers for the plain baseline")
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(_model_path()), device="cpu")
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


# --- thread settings ------------------------------------------------------------------------


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
    feeds = [{name: np.array([getattr(e, attr)], dtype=np.int64) for name, attr in
              (("input_ids", "ids"), ("attention_mask", "attention_mask"), ("token_type_ids", "type_ids"))
              if name in config["inputs"]} for e in encodings]
    sessions = {}
    for threads in (1, 2):
        session_options = onnxruntime.SessionOptions()
        session_options.intra_op_num_threads = threads
        session_options.inter_op_num_threads = 1
        sessions[str(threads)] = onnxruntime.InferenceSession(str(folder / "model.onnx"), session_options, providers=["CPUExecutionProvider"])
        sessions[str(threads)].run(None, feeds[0])
    onnx: dict[str, list[float]] = {name: [] for name in sessions}
    answers: dict[str, list[float]] = {"1": [], "2": []}
    default = faiss.omp_get_max_threads()
    for _ in range(options.repeats):  # the settings take turns, so that both see the same load
        for feed, question in zip(feeds, QUESTIONS):
            for name, session in sessions.items():
                onnx[name].append(_timed(lambda: session.run(None, feed)))
            for name in answers:
                faiss.omp_set_num_threads(int(name))
                answers[name].append(_timed(lambda: assistant.ask(question)))
    faiss.omp_set_num_threads(default)
    onnx = {name: _summary(values) for name, values in onnx.items()}
    answers = {name: _summary(values) for name, values in answers.items()}
    concurrent = {name: _two_callers(session, feeds, options.repeats) for name, session in sessions.items()}
    return {
        "typo_corrector": typo_corrector(assistant, tokenizer_vocabulary=json.loads((folder / "tokenizer.json").read_text())["model"]["vocab"]),
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
                latencies.append(_timed(lambda: session.run(None, feed)))

    start = time.perf_counter()
    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return dict(_summary(latencies), per_s=len(latencies) / (time.perf_counter() - start))


MISSPELLINGS = ("assistent", "certifcation", "salery", "externshipp", "injectons", "schedual", "phlebotamy", "vaccum")


def typo_corrector(assistant, *, tokenizer_vocabulary: dict) -> dict:
    """First-time cost of correcting a misspelt word (query.correct, difflib) against the guide's
    vocabulary and against one of ~20,000 English words (the model's, as a large corpus would have)."""
    from .query import correct

    words = frozenset(w for w in tokenizer_vocabulary if w.isalpha() and w.islower() and len(w) >= 3)
    figures = {}
    for name, vocabulary in (("guide", assistant.vocabulary), ("large", assistant.vocabulary | words)):
        figures[f"{name}_vocabulary_words"] = len(vocabulary)
        figures[f"{name}_ms_per_word"] = _summary(_timed(lambda w=w: correct(w, vocabulary)) for w in MISSPELLINGS)
    return figures


def _blas_threads() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: info.get(k) for k in ("user_api", "internal_api", "num_threads", "filepath")} for info in threadpool_info()]


# --- synthetic corpora ----------------------------------------------------------------------


def synthetic_passages(guide: list, count: int, rng: np.random.Generator) -> list[tuple[int, list[int]]]:
    """`count` recombined passages: (a guide passage whose section it takes, guide sentence rows).

    Each mixes 3-4 sentences, mostly from that passage's section, in shuffled order.
    """
    rows_by_section: dict[tuple, list[int]] = {}
    row = 0
    for passage in guide:
        rows_by_section.setdefault(passage.section, []).extend(range(row, row + len(passage.sentences)))
        row += len(passage.sentences)
    out = []
    for base in rng.integers(len(guide), size=count):
        own = rows_by_section[guide[base].section]
        size = int(rng.integers(3, 5))
        rows = list(rng.choice(own, size=min(size - 1, len(own)), replace=False))
        rows += list(rng.integers(row, size=size - len(rows)))
        rng.shuffle(rows)
        out.append((int(base), [int(r) for r in rows]))
    return out


def write_synthetic_corpus(guide: list, count: int, path: Path, rng: np.random.Generator) -> None:
    """A Markdown guide of `count` passages (one paragraph per numbered sub-section). Sentences
    are numbered ("Point 7.2: …") so that, as in a real corpus, no two are the same text."""
    from .chunking import split_sentences

    sentences = [s for p in guide for s in p.sentences]
    lines = ["# Synthetic career guide", ""]
    for number, (base, rows) in enumerate(synthetic_passages(guide, count, rng)):
        section = guide[base].section
        if number % 10 == 0:
            lines += [f"## Part {number // 10 + 1}: {section[0]}", ""]
        pieces = [piece for r in rows for piece in split_sentences(sentences[r])]
        text = " ".join(f"Point {number + 1}.{j + 1}: {piece}" for j, piece in enumerate(pieces))
        lines += [f"### {section[-1]} ({number + 1})", "", text, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def _perturbed(base: np.ndarray, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near base[picks]: mixed with two other real vectors, plus a little noise."""
    n, d = len(picks), base.shape[1]
    mix = base[rng.integers(len(base), size=(n, 2))] * rng.uniform(0, 0.35, size=(n, 2, 1)).astype(np.float32)
    vectors = base[picks] + mix.sum(axis=1) + rng.standard_normal((n, d), dtype=np.float32) * np.float32(NOISE / np.sqrt(d))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


# --- 100,000 passages -----------------------------------------------------------------------


def large_index(guide_index, options: BenchOptions) -> dict:
    """Retrieval over `large_passages` synthetic passages: exact (flat) FAISS indexes, approximate
    ones (what the build chooses above EXACT_SEARCH_MAX_ROWS rows) and the build's choice itself."""
    import faiss

    from .vector_store import searched_exactly, vector_index

    rng = np.random.default_rng(options.seed)
    log.info("generating %d synthetic passages", options.large_passages)
    start = time.perf_counter()
    passages, matrices, headings = _large_corpus(guide_index, options.large_passages, rng)
    generated = time.perf_counter() - start
    built, build_s = {}, {}
    for kind, exact in (("flat", True), ("approximate", False)):
        log.info("building %s FAISS indexes over %d + %d rows", kind, *map(len, matrices))
        start = time.perf_counter()
        built[kind] = tuple(vector_index(m, exact=exact) for m in matrices)
        build_s[kind] = time.perf_counter() - start
    built["chosen"] = tuple(built["flat" if searched_exactly(len(m)) else "approximate"][i] for i, m in enumerate(matrices))
    build_s["chosen"] = None

    sentence_base = guide_index.sentence_vectors.reconstruct_n(0, guide_index.sentence_vectors.ntotal)
    probes = np.vstack([guide_index.encoder.encode(list(QUESTIONS)), _perturbed(sentence_base, rng.integers(len(sentence_base), size=170), rng)])
    exact_top = [index.search(probes, 50)[1] for index in built["flat"]]
    default_threads = faiss.omp_get_max_threads()
    search = {}
    for kind, pair in built.items():
        figures = {"type": "/".join(type(index).__name__ for index in pair), "build_s": build_s[kind]}
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            figures[f"search_ms_{threads}_thread"] = _summary(
                _timed(lambda q=q: [index.search(q[None], 50) for index in pair]) for q in probes[:60])
        faiss.omp_set_num_threads(default_threads)
        found = [index.search(probes, 50)[1] for index in pair]
        for k in (10, 50):
            figures[f"recall_at_{k}"] = float(np.mean([_overlap(f[:, :k], e[:, :k]) for f, e in zip(found, exact_top)]))
        search[kind] = figures
    rank = _large_rank(guide_index, passages, headings, built, options)
    return {"passages": len(passages), "sentences": len(matrices[1]), "noise": NOISE, "generate_s": generated,
            "search": search, "rank": rank}


def _large_corpus(guide_index, count: int, rng: np.random.Generator) -> tuple[list, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Synthetic passages of recombined guide sentences, with perturbed copies of their real vectors."""
    from .chunking import Passage

    guide = guide_index.passages
    sentences = [s for p in guide for s in p.sentences]
    layout = synthetic_passages(guide, count, rng)
    passages = [
        Passage(id=i, title="Synthetic career guide", source="synthetic.md", section=guide[base].section,
                text=" ".join(sentences[r] for r in rows), position=i, sentences=tuple(sentences[r] for r in rows))
        for i, (base, rows) in enumerate(layout)
    ]
    bases = [index.reconstruct_n(0, index.ntotal) for index in (guide_index.passage_vectors, guide_index.sentence_vectors)]
    passage_matrix = _perturbed(bases[0], np.array([base for base, _ in layout]), rng)
    sentence_matrix = _perturbed(bases[1], np.array([r for _, rows in layout for r in rows]), rng)
    headings = guide_index.heading_vectors[[base for base, _ in layout]]  # the same heading text, the same vector
    return passages, (passage_matrix, sentence_matrix), headings


def _large_rank(guide_index, passages: list, headings: np.ndarray, built: dict, options: BenchOptions) -> dict:
    """The real Assistant and Retriever over each pair of synthetic FAISS indexes (BM25 included)."""
    import faiss

    from .assistant import Assistant
    from .index import LoadedIndex

    counts = np.array([len(p.sentences) for p in passages])
    owner = np.repeat(np.arange(len(passages)), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    rank: dict[str, dict] = {}
    tops: dict[str, list] = {}
    for kind, pair in built.items():
        same = next((k for k in rank if built[k] == pair), None)
        if same is not None:
            rank[kind], tops[kind] = dict(rank[same], same_as=same), tops[same]
            continue
        log.info("answering over the %s synthetic index (BM25 over %d passages)", kind, len(passages))
        index = LoadedIndex(folder=guide_index.folder, manifest=guide_index.manifest, passages=passages,
                            passage_vectors=pair[0], sentence_vectors=pair[1], sentence_owner=owner,
                            sentence_offsets=offsets, heading_vectors=headings, _encoder=guide_index.encoder)
        start = time.perf_counter()
        assistant = Assistant(index)
        assistant.warm_up()
        loaded = time.perf_counter() - start
        repeats = replace(options, repeats=max(1, min(options.repeats, 3)))
        figures = warm_answers(assistant, repeats, baselines={"onnx": PlainBaseline(guide_index.encoder.encode, built["flat"][0])})
        default_threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        figures["total_ms_faiss_1_thread"] = warm_answers(assistant, repeats)["total_ms"]
        faiss.omp_set_num_threads(default_threads)
        figures["load_s"] = loaded
        figures["scored_every_passage"] = getattr(assistant.retriever, "exhaustive", None)  # then FAISS is not searched
        figures["type"] = "/".join(type(index).__name__ for index in pair)
        rank[kind] = figures
        tops[kind] = [ranking.ids[:10] for ranking in _rankings(assistant)]
        del assistant, index
    for kind, figures in rank.items():
        figures["recall_at_10"] = float(np.mean([len(set(a) & set(e)) / max(len(e), 1) for a, e in zip(tops[kind], tops["flat"])]))
    return rank


def _rankings(assistant) -> list:
    """The ranking `assistant.ask` used for each of QUESTIONS (None-free: skipped when no retrieval)."""
    rankings: list = []
    rank = assistant.retriever.rank

    def recording(query):
        rankings.append(rank(query))
        return rankings[-1]

    assistant.retriever.rank = recording
    try:
        for question in QUESTIONS:
            assistant.ask(question)
    finally:
        del assistant.retriever.rank
    return rankings


def _overlap(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)]))


# --- memory ---------------------------------------------------------------------------------


def memory(settings: Settings, options: BenchOptions, results: dict) -> dict:
    """Peak resident memory (ru_maxrss) of `ask` and `serve` (after answering through its API)."""
    figures = {
        "ask_peak_mib": results["cold_start"]["ask_peak_mib"],
        "baseline_onnx_peak_mib": results["cold_start"]["baseline_onnx_peak_mib"],
        "baseline_st_peak_mib": results["cold_start"]["baseline_st_peak_mib"],
        "serve_peak_mib": None,
        "serve": "not measured (--no-serve)",
        "bench_peak_mib_at_spawn": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB,  # must stay below the others
    }
    if options.serve:
        try:
            figures.update(serve_memory(settings, options))
        except (RuntimeError, OSError, ImportError) as exc:
            figures["serve"] = f"not measured: {exc}"
    return figures


def serve_memory(settings: Settings, options: BenchOptions) -> dict:
    """Start `python -m chatbot serve`, ask it a few questions over its API, stop it, read its peak RSS."""
    from gradio_client import Client

    if not (ROOT / "chatbot" / "app.py").is_file():
        raise RuntimeError("chatbot/app.py (the serve command) does not exist yet")
    log.info("starting `serve` to measure its memory")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = chatbot_command(options.python, "serve", settings, "--host", "127.0.0.1", "--port", str(port),
                              "--feedback-db", str(settings.feedback_db))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    timer = threading.Timer(300, process.kill)
    timer.start()
    try:
        url = ""
        for line in process.stdout:
            if "running at " in line:
                url = line.split("running at ", 1)[1].split()[0]
                break
        if not url:
            raise RuntimeError("serve exited before it was ready")
        ready = time.perf_counter() - start
        log.info("serve is ready; asking it questions")
        client = Client(url, verbose=False, download_files=False)
        for question in QUESTIONS[:5]:
            client.predict(question, [], api_name="/ask")
        high_water = _status_kib(process.pid, "VmHWM") / MIB
    finally:
        process.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        timer.cancel()
        process.stdout.close()
    return {"serve_peak_mib": high_water, "serve_ru_maxrss_mib": usage.ru_maxrss / MIB, "serve_ready_s": ready,
            "serve": "VmHWM after 5 questions over its API"}


def _status_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0


# --- build throughput -----------------------------------------------------------------------


def build_throughput(guide_index, work: Path, options: BenchOptions) -> dict:
    """Build a synthetic corpus with the real model; compare with sentence-transformers' raw
    `.encode` of the same texts (half just before the build, half just after, to share its load)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from .chunking import chunk_documents
    from .corpus import load_corpus
    from .index import build_index, embed_text, heading_embed_text, sentence_embed_texts

    rng = np.random.default_rng(options.seed)
    corpus = work / "synthetic-corpus"
    write_synthetic_corpus(guide_index.passages, options.synthetic_passages, corpus / "synthetic-guide.md", rng)
    settings = Settings(corpus_dir=corpus, index_dir=work / "synthetic-index", feedback_db=work / "synthetic.sqlite3")
    passages = chunk_documents(load_corpus(corpus))
    texts = list(dict.fromkeys([embed_text(p) for p in passages] + [t for p in passages for t in sentence_embed_texts(p)]
                               + [heading_embed_text(p) for p in passages]))  # what the build embeds, once each
    model = SentenceTransformer(str(_model_path()), device="cpu")
    torch.set_num_threads(1)  # as the build does
    model.encode(texts[:32], batch_size=32, show_progress_bar=False)

    def raw(part: list[str]) -> float:
        start = time.perf_counter()
        model.encode(part, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return time.perf_counter() - start

    log.info("raw sentence-transformers encode of half of the %d texts", len(texts))
    before = raw(texts[0::2])
    log.info("building a synthetic corpus of %d passages with the real model", len(passages))
    report = build_index(settings, force=True)
    log.info("raw encode of the other half")
    raw_s = before + raw(texts[1::2])
    sample = texts[: max(64, len(texts) // 8)]
    by_threads = {}
    for threads in (1, 2):
        torch.set_num_threads(threads)
        by_threads[str(threads)] = len(sample) / raw(sample)
    return {
        "passages": report.passages,
        "sentences": report.sentences,
        "texts": len(texts),
        "embedded_by_build": report.embedded,
        "build_s": report.seconds,
        "passages_per_s": report.passages / report.seconds,
        "texts_per_s": report.embedded / report.seconds,
        "raw_encode_s": raw_s,
        "raw_texts_per_s": len(texts) / raw_s,
        "raw_passages_per_s": report.passages / raw_s,
        "ratio_to_raw_encode": raw_s / report.seconds,
        "build_overhead_s": report.seconds - raw_s,
        "raw_texts_per_s_by_torch_threads": by_threads,
    }


# --- ratios and targets ---------------------------------------------------------------------


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


# --- small helpers --------------------------------------------------------------------------


def environment() -> dict:
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


def _model_path() -> Path:
    from .embedding import resolve_model

    return resolve_model(Settings().model).path


def _live(settings: Settings) -> Path:
    from .index import live_folder

    return live_folder(settings.index_dir)


def _timed(call: Callable) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _median(values) -> float:
    return float(np.median(list(values)))


def _summary(values) -> dict:
    values = list(values)
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "n": len(values)}
