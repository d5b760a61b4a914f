"""A bulk encode's batches: every text once, padded to one of a few fixed lengths, within the token budget."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.index.batching import Tokens, pad_lengths, token_batches


def test_pad_lengths_end_at_the_models_limit():
    assert pad_lengths(256) == (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256)
    assert pad_lengths(100) == (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 100)
    assert pad_lengths(8) == (8,)


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        # (rows, padded length) of each batch, in order of length
        ([3, 16, 17, 24, 25, 9], [([0], 8), ([1, 5], 16), ([2, 3], 24), ([4], 32)]),
        ([200, 1, 256, 190, 257], [([1], 8), ([3], 192), ([0], 224), ([2, 4], 256)]),  # 257: truncated
        ([], []),
    ],
)
def test_batches_are_padded_to_the_smallest_fixed_length_that_holds_them(lengths, expected):
    batches = token_batches(np.array(lengths), max_tokens=256, budget=512, max_rows=4)
    assert [(b.rows.tolist(), b.length) for b in batches] == expected


def test_batches_hold_every_row_once_within_the_budget_and_few_shapes():
    lengths = np.random.default_rng(0).integers(1, 257, size=5000)
    batches = token_batches(lengths, max_tokens=256, budget=4096, max_rows=64)
    rows = np.concatenate([b.rows for b in batches])
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert all(len(b.rows) * b.length <= 4096 and len(b.rows) <= 64 for b in batches)
    assert all(lengths[b.rows].max() <= b.length for b in batches)
    # at most two shapes a padded length: full batches and one partial
    assert len({(len(b.rows), b.length) for b in batches}) <= 2 * len(pad_lengths(256))


def test_a_text_longer_than_the_budget_is_a_batch_of_its_own():
    (batch,) = token_batches(np.array([256]), max_tokens=256, budget=100)
    assert (batch.rows.tolist(), batch.length) == ([0], 256)


def test_tokens_are_padded_with_zeros_and_masked():
    tokens = Tokens.of([[5, 6, 7], [], [8]])
    assert tokens.lengths.tolist() == [3, 0, 1]
    ids, mask = tokens.padded(np.array([2, 0]), 4)
    assert ids.tolist() == [[8, 0, 0, 0], [5, 6, 7, 0]]
    assert mask.tolist() == [[1, 0, 0, 0], [1, 1, 1, 0]]
    ids, mask = tokens.padded(np.array([0]), 2)  # never past the padded length
    assert ids.tolist() == [[5, 6]] and mask.tolist() == [[1, 1]]
