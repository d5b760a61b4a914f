"""Build the on-disk index: fine-tune (cached), embed (cached by text hash), fit the Tuning, switch.

A build is written to a new folder and made live by atomically replacing `index/CURRENT`, so an
interrupted build leaves the previous index usable; a rebuild embeds only changed text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..guide.bank import BankQuestion, bank_files, load_bank, load_marks
from ..guide.chunking import CHUNKER_VERSION, Passage, chunk_documents
from ..guide.conversations import load_conversations
from ..guide.corpus import load_corpus
from .context_fit import fit_context
from .terms_fit import fit_terms
from .embedding import ModelInfo, resolve_model, weights_sha256
from ..errors import IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError, ModelError
from .finetune import fine_tuned
from ..guide.glossary import GLOSSARY, Glossary
from .load import (
    CACHE,
    CHECKED_FILES,
    CURRENT,
    ENCODER,
    HEADING_VECTORS,
    PASSAGE_VECTORS,
    PASSAGES,
    SENTENCE_VECTORS,
    LoadedIndex,
    damaged_file,
    embed_text,
    heading_embed_text,
    live_folder,
    load_index,
    load_query_encoder,
    open_build,
    remember_verified,
    sentence_embed_texts,
)
from .lexical import LEXICAL, LexicalIndex
from ..locks import exclusive
from .manifest import MANIFEST, Manifest, corpus_hashes, file_sha256, read_manifest, staleness
from .models import check_weights, model_source
from .neighbours import BANK_VECTORS, write_bank
from ..settings import Settings
from .tuning import Tuning
from .vector_cache import VectorCache, read_cache
from .vector_store import vector_index

log = logging.getLogger(__name__)

# A heading whose cosine with its own passage is below this names no subject. On the guide, the
# "Introduction" and "Conclusion" headings score -0.01 to 0.05 and every other heading 0.21 or more.
GENERIC_HEADING_MAX = 0.1


def ensure_index(settings: Settings, *, progress: bool = False) -> LoadedIndex:
    """Load the index, building it first when it is missing, stale or damaged."""
    try:
        return load_index(settings)
    except (IndexMissingError, IndexStaleError, IndexCorruptError) as exc:
        log.info("%s; rebuilding", str(exc).split(";")[0])
        build_index(settings, progress=progress, force=isinstance(exc, IndexCorruptError))
        return load_index(settings)


@dataclass(frozen=True)
class BuildReport:
    """What a build did."""

    index_dir: Path
    built: bool
    passages: int
    sentences: int
    embedded: int  # distinct texts embedded by this build
    reused: int  # distinct texts whose vectors came from the previous build
    seconds: float
    reason: str = ""


def build_index(settings: Settings, *, progress: bool = False, force: bool = False, retune: bool = True) -> BuildReport:
    """Build the index for `settings` unless it is already up to date (or `force`).

    `retune=False` (a live rebuild after the bank gained lines) keeps the previous build's
    fine-tuned model instead of fine-tuning again, so the rebuild takes seconds, not minutes; the
    new bank lines still count through the bank's neighbours and the refitted tuning, and the
    manifest's `model_bank` says which bank the model was tuned on."""
    started = time.perf_counter()
    index_dir = settings.index_dir
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexError_(f"index folder {index_dir} is not a folder; pass another --index")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexError_(f"cannot create the index folder {index_dir} ({exc.strerror}); pass another --index") from None
    with _build_lock(index_dir):
        previous = _intact_build(index_dir)  # vectors are reused only from an undamaged build
        hashes = corpus_hashes(settings.corpus_dir)
        if previous and not force and not staleness(settings, previous[1]):
            _remove_old_builds(index_dir, keep={previous[0].name})  # leftovers of an interrupted build
            return BuildReport(
                index_dir,
                False,
                previous[1].passages,
                previous[1].sentences,
                0,
                0,
                time.perf_counter() - started,
                "index is up to date",
            )
        passages = chunk_documents(load_corpus(settings.corpus_dir))
        bank = load_bank(settings.corpus_dir, {p.section for p in passages})
        base = resolve_model(settings.model, cache=settings.model_cache, trust=settings.trust_model)
        kept = None if retune or not previous else _kept_model(previous[1], base)
        if kept is not None:
            model, model_bank = kept, previous[1].model_bank
        else:
            model = fine_tuned(base, bank, passages, settings.model_cache, progress=progress) if settings.fine_tune else base
            model_bank = _bank_digest(hashes, settings.corpus_dir) if model is not base else ""
        folder = index_dir / f".tmp-build-{os.getpid()}-{time.time_ns()}"
        folder.mkdir()
        try:
            encoders = _Encoders(folder, previous, model, progress)
            cached = read_cache(previous[0] / CACHE, model.weights_sha256) if previous else None
            vectors = VectorCache(encoders.encode, cached)
            dimension = _write_vectors(folder, passages, vectors)
            query_encoder = encoders.place()
            _write_passages(folder / PASSAGES, passages)
            LexicalIndex.build(passages).save(folder / LEXICAL)
            glossary = Glossary.of_guide(passages, load_marks(settings.corpus_dir))
            glossary.save(folder / GLOSSARY)
            manifest = Manifest(
                model=settings.model,
                model_path=str(model.path),
                model_sha256=model.weights_sha256,
                base_model_sha256=base.weights_sha256,
                model_source=_model_source(settings, base),
                fine_tune=settings.fine_tune,
                fine_tuned=model is not base,
                model_bank=model_bank,
                dimension=dimension,
                normalized=True,
                chunker_version=CHUNKER_VERSION,
                corpus=hashes,
                files={},
                query_encoder=query_encoder,
                passages=len(passages),
                sentences=sum(len(sentence_embed_texts(p)) for p in passages),
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                encoder_files={p.name: file_sha256(p) for p in sorted((folder / ENCODER).iterdir())}
                if query_encoder == "onnx"
                else {},
            )
            reader = glossary.reader(load_query_encoder(folder, manifest).known_words())
            read = [reader.read(q.question) for q in bank]
            write_bank(folder, bank, vectors.embed([r.dense for r in read]).reshape(len(bank), dimension))
            bank_vectors = np.load(folder / BANK_VECTORS)
            fit_terms(bank, [r.own for r in read], bank_vectors, glossary.vocabulary, vectors.embed).save(folder)
            fit_context(load_conversations(settings.corpus_dir), bank, lambda t: reader.read(t).own, vectors.embed).save(folder)
            vectors.save(folder / CACHE, model.weights_sha256)
            tuning = _fit_tuning(open_build(folder, manifest), [r.lexical for r in read], bank)
            manifest = replace(
                manifest,
                tuning=tuning.to_dict(),
                embedded=vectors.embedded,
                reused=vectors.reused,
                files={name: file_sha256(folder / name) for name in CHECKED_FILES},
            )
            (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            remember_verified(folder, manifest)
            _fsync_tree(folder)
            live = index_dir / ("build-" + folder.name.removeprefix(".tmp-build-"))
            folder.rename(live)
            _point_current(index_dir, live.name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # the build live until now stays until the next build: a reader that resolved CURRENT just
        # before the switch can still read it
        _remove_old_builds(index_dir, keep={live.name, *([previous[0].name] if previous else [])})
    return BuildReport(
        index_dir, True, len(passages), manifest.sentences, vectors.embedded, vectors.reused, time.perf_counter() - started
    )


class _Encoders:
    """The build's encoders: the query encoder placed in the new build (the previous build's when
    the model is the same, else exported to ONNX), and what embeds the corpus (that ONNX encoder on
    every core, or sentence-transformers when the export failed), each made on first use."""

    def __init__(self, folder: Path, previous: tuple[Path, Manifest] | None, model: ModelInfo, progress: bool) -> None:
        self.folder, self.previous, self.model, self.progress = folder, previous, model, progress
        self.kind = ""  # "onnx" or "sentence-transformers" once placed
        self._torch_encoder = None

    def place(self) -> str:
        """Put the query encoder in the build folder; return its kind."""
        if self.kind:
            return self.kind
        if self.previous is not None:
            old_folder, old = self.previous
            if old.query_encoder == "onnx" and old.model_sha256 == self.model.weights_sha256 and (old_folder / ENCODER).is_dir():
                shutil.copytree(old_folder / ENCODER, self.folder / ENCODER, copy_function=os.link)
                self.kind = "onnx"
                return self.kind
        from .embedding import SentenceTransformerEncoder, export_onnx_apart

        if export_onnx_apart(self.model, self.folder / ENCODER, progress=self.progress):
            self.kind = "onnx"
        else:
            self.kind = "sentence-transformers"
            self._torch_encoder = SentenceTransformerEncoder(self.model, progress=self.progress)
        return self.kind

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of many texts (a progress bar when the build shows progress)."""
        if self.place() == "onnx":
            from .embedding import OnnxEncoder

            return OnnxEncoder(self.folder / ENCODER, bulk=True).encode_batched(texts, workers=_cores(), progress=self.progress)
        return self._torch_encoder.encode(texts, progress=self.progress)


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _write_vectors(folder: Path, passages: list[Passage], vectors: VectorCache) -> int:
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


def _fit_tuning(index: LoadedIndex, lexical_texts: list[str], bank: list[BankQuestion]) -> Tuning:
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


def _write_passages(path: Path, passages: list[Passage]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for passage in passages:
            handle.write(json.dumps(passage.to_dict(), ensure_ascii=False) + "\n")


def _intact_build(index_dir: Path) -> tuple[Path, Manifest] | None:
    """The live build and its manifest when every file checks out; None when missing or damaged."""
    try:
        folder = live_folder(index_dir)
        manifest = read_manifest(folder)
    except (IndexMissingError, IndexCorruptError, IndexStaleError):
        return None
    return (folder, manifest) if damaged_file(folder, manifest) is None else None


def _point_current(index_dir: Path, name: str) -> None:
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _remove_old_builds(index_dir: Path, *, keep: set[str]) -> None:
    """Remove leftovers of interrupted builds and every build not in `keep`."""
    for path in index_dir.iterdir():
        if path.name not in keep and path.name.startswith(("build-", ".tmp-build-", f".{CURRENT}.")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _build_lock(index_dir: Path):
    """One build at a time per index folder (a second waits for the first)."""
    return exclusive(
        index_dir / ".lock",
        lambda exc: IndexError_(f"cannot write to the index folder {index_dir} ({exc.strerror}); pass another --index"),
    )


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _bank_digest(hashes: dict[str, str], corpus_dir: Path) -> str:
    """One hash of the question bank files, as they were when the model was fine-tuned."""
    names = sorted(path.name for path in bank_files(corpus_dir))
    return hashlib.sha256(json.dumps([[n, hashes.get(n, "")] for n in names]).encode()).hexdigest()


def _kept_model(manifest: Manifest, base: ModelInfo) -> ModelInfo | None:
    """The previous build's fine-tuned model, when it is still on disk with the same weights."""
    path = Path(manifest.model_path)
    if not manifest.fine_tuned or manifest.base_model_sha256 != base.weights_sha256 or not path.is_dir():
        return None
    try:
        model = ModelInfo(name=base.name, path=path, weights_sha256=weights_sha256(path))
    except OSError:
        return None
    return model if model.weights_sha256 == manifest.model_sha256 else None


def _model_source(settings: Settings, base: ModelInfo) -> str:
    """Where the model came from, and whether a known model was used with other weights (--trust-model)."""
    try:
        check_weights(settings.model, base.weights_sha256)
    except ModelError:
        return model_source(settings.model) + ", other weights trusted"
    return model_source(settings.model)
