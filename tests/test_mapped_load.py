"""A loaded index maps its vectors instead of reading them (a large index starts in a fraction of a
second); the mapped indexes answer exactly as ones read whole. The housekeeping stems, which read
every sentence, are found only when first needed."""

from __future__ import annotations

import faiss
import numpy as np

from chatbot.answering.selection import Housekeeping
from chatbot.guide.chunking import Passage
from chatbot.index.load import HEADING_VECTORS, PASSAGE_VECTORS, SENTENCE_VECTORS, live_folder, load_index
from chatbot.index.vector_store import vector_index


def unit_rows(count: int, dimension: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_loaded_index_is_mapped_and_searches_as_one_read_whole(tiny_index):
    index = load_index(tiny_index)
    folder = live_folder(tiny_index.index_dir)
    assert isinstance(index.heading_vectors, np.memmap)
    np.testing.assert_array_equal(index.heading_vectors, np.load(folder / HEADING_VECTORS))
    for mapped, name in ((index.passage_vectors, PASSAGE_VECTORS), (index.sentence_vectors, SENTENCE_VECTORS)):
        whole = faiss.read_index(str(folder / name))
        queries = whole.reconstruct_n(0, whole.ntotal)
        assert [r.tolist() for r in mapped.search(queries, 3)] == [r.tolist() for r in whole.search(queries, 3)]


def test_a_mapped_inverted_file_index_gives_the_same_neighbours_and_vectors(tmp_path):
    rows = unit_rows(3000, 16, seed=1)
    path = tmp_path / "ivf.faiss"
    faiss.write_index(vector_index(rows, exact=False), str(path))
    whole, mapped = faiss.read_index(str(path)), faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
    assert isinstance(mapped, faiss.IndexIVFFlat) and mapped.nprobe == whole.nprobe > 1
    queries = unit_rows(50, 16, seed=2)
    assert [r.tolist() for r in mapped.search(queries, 10)] == [r.tolist() for r in whole.search(queries, 10)]
    picked = np.array([0, 7, 2999], dtype=np.int64)
    np.testing.assert_array_equal(mapped.reconstruct_batch(picked), rows[picked])


def passage(number: int, *sentences: str) -> Passage:
    return Passage(number, "Guide", "guide.md", ("Part",), " ".join(sentences), number, tuple(sentences))


def test_housekeeping_stems_are_those_only_the_marked_sentences_use():
    passages = [passage(0, "Pay is hourly.", "Call our staffing agency today."), passage(1, "Agency work pays weekly.")]
    housekeeping = Housekeeping.of_guide(frozenset({"Call our staffing agency today."}), passages)
    assert "stems" not in housekeeping.__dict__  # not found at load
    assert housekeeping.allows("Pay is hourly.", set())
    assert not housekeeping.allows("Call our staffing agency today.", {"agenc"})  # the guide says "agency" elsewhere
    assert housekeeping.allows("Call our staffing agency today.", {"staf"})
    assert housekeeping.stems == {"staf", "call", "today"}


def test_no_marked_sentence_reads_no_sentence():
    housekeeping = Housekeeping.of_guide(frozenset(), [passage(0, "Pay is hourly.")])
    assert housekeeping.stems == frozenset() and housekeeping.allows("Pay is hourly.", set())
