"""Validate and load the on-disk index: FAISS vectors, passages, the bank, the Tuning and a manifest.

Layout: `index/CURRENT` names the live build folder (`index/build-…/`), written by `build.py`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import REBUILD_HINT, IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError
from ..guide.chunking import Passage, list_units
from ..guide.glossary import GLOSSARY, Glossary
from ..settings import Settings
from .context import CONTEXT, ContextModel
from .embedding import Encoder, resolve_model
from .lexical import LEXICAL, LexicalIndex
from .manifest import Manifest, file_sha256, read_manifest, rebuild_hint, staleness
from .neighbours import BANK_QUESTIONS, BANK_VECTORS, BankKeys, read_bank_keys
from .terms import TERM_VECTORS, TERMS, TermModel
from .tuning import Tuning

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
PASSAGES = "passages.jsonl"
PASSAGE_VECTORS = "passages.faiss"
SENTENCE_VECTORS = "sentences.faiss"
HEADING_VECTORS = "headings.npy"
CACHE = "vectors.npz"
ENCODER = "encoder"
VERIFIED = ".verified.json"  # identities of files whose sha256 matched the manifest
# every file of a build but the manifest and the encoder (which the manifest lists on its own)
CHECKED_FILES = (
    PASSAGES,
    PASSAGE_VECTORS,
    SENTENCE_VECTORS,
    HEADING_VECTORS,
    CACHE,
    BANK_QUESTIONS,
    BANK_VECTORS,
    LEXICAL,
    GLOSSARY,
    TERMS,
    TERM_VECTORS,
    CONTEXT,
)


@dataclass
class LoadedIndex:
    """A validated index in memory, ready for retrieval."""

    folder: Path
    manifest: Manifest
    passages: list[Passage]
    passage_vectors: object  # faiss.Index
    sentence_vectors: object  # faiss.Index
    sentence_owner: np.ndarray  # sentence row -> passage id
    sentence_offsets: np.ndarray  # passage id -> first sentence row
    heading_vectors: np.ndarray  # passage id -> vector of its heading path
    bank: BankKeys
    tuning: Tuning
    lexical: LexicalIndex  # BM25, as the build computed it
    glossary: Glossary  # the guide's words, topic phrase and states, as the build found them
    terms: TermModel  # which words of a question the guide never mentions
    context: ContextModel  # which earlier turn a message leans on
    _encoder: Encoder | None = field(default=None, repr=False)

    @property
    def encoder(self) -> Encoder:
        """The query encoder, loaded on first use."""
        if self._encoder is None:
            self._encoder = load_query_encoder(self.folder, self.manifest)
        return self._encoder


def embed_text(passage: Passage) -> str:
    """What the dense model sees for a passage: its text (headings are embedded on their own)."""
    return passage.text


def sentence_embed_texts(passage: Passage) -> list[str]:
    """The passage's rows in the sentence index: each sentence alone, then each list with its lead-in.

    Row `offset + j` is sentence j of the passage for j < len(passage.sentences)."""
    return list(passage.sentences) + list_units(passage)


def heading_embed_text(passage: Passage) -> str:
    """What the dense model sees for a passage's heading: its section path."""
    return " › ".join(passage.section)


def live_folder(index_dir: Path, *, hint: str = REBUILD_HINT) -> Path:
    """The build folder CURRENT names, or IndexMissingError (`hint` says what to run)."""
    pointer = index_dir / CURRENT
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexError_(f"index folder {index_dir} is not a folder; pass another --index")
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(f"no index in {index_dir}; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{pointer} is unreadable ({type(exc).__name__}); {hint}") from None
    folder = index_dir / name
    if not name or "/" in name or not folder.is_dir():
        raise IndexCorruptError(f"{pointer} names a missing build {name!r}; {hint}")
    return folder


def load_index(settings: Settings, *, check_fresh: bool = True) -> LoadedIndex:
    """Load and validate the live index; raise one clear error if it is missing, corrupt or stale.

    A rebuild may switch CURRENT while this reads: a build that fails to read is read once more
    from what CURRENT names then."""
    try:
        return _load_live(settings, check_fresh=check_fresh)
    except IndexCorruptError:
        return _load_live(settings, check_fresh=check_fresh)


