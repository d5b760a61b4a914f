"""Shared fixtures: the real guide indexed once per test session with the real model."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "corpus" / "medical-assistant-guide.md"
GUIDE_TEXT = ROOT / "tests" / "fixtures" / "medical-assistant-guide.txt"


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory):
    """Settings for a private copy of the real corpus, indexed once with the default model."""
    from chatbot.index import build_index
    from chatbot.settings import Settings

    base = tmp_path_factory.mktemp("real")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(GUIDE, corpus / GUIDE.name)
    settings = Settings(corpus_dir=corpus, index_dir=base / "index", feedback_db=base / "feedback.sqlite3")
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def assistant(real_settings):
    """An Assistant over the real guide and model, shared by the session."""
    from chatbot.assistant import Assistant

    return Assistant.load(real_settings)
