"""The on-disk index: manifest fields, incremental and atomic rebuilds, the ONNX query encoder."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from chatbot.guide.chunking import CHUNKER_VERSION, chunk_documents
from chatbot.guide.corpus import load_corpus
from chatbot.index.build import build_index, ensure_index
from chatbot.index.embedding import resolve_model
from chatbot.index.load import (
    CURRENT,
    VERIFIED,
    embed_text,
    heading_embed_text,
    live_folder,
    load_index,
    read_manifest,
    sentence_embed_texts,
)
from chatbot.index.onnx_encoder import OnnxEncoder
from chatbot.index.steps import GENERIC_HEADING_MAX
from chatbot.index.torch_encoder import SentenceTransformerEncoder
from helpers.tiny_corpus import FILES

PROBES = [
    "What does a parcel sorter earn?",
    "wats the pay on sundays",
    "",
    "Café, naïve façade — 日本語のテキスト 🚲🔧",
    "Bike mechanics fix brakes, gears and wheels. " * 60,  # longer than the model reads: truncated alike
]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_texts(settings) -> set[str]:
    """Every distinct text a build embeds: passages, sentence-index rows and heading paths."""
    passages = chunk_documents(load_corpus(settings.corpus_dir))
    return (
        {embed_text(p) for p in passages}
        | {t for p in passages for t in sentence_embed_texts(p)}
        | {heading_embed_text(p) for p in passages}
    )


def total_texts(settings) -> int:
    return len(all_texts(settings))


def test_manifest_records_model_corpus_chunker_and_files(tiny_settings, tiny_model):
    before = datetime.now(UTC).replace(microsecond=0)
    report = build_index(tiny_settings)
    after = datetime.now(UTC)
    folder = live_folder(tiny_settings.index_dir)
    manifest = read_manifest(folder)
    passages = chunk_documents(load_corpus(tiny_settings.corpus_dir))

    assert manifest.model == str(tiny_model)
    assert manifest.model_sha256 == sha256(tiny_model / "model.safetensors")
    assert manifest.dimension == 32
    assert manifest.normalized is True
    assert manifest.chunker_version == CHUNKER_VERSION
    assert manifest.corpus == {name: sha256(tiny_settings.corpus_dir / name) for name in FILES}
    assert manifest.files == {name: sha256(folder / name) for name in manifest.files}
    assert set(manifest.files) == {
        "passages.jsonl",
        "passages.faiss",
        "sentences.faiss",
        "headings.npy",
        "vectors.npz",
        "bank.jsonl",
        "bank.npy",
        "bm25.npz",
        "glossary.json",
        "terms.json",
        "terms.npy",
        "context.json",
    }
    assert manifest.query_encoder == "onnx"
    assert manifest.passages == len(passages) == report.passages == 4
    # the sentence index holds each passage's sentences and then its lists (lead-in + items, one row each)
    assert manifest.sentences == sum(len(p.sentences) for p in passages) + 1 == report.sentences == 12
    assert before <= datetime.fromisoformat(manifest.built_at) <= after
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["model_sha256"] == manifest.model_sha256
    assert (report.built, report.embedded, report.reused) == (True, total_texts(tiny_settings), 0)


def test_vectors_are_unit_length_and_in_passage_order(tiny_index, tiny_model):
    index = load_index(tiny_index)
    encoder = SentenceTransformerEncoder(resolve_model(str(tiny_model)))
    passage_rows = index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal)
    sentence_rows = index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal)
    np.testing.assert_allclose(np.linalg.norm(passage_rows, axis=1), 1.0, atol=1e-5)
    assert [embed_text(p) for p in index.passages] == [p.text for p in index.passages]  # headings have their own vectors
    np.testing.assert_allclose(passage_rows, encoder.encode([p.text for p in index.passages]), atol=1e-5)
    sentences = [t for p in index.passages for t in sentence_embed_texts(p)]
    np.testing.assert_allclose(sentence_rows, encoder.encode(sentences), atol=1e-5)
    rows = [len(sentence_embed_texts(p)) for p in index.passages]
    assert rows == [2, 5 + 1, 2, 2]  # the pay passage's list is one more row after its five sentences
    assert index.sentence_owner.tolist() == [p.id for p, n in zip(index.passages, rows) for _ in range(n)]
    assert index.sentence_offsets.tolist() == np.cumsum([0] + rows)[:-1].tolist()
    for passage in index.passages:  # row offset + j is sentence j of the passage
        first = int(index.sentence_offsets[passage.id])
        np.testing.assert_allclose(
            sentence_rows[first : first + len(passage.sentences)], encoder.encode(list(passage.sentences)), atol=1e-5
        )
    assert sentences[int(index.sentence_offsets[1]) + 5] == (
        "Weekend work adds a bonus: Saturday pays ten percent more; Sunday pays twenty percent more"
    )
    assert index.heading_vectors.shape == (len(index.passages), 32)
    headings = encoder.encode([heading_embed_text(p) for p in index.passages])
    for passage, heading, vector in zip(index.passages, headings, index.heading_vectors):
        if float(heading @ encoder.encode([passage.text])[0]) >= GENERIC_HEADING_MAX:
            np.testing.assert_allclose(vector, heading, atol=1e-5)
        else:  # a heading that says nothing about its text stands for the mean of its sentences
            mean = encoder.encode(sentence_embed_texts(passage)).mean(axis=0)
            np.testing.assert_allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    assert [heading_embed_text(p) for p in index.passages] == [
        "Introduction",
        "Parcel Sorter Pay",
        "Introduction",
        "Bike Mechanic Training",
    ]


def test_up_to_date_rebuild_does_nothing(tiny_index):
    index_dir = tiny_index.index_dir
    # every file of the index as it was (the lock and the verification memo are bookkeeping, not index)
    files = lambda: {
        p.name: p.stat().st_mtime_ns for p in index_dir.rglob("*") if p.is_file() and p.name not in (".lock", VERIFIED)
    }
    before = files()
    report = build_index(tiny_index)
    assert (report.built, report.embedded, report.reused, report.reason) == (False, 0, 0, "index is up to date")
    assert files() == before


def test_forced_rebuild_reuses_every_vector_and_replaces_the_build(tiny_index):
    old = live_folder(tiny_index.index_dir)
    report = build_index(tiny_index, force=True)
    new = live_folder(tiny_index.index_dir)
    assert (report.built, report.embedded, report.reused) == (True, 0, total_texts(tiny_index))
    assert new != old and old.exists()  # kept for readers that resolved CURRENT before the switch
    assert sorted(p.name for p in tiny_index.index_dir.iterdir()) == sorted([".lock", CURRENT, new.name, old.name])
    build_index(tiny_index, force=True)
    assert not old.exists() and new.exists() and live_folder(tiny_index.index_dir) not in (old, new)
    assert load_index(tiny_index).passages == chunk_documents(load_corpus(tiny_index.corpus_dir))


def test_editing_one_sentence_re_embeds_only_its_passage_and_sentence(tiny_index):
    alpha = tiny_index.corpus_dir / "alpha.md"
    beta_hash = sha256(tiny_index.corpus_dir / "beta.md")
    alpha.write_text(
        alpha.read_text(encoding="utf-8").replace("Night shifts pay more.", "Night shifts pay much more."), encoding="utf-8"
    )
    report = build_index(tiny_index)
    assert (report.built, report.embedded, report.reused) == (True, 2, total_texts(tiny_index) - 2)
    manifest = load_index(tiny_index).manifest
    assert manifest.corpus == {"alpha.md": sha256(alpha), "beta.md": beta_hash}


def test_adding_a_file_embeds_only_its_texts(tiny_index):
    before = total_texts(tiny_index)
    (tiny_index.corpus_dir / "gamma.txt").write_text(
        "Opening words here.\nDog Walking\nDogs need walks. Walkers earn tips.\n", encoding="utf-8"
    )
    report = build_index(tiny_index)
    assert (report.embedded, report.reused) == (total_texts(tiny_index) - before, before)
    # two passages (intro, "Dog Walking"), their three sentences and the heading "Dog Walking"; the intro's
    # one sentence is its whole text and the heading "Introduction" is already embedded: each counts once
    assert report.embedded == 2 + 3 + 1 - 1
    assert sorted(load_index(tiny_index).manifest.corpus) == ["alpha.md", "beta.md", "gamma.txt"]


def test_swapping_the_model_re_embeds_everything(tiny_index, other_tiny_model):
    from dataclasses import replace

    other = replace(tiny_index, model=str(other_tiny_model))
    index = ensure_index(other)
    assert index.manifest.model_sha256 == sha256(other_tiny_model / "model.safetensors")
    assert index.manifest.dimension == index.passage_vectors.d == index.encoder.dimension == 48
    assert build_index(other).built is False
    swapped_back = build_index(tiny_index)
    assert (swapped_back.built, swapped_back.embedded, swapped_back.reused) == (True, total_texts(tiny_index), 0)


def test_onnx_query_encoder_matches_sentence_transformers_for_the_tiny_model(tiny_index, tiny_model):
    index = load_index(tiny_index)
    assert isinstance(index.encoder, OnnxEncoder)
    reference = SentenceTransformerEncoder(resolve_model(str(tiny_model))).encode(PROBES)
    assert float(np.abs(index.encoder.encode(PROBES) - reference).max()) <= 1e-4


@pytest.mark.slow
def test_structural_headings_of_the_guide_are_replaced_by_their_text(real_settings):
    index = load_index(real_settings)
    encoder = SentenceTransformerEncoder(resolve_model(index.manifest.model_path))
    replaced = set()
    for passage, vector in zip(index.passages, index.heading_vectors):
        if not np.allclose(vector, encoder.encode([heading_embed_text(passage)])[0], atol=1e-4):
            replaced.add(passage.heading)
    assert replaced == {"Introduction", "Conclusion"}


@pytest.mark.slow
def test_onnx_query_encoder_matches_sentence_transformers_for_the_real_model(real_settings):
    index = load_index(real_settings)
    assert index.manifest.query_encoder == "onnx" and isinstance(index.encoder, OnnxEncoder)
    probes = PROBES + ["How much do medical assistants make in California?", "CMA vs RMA certification"]
    reference = SentenceTransformerEncoder(resolve_model(index.manifest.model_path)).encode(probes)
    assert reference.shape == (len(probes), 384)
    assert float(np.abs(index.encoder.encode(probes) - reference).max()) <= 1e-4


def test_a_later_build_removes_leftovers_of_an_interrupted_one(tiny_index):
    index_dir = tiny_index.index_dir
    live = live_folder(index_dir)
    (index_dir / ".tmp-build-1-2").mkdir()
    (index_dir / ".tmp-build-1-2" / "passages.jsonl").write_text("partial", encoding="utf-8")
    (index_dir / "build-3-4").mkdir()
    (index_dir / f".{CURRENT}.99").write_text("build-3-4\n", encoding="utf-8")
    assert build_index(tiny_index).built is False
    assert sorted(p.name for p in index_dir.iterdir()) == sorted([".lock", CURRENT, live.name])


def test_loading_an_index_leaves_numpy_one_blas_thread(tiny_index):
    # a second BLAS thread spins beside every answer's matrix product (docs/benchmarks.md)
    from threadpoolctl import threadpool_info, threadpool_limits

    threadpool_limits(2, user_api="blas")
    assert any(lib["num_threads"] == 2 for lib in threadpool_info() if lib["user_api"] == "blas")
    load_index(tiny_index)
    assert {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"} == {1}
