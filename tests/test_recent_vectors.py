"""The query encoder's memory of recent texts: only new texts are encoded, the vectors are the
encoder's own, the memory stays within its size, and answers do not change."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from chatbot.index.recent_vectors import RecentVectors


class CountingEncoder:
    """A stand-in encoder: a text's vector is made from its characters; every encoded text is logged."""

    dimension = 4

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str], **_) -> np.ndarray:
        self.encoded.extend(texts)
        rows = np.array([[len(t), sum(map(ord, t)) % 97, t.count(" "), 1.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_only_texts_not_seen_lately_are_encoded_and_each_once():
    encoder = CountingEncoder()
    vectors = RecentVectors(lambda: encoder)
    first = vectors.encode(["how long is training", "what is an MA"])
    again = vectors.encode(["what is an MA", "and the pay?", "and the pay?"])
    assert encoder.encoded == ["how long is training", "what is an MA", "and the pay?"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[1], again[2])
    assert np.array_equal(again, CountingEncoder().encode(["what is an MA", "and the pay?", "and the pay?"]))
    assert (vectors.hits, vectors.misses) == (2, 3)  # a text repeated within one call is encoded once


def test_the_least_recently_used_text_is_forgotten_first():
    encoder = CountingEncoder()
    vectors = RecentVectors(lambda: encoder, size=2)
    vectors.encode(["a"])
    vectors.encode(["b"])
    vectors.encode(["a"])  # "a" is now the more recent
    vectors.encode(["c"])  # forgets "b"
    assert len(vectors) == 2
    encoder.encoded.clear()
    vectors.encode(["a", "b", "c"])
    assert encoder.encoded == ["b"]


def test_forget_empties_the_memory_and_no_texts_give_an_empty_matrix():
    encoder = CountingEncoder()
    vectors = RecentVectors(lambda: encoder)
    vectors.encode(["a"])
    vectors.forget()
    vectors.encode(["a"])
    assert encoder.encoded == ["a", "a"]
    assert vectors.encode([]).shape == (0, 4)
    with pytest.raises(ValueError, match="at least 1"):
        RecentVectors(lambda: encoder, size=0)


def test_rows_handed_out_cannot_change_what_is_remembered():
    vectors = RecentVectors(CountingEncoder)
    vectors.encode(["a"])[0] *= 0  # the caller's copy
    assert np.linalg.norm(vectors.encode(["a"])[0]) == pytest.approx(1.0)


def test_threads_sharing_the_memory_get_every_vector_right_and_it_stays_bounded():
    encoder = CountingEncoder()
    vectors = RecentVectors(lambda: encoder, size=50)
    texts = [f"question {n}" for n in range(200)]
    expected = CountingEncoder().encode(texts)
    wrong: list[int] = []

    def work(offset: int) -> None:
        for n in range(offset, offset + 400):
            i = n % len(texts)
            if not np.array_equal(vectors.encode([texts[i]])[0], expected[i]):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(start,)) for start in (0, 37, 101, 150)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == [] and len(vectors) <= 50


def test_a_conversation_encodes_each_turn_once_and_answers_as_without_a_memory(tiny_index):
    from chatbot.answering.assistant import Assistant
    from chatbot.index.context import ContextModel
    from chatbot.index.load import load_index

    def leaning(index):  # every message leans on the latest turn: each turn reads the earlier ones
        dimension = index.passage_vectors.d
        index.context = ContextModel((0.0,) * (dimension + 3), 10.0, 0.5, (0.0, -1.0, 0.0), 0.0, "test: always leans")
        return index

    remembering, fresh = Assistant(leaning(load_index(tiny_index))), Assistant(leaning(load_index(tiny_index)))
    turns = ["How long is medical assistant training?", "and what does it cost?", "what about the pay?"]
    for n, turn in enumerate(turns):
        misses, fresh_misses = remembering.vectors.misses, fresh.vectors.misses
        kept = remembering.ask(turn, turns[:n])
        fresh.vectors.forget()
        alone = fresh.ask(turn, turns[:n])
        assert kept == alone  # timings aside
        if n:  # new: the message alone and as read with its context; earlier turns come from the memory
            assert kept.interpreted_as != turn
            assert remembering.vectors.misses - misses == 2
            assert fresh.vectors.misses - fresh_misses == 2 + n  # without a memory, every earlier turn again
    repeated = remembering.vectors.misses
    remembering.ask(turns[-1], turns[:-1])
    assert remembering.vectors.misses == repeated
