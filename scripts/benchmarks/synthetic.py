"""Synthetic corpora: the guide's sentences recombined into passages, with perturbed copies of
their real vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

NOISE = 0.6  # norm of the noise added to synthetic vectors: nearest-neighbour cosine ~0.84, as in the guide


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
    from chatbot.guide.chunking import split_sentences

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


def perturbed(base: np.ndarray, picks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors near base[picks]: mixed with two other real vectors, plus a little noise."""
    n, d = len(picks), base.shape[1]
    mix = base[rng.integers(len(base), size=(n, 2))] * rng.uniform(0, 0.35, size=(n, 2, 1)).astype(np.float32)
    vectors = base[picks] + mix.sum(axis=1) + rng.standard_normal((n, d), dtype=np.float32) * np.float32(NOISE / np.sqrt(d))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def large_corpus(guide_index, count: int, rng: np.random.Generator) -> tuple[list, tuple[np.ndarray, np.ndarray], np.ndarray]:
    """Synthetic passages of recombined guide sentences, with perturbed copies of their real vectors."""
    from chatbot.guide.chunking import Passage

    guide = guide_index.passages
    sentences = [s for p in guide for s in p.sentences]
    layout = synthetic_passages(guide, count, rng)
    passages = [
        Passage(
            id=i,
            title="Synthetic career guide",
            source="synthetic.md",
            section=guide[base].section,
            text=" ".join(sentences[r] for r in rows),
            position=i,
            sentences=tuple(sentences[r] for r in rows),
        )
        for i, (base, rows) in enumerate(layout)
    ]
    bases = [index.reconstruct_n(0, index.ntotal) for index in (guide_index.passage_vectors, guide_index.sentence_vectors)]
    passage_matrix = perturbed(bases[0], np.array([base for base, _ in layout]), rng)
    sentence_matrix = perturbed(bases[1], np.array([r for _, rows in layout for r in rows]), rng)
    headings = guide_index.heading_vectors[[base for base, _ in layout]]  # the same heading text, the same vector
    return passages, (passage_matrix, sentence_matrix), headings
