"""What an index was built from, and whether that still matches the corpus and the model."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import REBUILD_HINT, CorpusError, IndexCorruptError, IndexStaleError
from ..guide.bank import bank_files
from ..guide.chunking import CHUNKER_VERSION
from ..guide.conversations import conversation_files
from ..guide.corpus import corpus_files
from ..settings import Settings
from .embedding import resolve_model
from .hashing import file_sha256

FORMAT_VERSION = 9  # 7: near_section in the tuning; 8: BM25 and the glossary are saved by the build; 9: the missing-term model
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; compared with the corpus and model before use."""

    model: str
    model_path: str
    model_sha256: str
    dimension: int
    normalized: bool
    chunker_version: str
    corpus: dict[str, str]
    files: dict[str, str]
    query_encoder: str
    passages: int
    sentences: int
    built_at: str
    format_version: int = FORMAT_VERSION
    encoder_files: dict[str, str] = field(default_factory=dict)  # sha256 of each exported query-encoder file
    tuning: dict = field(default_factory=dict)  # the fitted Tuning (weights, scope rule, cross-validated figures)
    base_model_sha256: str = ""  # the configured model's weights (model_sha256 differs when fine-tuned)
    model_source: str = ""  # "packaged:<name>" for a known model checked against its publisher's hash, else "custom"
    fine_tune: bool = False  # fine-tuning on the question bank was asked for (Settings.fine_tune)
    fine_tuned: bool = False  # and done (a bank without answered questions leaves the model as it is)
    model_bank: str = ""  # hash of the bank the model was fine-tuned on (older than the bank after a live rebuild)
    embedded: int = 0  # distinct texts this build embedded
    reused: int = 0  # distinct texts whose vectors came from the previous build
    quantize: str = "none"  # the query encoder's weights: "none" (float) or "int8" (quantize.py)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


_FIELD_TYPES = {"str": str, "int": int, "bool": bool, "dict": dict, "dict[str, str]": dict, "dict[str, int]": dict}


def corpus_hashes(corpus_dir: Path) -> dict[str, str]:
    """sha256 of every corpus file the loader reads, by file name."""
    if not corpus_dir.is_dir():
        return {}
    hashes = {}
    for path in corpus_files(corpus_dir) + bank_files(corpus_dir) + conversation_files(corpus_dir):
        try:
            hashes[path.name] = file_sha256(path)
        except OSError as exc:
            raise CorpusError(f"corpus file {path} cannot be read: {exc.strerror}; fix or remove it") from None
    return hashes


def read_manifest(folder: Path, *, hint: str = REBUILD_HINT) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        if data.get("format_version") != FORMAT_VERSION:
            raise IndexStaleError(f"index in {folder.parent} has an older format; {hint}")
        manifest = Manifest(**data)
        if not all(isinstance(getattr(manifest, f.name), _FIELD_TYPES[f.type]) for f in fields(Manifest)):
            raise TypeError("a field has the wrong type")
        return manifest
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorruptError(f"index manifest {folder / MANIFEST} is unreadable ({type(exc).__name__}); {hint}") from None


def staleness(settings: Settings, manifest: Manifest) -> str:
    """Why the index no longer matches the corpus or model, or "" when it does."""
    if manifest.chunker_version != CHUNKER_VERSION:
        return "the passage splitter changed since the index was built"
    current = corpus_hashes(settings.corpus_dir)
    removed = sorted(set(manifest.corpus) - set(current))
    added = sorted(set(current) - set(manifest.corpus))
    edited = sorted(name for name in current.keys() & manifest.corpus.keys() if current[name] != manifest.corpus[name])
    changes = [f"{name} {what}" for what, names in (("removed", removed), ("added", added), ("edited", edited)) for name in names]
    if changes:
        return "the corpus changed since the index was built (" + ", ".join(changes) + ")"
    if settings.model != manifest.model and (
        resolve_model(settings.model, cache=settings.model_cache, trust=True).weights_sha256 != manifest.base_model_sha256
    ):
        return f"the index was built with model {manifest.model!r}, not {settings.model!r}"
    if settings.fine_tune != manifest.fine_tune:
        return "the index was built " + ("without" if settings.fine_tune else "with") + " fine-tuning on the question bank"
    if settings.quantize is not None and settings.quantize != manifest.quantize:
        return f"the index was built with quantize {manifest.quantize!r}, not {settings.quantize!r}"
    return ""


def rebuild_hint(settings: Settings) -> str:
    """What to run to rebuild this index: `python -m chatbot build-index` and any non-default flags."""
    default = Settings()
    flags = [
        f"{flag} {shlex.quote(str(value))}"
        for flag, value, usual in (
            ("--corpus", settings.corpus_dir, default.corpus_dir),
            ("--index", settings.index_dir, default.index_dir),
            ("--model", settings.model, default.model),
            ("--quantize", settings.quantize, default.quantize),
        )
        if value != usual
    ]
    return "run `" + " ".join(["python -m chatbot build-index", *flags]) + "`"
