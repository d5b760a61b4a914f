"""Shared fixtures: the real guide indexed once per test session with the real model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "corpus" / "medical-assistant-guide.md"
BANK = ROOT / "corpus" / "medical-assistant-guide.questions.jsonl"
CONVERSATIONS = ROOT / "corpus" / "medical-assistant-guide.conversations.jsonl"
GUIDE_TEXT = ROOT / "tests" / "fixtures" / "medical-assistant-guide.txt"


@pytest.fixture(scope="session", autouse=True)
def onnx_exported_once_per_model(tmp_path_factory):
    """Each model's weights are exported to ONNX once per session, in the child process the build
    uses (~5 s each); later builds of the same weights get a private copy of that export (a copy,
    not a link: tests damage the files they get). Builds in child processes export for themselves."""
    from chatbot.index import torch_encoder

    export = torch_encoder.export_onnx_apart
    exports = tmp_path_factory.mktemp("onnx-exports")
    matched: dict[str, bool] = {}

    def export_once(model, folder: Path, *, progress: bool = False) -> bool:
        done = exports / model.weights_sha256
        if model.weights_sha256 not in matched:
            matched[model.weights_sha256] = export(model, done, progress=progress)  # an error is not remembered
        if done.is_dir():
            shutil.copytree(done, folder, dirs_exist_ok=True)
        return matched[model.weights_sha256]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch_encoder, "export_onnx_apart", export_once)
        yield


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Settings for a private copy of the real corpus (guide, question bank and conversations), indexed once with the
    default model."""
    from chatbot.index.build import build_index
    from chatbot.settings import Settings

    base = tmp_path_factory.mktemp("real")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(GUIDE, corpus / GUIDE.name)
    shutil.copy(BANK, corpus / BANK.name)
    shutil.copy(CONVERSATIONS, corpus / CONVERSATIONS.name)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index", feedback_db=base / "feedback.sqlite3")
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def assistant(real_settings):
    """An Assistant over the real guide and model, shared by the session."""
    from chatbot.answering.assistant import Assistant

    return Assistant.load(real_settings)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A random 32-dimension sentence-transformers model folder: index tests in a fraction of a second."""
    from helpers.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-32", seed=0, hidden_size=32)


@pytest.fixture(scope="session")
def other_tiny_model(tmp_path_factory) -> Path:
    """A second random model (48 dimensions): a real "other model" for model-swap tests."""
    from helpers.tiny_model import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("models") / "tiny-48", seed=1, hidden_size=48)


@pytest.fixture
def tiny_settings(tmp_path, tiny_model):
    """Settings for a fresh two-file corpus and an empty index folder, with the tiny model."""
    from chatbot.settings import Settings
    from helpers.tiny_corpus import write_corpus

    return Settings(
        corpus_dir=write_corpus(tmp_path / "corpus"),
        index_dir=tmp_path / "index",
        model_cache=tmp_path / "models",
        model=str(tiny_model),
        feedback_db=tmp_path / "feedback.sqlite3",
    )


@pytest.fixture(scope="session")
def tiny_template(tmp_path_factory, tiny_model):
    """The tiny corpus indexed once per session with the tiny model; `tiny_index` copies it."""
    from chatbot.index.build import build_index
    from chatbot.settings import Settings
    from helpers.tiny_corpus import write_corpus

    base = tmp_path_factory.mktemp("tiny-template")
    settings = Settings(
        corpus_dir=write_corpus(base / "corpus"), index_dir=base / "index", model=str(tiny_model), model_cache=base / "models"
    )
    build_index(settings)
    return settings


@pytest.fixture
def tiny_index(tiny_settings, tiny_template):
    """`tiny_settings` with its index built (a private copy of the session's tiny index)."""
    shutil.copytree(tiny_template.index_dir, tiny_settings.index_dir, symlinks=True)
    return tiny_settings


@pytest.fixture(scope="session")
def tuned_tiny_model_cache(tmp_path_factory, tiny_model) -> Path:
    """A model cache holding the tiny model fine-tuned on the tiny bank, tuned once per session."""
    from chatbot.index.build import build_index
    from chatbot.settings import Settings
    from helpers.tiny_bank import BANK, write_bank
    from helpers.tiny_corpus import write_corpus

    base = tmp_path_factory.mktemp("tiny-tuned")
    corpus = write_corpus(base / "corpus")
    write_bank(corpus, BANK)
    build_index(Settings(corpus_dir=corpus, index_dir=base / "index", model=str(tiny_model), model_cache=base / "models"))
    return base / "models"


@pytest.fixture
def banked(tiny_settings, tuned_tiny_model_cache):
    """`tiny_settings` with a question bank, built (the tiny model fine-tuned on it: the build finds
    the session's tuning in its model cache by content hash, as a second build of one bank does)."""
    from chatbot.index.build import build_index
    from helpers.tiny_bank import BANK, write_bank

    shutil.copytree(tuned_tiny_model_cache, tiny_settings.model_cache)
    write_bank(tiny_settings.corpus_dir, BANK)
    build_index(tiny_settings)
    return tiny_settings


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server in a temporary folder, for the session (skipped when it cannot run here)."""
    from throwaway_postgres import PostgresServer, unavailable

    reason = unavailable()
    if reason:
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def feedback_target(request, tmp_path):
    """Where a feedback store writes: a SQLite file, then a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return tmp_path / "sub" / "feedback.sqlite3"
    return request.getfixturevalue("postgres").url()


def pytest_collection_modifyitems(items):
    """Marks that follow from a test's fixtures: the real model and index make it `slow`, the
    session's PostgreSQL server makes it `server` (`make test-fast` runs neither)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if fixtures & {"real_settings", "assistant"}:
            item.add_marker(pytest.mark.slow)
        if "postgres" in fixtures:
            item.add_marker(pytest.mark.server)