def one_blas_thread() -> None:
    """Let numpy's BLAS (OpenBLAS) use one thread. The bank's scores are a matrix product, which
    OpenBLAS splits over both cores; its second thread then spins waiting for work, ~7 ms of CPU a
    question that the answering thread never sees, and a core taken from the other question
    (answer CPU 18 → 7 ms a question, two at a time: docs/benchmarks.md)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def _load_live(settings: Settings, *, check_fresh: bool) -> LoadedIndex:
    import faiss

    faiss.omp_set_num_threads(1)  # one thread per question: two oversubscribe 2 cores under load (scripts/bench.py)
    one_blas_thread()

    hint = rebuild_hint(settings)
    folder = live_folder(settings.index_dir, hint=hint)
    manifest = read_manifest(folder, hint=hint)
    if check_fresh and (reason := staleness(settings, manifest)):
        raise IndexStaleError(f"{reason}; {hint}")
    if (damaged := damaged_file(folder, manifest)) is not None:
        raise IndexCorruptError(f"index file {damaged} is missing or damaged; {hint}")
    return open_build(folder, manifest, hint=hint)


def open_build(folder: Path, manifest: Manifest, *, hint: str = REBUILD_HINT) -> LoadedIndex:
    """The build in `folder` in memory, its files checked against each other (not hashed)."""
    import faiss

    try:
        passages = [Passage.from_dict(json.loads(line)) for line in (folder / PASSAGES).read_text(encoding="utf-8").splitlines()]
        # mapped, not read: a large index (250 MB of sentence vectors at 10 MB of corpus) costs a
        # question only the pages its search touches, and `ask` starts without reading it whole
        passage_vectors = faiss.read_index(str(folder / PASSAGE_VECTORS), faiss.IO_FLAG_MMAP)
        sentence_vectors = faiss.read_index(str(folder / SENTENCE_VECTORS), faiss.IO_FLAG_MMAP)
        heading_vectors = np.load(folder / HEADING_VECTORS, allow_pickle=False, mmap_mode="r")
        bank = read_bank_keys(folder, passages)
        lexical = LexicalIndex.load(folder / LEXICAL)
        glossary = Glossary.load(folder / GLOSSARY)
        # absent only while the build that writes it is still fitting its tuning (the manifest's hashes catch a lost file)
        terms = TermModel.load(folder) if (folder / TERMS).exists() else TermModel()
        context = ContextModel.load(folder) if (folder / CONTEXT).exists() else ContextModel()
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexCorruptError(f"index in {folder} cannot be read ({type(exc).__name__}); {hint}") from None
    counts = [len(sentence_embed_texts(p)) for p in passages]
    if (
        passage_vectors.ntotal != len(passages)
        or sentence_vectors.ntotal != sum(counts)
        or passage_vectors.d != manifest.dimension
        or heading_vectors.shape != (len(passages), manifest.dimension)
        or [p.id for p in passages] != list(range(len(passages)))
        or bank.vectors.shape[1:] not in ((manifest.dimension,), (0,))
        or lexical.size != len(passages)
    ):
        raise IndexCorruptError(f"index in {folder}: passages and vectors disagree; {hint}")
    owner = np.repeat(np.arange(len(passages)), counts)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return LoadedIndex(
        folder,
        manifest,
        passages,
        passage_vectors,
        sentence_vectors,
        owner,
        offsets,
        heading_vectors,
        bank,
        Tuning.from_dict(manifest.tuning) if manifest.tuning else Tuning(),
        lexical,
        glossary,
        terms,
        context,
    )


def load_query_encoder(folder: Path, manifest: Manifest) -> Encoder:
    """The encoder the build exported (ONNX), or sentence-transformers when export was not possible."""
    from .onnx_encoder import OnnxEncoder
    from .torch_encoder import SentenceTransformerEncoder

    if manifest.query_encoder == "onnx":
        try:
            return OnnxEncoder(folder / ENCODER)
        except Exception as exc:
            raise IndexCorruptError(
                f"query encoder in {folder / ENCODER} cannot be loaded ({type(exc).__name__}); {REBUILD_HINT}"
            ) from None
    return SentenceTransformerEncoder(resolve_model(manifest.model_path))


def damaged_file(folder: Path, manifest: Manifest) -> Path | None:
    """The first file of a build that is missing or differs from its manifest's sha256, or None.

    A file is hashed once per identity (size, mtime, inode): the identities that matched are kept
    in the build folder's `.verified.json`, so a later start skips hashing the 90 MB encoder unless
    the file was written since."""
    memo = _read_verified(folder)
    for name, digest in build_files(manifest).items():
        path = folder / name
        try:
            stat = path.stat()
        except OSError:
            return path
        identity = [stat.st_size, stat.st_mtime_ns, stat.st_ino, digest]
        if memo.get(name) == identity:
            continue
        if not path.is_file() or file_sha256(path) != digest:
            return path
        memo[name] = identity
    _write_verified(folder, memo)
    return None


def remember_verified(folder: Path, manifest: Manifest) -> None:
    """Record the identities of a new build's files, whose sha256 the build has just computed."""
    memo = {}
    for name, digest in build_files(manifest).items():
        stat = (folder / name).stat()
        memo[name] = [stat.st_size, stat.st_mtime_ns, stat.st_ino, digest]
    _write_verified(folder, memo)


def build_files(manifest: Manifest) -> dict[str, str]:
    """Every file of a build that the manifest gives a sha256 for, by its path in the build folder."""
    return {**manifest.files, **{f"{ENCODER}/{name}": digest for name, digest in manifest.encoder_files.items()}}


def _read_verified(folder: Path) -> dict[str, list]:
    try:
        memo = json.loads((folder / VERIFIED).read_text(encoding="utf-8"))
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_verified(folder: Path, memo: dict[str, list]) -> None:
    """Keep what was verified (best effort: a read-only index is verified again next time)."""
    if memo == _read_verified(folder):
        return
    temporary = folder / f"{VERIFIED}.{os.getpid()}"
    try:
        temporary.write_text(json.dumps(memo), encoding="utf-8")
        os.replace(temporary, folder / VERIFIED)
    except OSError:
        temporary.unlink(missing_ok=True)
