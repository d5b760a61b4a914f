"""Index builds: the guide from scratch and with nothing changed, and build throughput on a
synthetic corpus against sentence-transformers' raw `.encode`."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from chatbot.settings import Settings

from .options import BenchOptions, model_path
from .processes import chatbot_command, profile_command, run_process
from .stats import median
from .synthetic import write_synthetic_corpus

log = logging.getLogger(__name__)


def guide_builds(work: Path, options: BenchOptions) -> tuple[Settings, dict]:
    """A fresh build of a copy of the guide, then no-change rebuilds (subprocess and in-process)."""
    from chatbot.index.build import build_index

    corpus = work / "corpus"
    shutil.copytree(Settings().corpus_dir, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=work / "index", feedback_db=work / "feedback.sqlite3")
    build = chatbot_command(options.python, "build-index", settings, "--quiet")
    log.info("building the guide's index from scratch")
    fresh = run_process(build + ["--force"])
    interpreter = median(run_process([options.python, "-c", "pass"]).exit_s for _ in range(options.rebuild_runs))
    cli = median(run_process([options.python, "-m", "chatbot", "--help"]).exit_s for _ in range(options.rebuild_runs))
    log.info("timing no-change rebuilds")
    rebuilds = [run_process(build).exit_s for _ in range(options.rebuild_runs)]
    in_process = [build_index(settings).seconds for _ in range(options.rebuild_runs)]
    figures = {
        "fresh_s": fresh.exit_s,
        "fresh_peak_mib": fresh.peak_mib,
        "rebuild_s": median(rebuilds),
        "rebuild_runs_s": rebuilds,
        "interpreter_s": interpreter,
        "cli_startup_s": cli,
        "rebuild_beyond_startup_s": median(rebuilds) - interpreter,
        "rebuild_beyond_cli_startup_s": median(rebuilds) - cli,
        "rebuild_in_process_s": median(in_process),
    }
    if options.profile:
        scratch = replace(settings, index_dir=work / "profiled-index")
        figures["profile_fresh"] = profile_command(
            chatbot_command(options.python, "build-index", scratch, "--quiet"), options, work / "fresh.prof"
        )
        figures["profile_rebuild"] = profile_command(build, options, work / "rebuild.prof")
    return settings, figures


def build_throughput(guide_index, work: Path, options: BenchOptions) -> dict:
    """Build a synthetic corpus with the real model; compare with sentence-transformers' raw
    `.encode` of the same texts (half just before the build, half just after, to share its load)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from chatbot.guide.chunking import chunk_documents
    from chatbot.guide.corpus import load_corpus
    from chatbot.index.build import build_index
    from chatbot.index.load import embed_text, heading_embed_text, sentence_embed_texts

    rng = np.random.default_rng(options.seed)
    corpus = work / "synthetic-corpus"
    write_synthetic_corpus(guide_index.passages, options.synthetic_passages, corpus / "synthetic-guide.md", rng)
    settings = Settings(corpus_dir=corpus, index_dir=work / "synthetic-index", feedback_db=work / "synthetic.sqlite3")
    passages = chunk_documents(load_corpus(corpus))
    texts = list(
        dict.fromkeys(
            [embed_text(p) for p in passages]
            + [t for p in passages for t in sentence_embed_texts(p)]
            + [heading_embed_text(p) for p in passages]
        )
    )  # what the build embeds, once each
    model = SentenceTransformer(str(model_path()), device="cpu")
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
