"""scripts/bench.py: a quick run reports every figure; the synthetic corpora and the FAISS index
choice behind the 100,000-passage figures. No timing is asserted (the bench prints figures)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from benchmarks import QUESTIONS, TARGETS, synthetic_passages, write_synthetic_corpus

from chatbot.guide.chunking import chunk_documents, split_sentences
from chatbot.guide.corpus import load_corpus
from chatbot.index.vector_store import EXACT_SEARCH_MAX_ROWS, searched_exactly, vector_index

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "corpus"

# Every figure the issue asks for, as a path into the JSON; each must be a finite number.
FIGURES = [
    "cold_start.ask_s",
    "cold_start.baseline_onnx_s",
    "cold_start.baseline_st_s",
    "cold_start.ratio_to_baseline_onnx",
    "cold_start.ratio_to_baseline_st",
    "cold_start.ask_omp_num_threads_1_s",
    *[
        f"warm.{stage}_ms.{p}"
        for stage in ("encode", "dense_search", "lexical", "fusion", "select", "total", "other")
        for p in ("p50", "p95")
    ],
    "warm.ratio_to_baseline_onnx",
    "warm.ratio_to_baseline_st",
    "baseline.onnx.total_ms.p50",
    "baseline.st.total_ms.p50",
    "baseline.st_one_thread.total_ms.p50",
    "build.fresh_s",
    "build.rebuild_s",
    "build.interpreter_s",
    "build.rebuild_beyond_startup_s",
    "build.rebuild_in_process_s",
    "memory.ask_peak_mib",
    "memory.serve_peak_mib",
    "memory.baseline_st_peak_mib",
    "throughput.passages_per_s",
    "throughput.raw_texts_per_s",
    "throughput.ratio_to_raw_encode",
    "encode.build.texts_per_s",
    "encode.bare.texts_per_s",
    "encode.ratio_to_bare",
    "encode.cpu_ratio_to_bare",
    "large.rank.chosen.total_ms.p50",
    "large.rank.chosen.recall_at_10",
    "large.rank.flat.total_ms.p50",
    "large.rank.approximate.recall_at_10",
    "large.rank.chosen.ratio_to_baseline_onnx",
    "large.rank.chosen.baselines.onnx.total_ms.p50",
    "large.search.approximate.build_s",
    "large.search.approximate.recall_at_10",
    "large.search.flat.search_ms_1_thread.p50",
    "threads.onnx_encode_ms_by_intra_op_threads.1.p50",
    "threads.onnx_encode_ms_by_intra_op_threads.2.p50",
    "threads.warm_answer_ms_by_faiss_threads.1.p50",
    "threads.warm_answer_ms_by_faiss_threads.2.p50",
    "threads.onnx_encode_ms_two_callers_by_intra_op_threads.1.per_s",
    "threads.onnx_encode_ms_two_callers_by_intra_op_threads.2.per_s",
    "imports.total_ms",
    "threads.typo_corrector.large_ms_per_word.p50",
]


def lookup(results: dict, path: str):
    value = results
    for key in path.split("."):
        assert isinstance(value, dict) and key in value, f"{path}: no {key!r}"
        value = value[key]
    return value


@pytest.mark.slow
def test_quick_bench_reports_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "scripts/bench.py", "--quick", "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    for path in FIGURES:
        value = lookup(results, path)
        assert isinstance(value, (int, float)) and math.isfinite(value), f"{path} = {value!r}"
    assert results["encode"]["max_vector_gap"] < 1e-4  # the build's bulk encode gives the bare loop's vectors
    assert results["imports"]["forbidden"] == []  # `ask` runs without torch, sentence-transformers or gradio
    assert results["warm"]["retrieved"] >= len(QUESTIONS) - 3  # only greetings/advice skip retrieval
    assert [t["figure"] for t in results["targets"]] == [path for _, path, _, _ in TARGETS]
    assert all(t["met"] in (True, False) for t in results["targets"])
    assert "targets:" in run.stdout and "warm answer, total" in run.stdout


def test_questions_are_thirty_distinct():
    assert len(set(QUESTIONS)) == len(QUESTIONS) == 30


def test_synthetic_corpus_has_the_requested_passages(tmp_path):
    guide = chunk_documents(load_corpus(GUIDE))
    write_synthetic_corpus(guide, 57, tmp_path / "corpus" / "synthetic.md", np.random.default_rng(1))
    passages = chunk_documents(load_corpus(tmp_path / "corpus"))
    assert len(passages) == 57
    assert all(p.sentences and p.section[-1].endswith(f"({p.id + 1})") for p in passages)
    guide_sentences = sorted({piece for p in guide for s in p.sentences for piece in split_sentences(s)}, key=len, reverse=True)
    for passage in passages:  # nothing but the guide's own sentences, numbered
        rest = re.sub(rf"Point {passage.id + 1}\.\d+: ", " ", passage.text)
        for sentence in guide_sentences:
            rest = rest.replace(sentence, " ")
        assert not rest.strip(), passage.text
    texts = [s for p in passages for s in p.sentences]
    assert len(set(texts)) == len(texts)  # every sentence is embedded, as in a real corpus


def test_synthetic_passages_mix_three_or_four_guide_sentences():
    guide = chunk_documents(load_corpus(GUIDE))
    rows = sum(len(p.sentences) for p in guide)
    layout = synthetic_passages(guide, 200, np.random.default_rng(2))
    assert len(layout) == 200
    assert all(0 <= base < len(guide) and 3 <= len(picked) <= 4 and all(0 <= r < rows for r in picked) for base, picked in layout)


def _clustered(count: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, 64)).astype(np.float32)
    rows = centres[rng.integers(40, size=count)] + 0.3 * rng.standard_normal((count, 64)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_small_indexes_stay_exact_and_large_ones_use_inverted_lists(tmp_path):
    import faiss

    assert searched_exactly(EXACT_SEARCH_MAX_ROWS) and not searched_exactly(EXACT_SEARCH_MAX_ROWS + 1)
    rows = _clustered(6_000)
    assert isinstance(vector_index(rows[:500]), faiss.IndexFlatIP)
    approximate = vector_index(rows, exact=False)
    assert isinstance(approximate, faiss.IndexIVFFlat) and 1 <= approximate.nprobe < approximate.nlist
    faiss.write_index(approximate, str(tmp_path / "ivf.faiss"))
    loaded = faiss.read_index(str(tmp_path / "ivf.faiss"))
    assert loaded.nprobe == approximate.nprobe
    ids = np.array([0, 17, 5_999])
    assert np.allclose(loaded.reconstruct_batch(ids), rows[ids])  # the retriever rescores candidates this way
    queries = _clustered(50, seed=4)
    exact = vector_index(rows, exact=True).search(queries, 10)[1]
    found = loaded.search(queries, 10)[1]
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)])
    assert recall >= 0.9
