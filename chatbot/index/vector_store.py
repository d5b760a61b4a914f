"""The FAISS index kept for a set of unit vectors: exact while small, inverted lists when large."""

from __future__ import annotations

import numpy as np

# Above this many rows a FAISS index is IVF (√rows lists, 1/IVF_PROBED_FRACTION of them searched)
# instead of flat: a flat scan of 10,000 rows takes ~2 ms on one core (far more when two FAISS
# threads share two busy cores), and at 100,000 passages IVF still finds >= 0.99 of exact
# search's top 10 (scripts/bench.py).
EXACT_SEARCH_MAX_ROWS = 10_000
IVF_PROBED_FRACTION = 12


def vector_index(rows: np.ndarray, *, exact: bool | None = None):
    """A FAISS inner-product index over unit vectors: exact (flat) up to EXACT_SEARCH_MAX_ROWS rows,
    inverted lists above, where a flat scan would cost more than the rest of a question."""
    import faiss

    rows = np.ascontiguousarray(rows, dtype=np.float32)
    if exact is None:
        exact = searched_exactly(len(rows))
    if exact:
        index = faiss.IndexFlatIP(rows.shape[1])
    else:
        lists = max(1, int(len(rows) ** 0.5))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(rows.shape[1]), rows.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.max_points_per_centroid = 64  # train on a sample: seconds, not minutes
        index.train(rows)
        index.nprobe = max(1, -(-lists // IVF_PROBED_FRACTION))  # saved with the index
        index.make_direct_map()  # for reconstruct_batch
    index.add(rows)
    return index


def searched_exactly(rows: int) -> bool:
    """Whether an index of `rows` vectors is flat (exact) rather than inverted lists."""
    return rows <= EXACT_SEARCH_MAX_ROWS
