"""Build the on-disk index: fine-tune (cached), embed (cached by text hash), fit the Tuning, switch.

A build is written to a new folder and made live by atomically replacing `index/CURRENT`, so an
interrupted build leaves the previous index usable; a rebuild embeds only changed text. The steps
are in `steps.py`, the index folder's housekeeping (lock, switch, clean-up) in `folders.py`.
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

from ..errors import IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError, ModelError
from ..guide.bank import bank_files, load_bank, load_marks
from ..guide.chunking import CHUNKER_VERSION, chunk_documents
from ..guide.conversations import load_conversations
from ..guide.corpus import load_corpus
from ..guide.glossary import GLOSSARY, Glossary
from ..settings import Settings
from . import folders, steps
from .context_fit import fit_context
from .embedding import ModelInfo, resolve_model, weights_sha256
from .finetune import fine_tuned
from .lexical import LEXICAL, LexicalIndex
from .load import (
    CACHE,
    CHECKED_FILES,
    ENCODER,
    PASSAGES,
    LoadedIndex,
    load_index,
    load_query_encoder,
    open_build,
    remember_verified,
    sentence_embed_texts,
)
from .manifest import MANIFEST, Manifest, corpus_hashes, file_sha256, staleness
from .models import check_weights, model_source
from .neighbours import BANK_VECTORS, write_bank
from .quantize import chosen, vector_key
from .terms_fit import fit_terms
from .vector_cache import VectorCache, read_cache

log = logging.getLogger(__name__)


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
    with folders.build_lock(index_dir):
        previous = folders.intact_build(index_dir)  # vectors are reused only from an undamaged build
        hashes = corpus_hashes(settings.corpus_dir)
        if previous and not force and not staleness(settings, previous[1]):
            folders.remove_old_builds(index_dir, keep={previous[0].name})  # leftovers of an interrupted build
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
        # the quantization asked for, else the previous build's, else float
        quantize = chosen(settings.quantize if settings.quantize is not None or not previous else previous[1].quantize)
        folder = index_dir / f".tmp-build-{os.getpid()}-{time.time_ns()}"
        folder.mkdir()
        try:
            encoders = steps.Encoders(folder, previous, model, progress, quantize=quantize, cache=settings.model_cache)
            cached = read_cache(previous[0] / CACHE, vector_key(model.weights_sha256, quantize)) if previous else None
            vectors = VectorCache(encoders.encode, cached)
            dimension = steps.write_vectors(folder, passages, vectors)
            query_encoder = encoders.place()
            steps.write_passages(folder / PASSAGES, passages)
            LexicalIndex.build(passages).save(folder / LEXICAL)
            glossary = Glossary.of_guide(passages, load_marks(settings.corpus_dir))
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
                quantize=encoders.quantize,
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
            glossary = steps.with_housekeeping(glossary, passages, vectors.embed, bank_vectors[[q.answered for q in bank]])
            glossary.save(folder / GLOSSARY)
            fit_terms(bank, [r.own for r in read], bank_vectors, glossary.vocabulary, vectors.embed).save(folder)
            fit_context(load_conversations(settings.corpus_dir), bank, lambda t: reader.read(t).own, vectors.embed).save(folder)
            vectors.save(folder / CACHE, vector_key(model.weights_sha256, quantize))
            tuning = steps.fit_tuning(open_build(folder, manifest), [r.lexical for r in read], bank)
            manifest = replace(
                manifest,
                tuning=tuning.to_dict(),
                embedded=vectors.embedded,
                reused=vectors.reused,
                files={name: file_sha256(folder / name) for name in CHECKED_FILES},
            )
            (folder / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
            remember_verified(folder, manifest)
            folders.fsync_tree(folder)
            live = index_dir / ("build-" + folder.name.removeprefix(".tmp-build-"))
            folder.rename(live)
            folders.point_current(index_dir, live.name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        # the build live until now stays until the next build: a reader that resolved CURRENT just
        # before the switch can still read it
        folders.remove_old_builds(index_dir, keep={live.name, *([previous[0].name] if previous else [])})
    return BuildReport(
        index_dir, True, len(passages), manifest.sentences, vectors.embedded, vectors.reused, time.perf_counter() - started
    )


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
