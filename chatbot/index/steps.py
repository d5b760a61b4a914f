"""The build's steps: the encoders a build embeds with (and the query encoder it places), the
vectors and passages it writes, and the Tuning it fits on the bank; `build.py` runs them in order."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..guide.bank import BankQuestion
from ..guide.chunking import Passage
from ..guide.glossary import Glossary
from .embedding import ModelInfo
from .housekeeping import find_housekeeping
from .load import (
    ENCODER,
    HEADING_VECTORS,
    PASSAGE_VECTORS,
    SENTENCE_VECTORS,
    LoadedIndex,
    embed_text,
    heading_embed_text,
    sentence_embed_texts,
)
from .manifest import Manifest
from .quantize import FLOAT, quantize_encoder
from .tuning import Tuning
from .vector_cache import VectorCache
from .vector_store import vector_index

# A heading whose cosine with its own passage is below this names no subject. On the guide, the
# "Introduction" and "Conclusion" headings score -0.01 to 0.05 and every other heading 0.21 or more.
GENERIC_HEADING_MAX = 0.1


class Encoders:
    """The build's encoders: the query encoder placed in the new build (the previous build's when
    the model and its quantization are the same, else exported to ONNX and, when asked, quantized),
    and what embeds the corpus (that ONNX encoder on every core, or sentence-transformers when the
    export failed), each made on first use."""

    def __init__(
        self,
        folder: Path,
        previous: tuple[Path, Manifest] | None,
        model: ModelInfo,
        progress: bool,
        *,
        quantize: str = FLOAT,
        cache: Path | None = None,
    ) -> None:
        self.folder, self.previous, self.model, self.progress = folder, previous, model, progress
        self.quantize, self.cache = quantize, cache
        self.kind = ""  # "onnx" or "sentence-transformers" once placed
        self._torch_encoder = None

    def place(self) -> str:
        """Put the query encoder in the build folder; return its kind."""
        if self.kind:
            return self.kind
        if self.previous is not None:
            old_folder, old = self.previous
            if (
                old.query_encoder == "onnx"
                and old.model_sha256 == self.model.weights_sha256
                and old.quantize == self.quantize
                and (old_folder / ENCODER).is_dir()
            ):
                shutil.copytree(old_folder / ENCODER, self.folder / ENCODER, copy_function=os.link)
                self.kind = "onnx"
                return self.kind
        from .torch_encoder import SentenceTransformerEncoder, export_onnx_apart

        if export_onnx_apart(self.model, self.folder / ENCODER, progress=self.progress):
            self.kind = "onnx"
            if self.quantize != FLOAT:
                quantize_encoder(self.folder / ENCODER, self.cache or self.folder)
        else:
            self.kind, self.quantize = "sentence-transformers", FLOAT
            self._torch_encoder = SentenceTransformerEncoder(self.model, progress=self.progress)
        return self.kind

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of many texts (a progress bar when the build shows progress)."""
        if self.place() == "onnx":
            from .onnx_encoder import OnnxEncoder

            return OnnxEncoder(self.folder / ENCODER, bulk=True).encode_batched(texts, workers=cores(), progress=self.progress)
        return self._torch_encoder.encode(texts, progress=self.progress)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def write_vectors(folder: Path, passages: list[Passage], vectors: VectorCache) -> int:
    """Write the passage, sentence and heading vectors; return the dimension.

    Every text is embedded in one call (one progress bar); each index is written and freed before
    the next is made, so the vectors are held at most twice."""
    import faiss

    per_passage = [sentence_embed_texts(p) for p in passages]
    counts = [len(own) for own in per_passage]
    sentences = [t for own in per_passage for t in own]
    headings = [heading_embed_text(p) for p in passages]
    vectors.add([embed_text(p) for p in passages] + sentences + headings)  # each distinct text once, in one call
    passage_rows, sentence_rows = vectors.embed([embed_text(p) for p in passages]), vectors.embed(sentences)
    faiss.write_index(vector_index(passage_rows), str(folder / PASSAGE_VECTORS))
    faiss.write_index(vector_index(sentence_rows), str(folder / SENTENCE_VECTORS))
    np.save(folder / HEADING_VECTORS, heading_vectors(vectors.embed(headings), passage_rows, sentence_rows, counts))
    return passage_rows.shape[1]


def fit_tuning(index: LoadedIndex, lexical_texts: list[str], bank: list[BankQuestion]) -> Tuning:
    """Weights and the scope rule fitted on the bank (defaults when it holds too little to fit)."""
    from .retrieval import guide_signals
    from .tuning import Evidence, fit

    folds = sorted({q.voice for q in bank})
    if len(folds) < 2 or not any(q.answered for q in bank) or all(q.answered for q in bank):
        return Tuning(fitted_on="defaults: the bank has too few voices or labels to cross-validate")
    keys = index.bank
    gold = np.zeros((len(bank), len(index.passages)), dtype=bool)
    gold[keys.rows, keys.passages] = True
    evidence = Evidence(
        signals=guide_signals(index, index.lexical, keys.vectors, lexical_texts),
        bank_sims=keys.vectors @ keys.vectors.T,
        answered=keys.answered,
        gold=gold,
        folds=np.array([folds.index(q.voice) for q in bank]),
        bank_rows=keys.rows,
        bank_passages=keys.passages,
        general=np.array([not q.answered and not q.section for q in bank]),
    )
    return fit(evidence, fitted_on=f"{len(bank)} bank questions, {len(folds)} folds by voice")


def heading_vectors(headings: np.ndarray, passages: np.ndarray, sentences: np.ndarray, counts: list[int]) -> np.ndarray:
    """The vectors compared with a question for each passage's heading path.

    A heading that says nothing about its text ("Introduction", "Conclusion": cosine with its own
    passage below GENERIC_HEADING_MAX) would score every question alike, low; the passage is then
    represented by what its text is about, the mean of its sentence vectors."""
    out = headings.copy()
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    generic = np.einsum("ij,ij->i", headings, passages) < GENERIC_HEADING_MAX
    for i in np.flatnonzero(generic & (np.asarray(counts) > 0)):
        mean = sentences[starts[i] : starts[i] + counts[i]].mean(axis=0)
        out[i] = mean / np.linalg.norm(mean)
    return out


def write_passages(path: Path, passages: list[Passage]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")


def with_housekeeping(
    glossary: Glossary, passages: list[Passage], embed: Callable[[list[str]], np.ndarray], asked: np.ndarray
) -> Glossary:
    """The glossary with the guide's housekeeping sentences: the bank's marks and those a model
    fitted on them finds (`housekeeping.py`); `asked` holds the answered bank questions' vectors."""
    sentences = [s for p in passages for s in p.sentences]
    vectors = embed(sentences).reshape(len(sentences), -1) if sentences else np.zeros((0, asked.shape[1]))
    found = find_housekeeping(passages, vectors, asked, glossary.housekeeping)
    return replace(glossary, housekeeping=found.sentences, housekeeping_fit={"fitted_on": found.fitted_on, **found.cv})
