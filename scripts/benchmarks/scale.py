"""Retrieval at 100,000 synthetic passages: flat against approximate FAISS indexes, and the real
Assistant over each."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import numpy as np

from .latency import PlainBaseline, warm_answers
from .options import QUESTIONS, BenchOptions
from .stats import summary, timed
from .synthetic import NOISE, large_corpus, perturbed

log = logging.getLogger(__name__)


def large_index(guide_index, options: BenchOptions) -> dict:
    """Retrieval over `large_passages` synthetic passages: exact (flat) FAISS indexes, approximate
    ones (what the build chooses above EXACT_SEARCH_MAX_ROWS rows) and the build's choice itself."""
    import faiss

    from chatbot.index.vector_store import searched_exactly, vector_index

    rng = np.random.default_rng(options.seed)
    log.info("generating %d synthetic passages", options.large_passages)
    start = time.perf_counter()
    passages, matrices, headings = large_corpus(guide_index, options.large_passages, rng)
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
    probes = np.vstack(
        [guide_index.encoder.encode(list(QUESTIONS)), perturbed(sentence_base, rng.integers(len(sentence_base), size=170), rng)]
    )
    exact_top = [index.search(probes, 50)[1] for index in built["flat"]]
    default_threads = faiss.omp_get_max_threads()
    search = {}
    for kind, pair in built.items():
        figures = {"type": "/".join(type(index).__name__ for index in pair), "build_s": build_s[kind]}
        for threads in (1, 2):
            faiss.omp_set_num_threads(threads)
            figures[f"search_ms_{threads}_thread"] = summary(
                timed(lambda q=q, pair=pair: [index.search(q[None], 50) for index in pair]) for q in probes[:60]
            )
        faiss.omp_set_num_threads(default_threads)
        found = [index.search(probes, 50)[1] for index in pair]
        for k in (10, 50):
            figures[f"recall_at_{k}"] = float(np.mean([_overlap(f[:, :k], e[:, :k]) for f, e in zip(found, exact_top)]))
        search[kind] = figures
    rank = _large_rank(guide_index, passages, headings, built, options)
    return {
        "passages": len(passages),
        "sentences": len(matrices[1]),
        "noise": NOISE,
        "generate_s": generated,
        "search": search,
        "rank": rank,
    }


def _large_rank(guide_index, passages: list, headings: np.ndarray, built: dict, options: BenchOptions) -> dict:
    """The real Assistant and Retriever over each pair of synthetic FAISS indexes (BM25 included)."""
    import faiss

    from chatbot.answering.assistant import Assistant
    from chatbot.guide.glossary import Glossary
    from chatbot.index.lexical import LexicalIndex
    from chatbot.index.load import LoadedIndex
    from chatbot.index.neighbours import BankKeys

    lexical, glossary = LexicalIndex.build(passages), Glossary.of_guide(passages)  # what a build saves
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
        index = LoadedIndex(
            folder=guide_index.folder,
            manifest=guide_index.manifest,
            passages=passages,
            passage_vectors=pair[0],
            sentence_vectors=pair[1],
            sentence_owner=owner,
            sentence_offsets=offsets,
            heading_vectors=headings,
            bank=BankKeys.build([], np.zeros((0, headings.shape[1]), dtype=np.float32), passages),
            tuning=guide_index.tuning,
            lexical=lexical,
            glossary=glossary,
            terms=guide_index.terms,
            context=guide_index.context,
            _encoder=guide_index.encoder,
        )
        start = time.perf_counter()
        assistant = Assistant(index)
        assistant.warm_up()
        loaded = time.perf_counter() - start
        repeats = replace(options, repeats=max(1, min(options.repeats, 3)))
        figures = warm_answers(
            assistant, repeats, baselines={"onnx": PlainBaseline(guide_index.encoder.encode, built["flat"][0])}
        )
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
        figures["recall_at_10"] = float(
            np.mean([len(set(a) & set(e)) / max(len(e), 1) for a, e in zip(tops[kind], tops["flat"])])
        )
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
