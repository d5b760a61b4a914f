"""Broken files: each gives one clear error saying what to run, or `ensure_index` rebuilds safely.

Also: a build killed (SIGKILL) at any moment leaves the previous index loadable and intact.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from chatbot.answering.assistant import Assistant
from chatbot.errors import CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError, ModelError
from chatbot.guide.chunking import chunk_documents
from chatbot.guide.corpus import load_corpus
from chatbot.index.build import build_index, ensure_index
from chatbot.index.load import CURRENT, live_folder, load_index
from helpers.cli import ROOT, assert_one_error_line, cli_env, run_cli

QUESTIONS = ("How much do parcel sorters earn on Sundays?", "Who pays for the wheel truing course?")


# --- Ways to break an index or its corpus ----------------------------------------------------


def flip_bytes(path: Path, *, at: float = 0.5, count: int = 4096) -> None:
    """Invert `count` bytes in the middle of a file: same size, other content."""
    data = bytearray(path.read_bytes())
    start = int(len(data) * at)
    data[start : start + count] = bytes(b ^ 0xFF for b in data[start : start + count])
    path.write_bytes(bytes(data))


def live(settings) -> Path:
    return live_folder(settings.index_dir)


def edit_manifest(settings, change) -> None:
    path = live(settings) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def rehash(settings, name: str) -> None:
    """Make the manifest agree with a damaged file, so only deeper checks can catch it."""
    import hashlib

    digest = hashlib.sha256((live(settings) / name).read_bytes()).hexdigest()
    edit_manifest(settings, lambda data: data["files"].__setitem__(name, digest))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def drop_last_passage(settings) -> None:
    path = live(settings) / "passages.jsonl"
    path.write_text("".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:-1]), encoding="utf-8")


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# (how to break it, the error load_index raises, words the message must hold)
INDEX_DAMAGE = {
    "index-folder-missing": (lambda s: shutil.rmtree(s.index_dir), IndexMissingError, "no index in"),
    "current-pointer-missing": (lambda s: (s.index_dir / CURRENT).unlink(), IndexMissingError, "no index in"),
    "current-names-missing-build": (
        lambda s: (s.index_dir / CURRENT).write_text("build-gone\n", encoding="utf-8"),
        IndexCorruptError,
        "missing build",
    ),
    "corpus-file-deleted": (lambda s: (s.corpus_dir / "beta.md").unlink(), IndexStaleError, "beta.md removed"),
    "corpus-file-edited": (
        lambda s: append(s.corpus_dir / "alpha.md", "Holidays pay double.\n"),
        IndexStaleError,
        "alpha.md edited",
    ),
    "corpus-file-added": (
        lambda s: (s.corpus_dir / "gamma.md").write_text("# Dog Walking\nDogs need walks.\n", encoding="utf-8"),
        IndexStaleError,
        "gamma.md added",
    ),
    "passage-vectors-truncated": (
        lambda s: truncate(live(s) / "passages.faiss"),
        IndexCorruptError,
        "passages.faiss is missing or damaged",
    ),
    "sentence-vectors-deleted": (
        lambda s: (live(s) / "sentences.faiss").unlink(),
        IndexCorruptError,
        "sentences.faiss is missing or damaged",
    ),
    "vector-cache-truncated": (
        lambda s: truncate(live(s) / "vectors.npz"),
        IndexCorruptError,
        "vectors.npz is missing or damaged",
    ),
    "bm25-bytes-flipped": (lambda s: flip_bytes(live(s) / "bm25.npz"), IndexCorruptError, "bm25.npz is missing or damaged"),
    "bm25-unreadable-but-hashed": (
        lambda s: ((live(s) / "bm25.npz").write_bytes(b"not a zip"), rehash(s, "bm25.npz")),
        IndexCorruptError,
        "cannot be read",
    ),
    "glossary-edited": (
        lambda s: (live(s) / "glossary.json").write_text('{"topic": "", "states": [], "vocabulary": []}', encoding="utf-8"),
        IndexCorruptError,
        "glossary.json is missing or damaged",
    ),
    "glossary-deleted": (lambda s: (live(s) / "glossary.json").unlink(), IndexCorruptError, "glossary.json is missing"),
    "glossary-unreadable-but-hashed": (
        lambda s: ((live(s) / "glossary.json").write_text('{"topic": 5}', encoding="utf-8"), rehash(s, "glossary.json")),
        IndexCorruptError,
        "cannot be read",
    ),
    "passages-edited": (drop_last_passage, IndexCorruptError, "passages.jsonl is missing or damaged"),
    "passages-disagree-with-vectors": (
        lambda s: (drop_last_passage(s), rehash(s, "passages.jsonl")),
        IndexCorruptError,
        "passages and vectors disagree",
    ),
    "vectors-unreadable-but-hashed": (
        lambda s: (truncate(live(s) / "passages.faiss"), rehash(s, "passages.faiss")),
        IndexCorruptError,
        "cannot be read",
    ),
    "manifest-not-json": (
        lambda s: (live(s) / "manifest.json").write_text("{not json", encoding="utf-8"),
        IndexCorruptError,
        "manifest",
    ),
    "manifest-empty": (lambda s: (live(s) / "manifest.json").write_text("", encoding="utf-8"), IndexCorruptError, "manifest"),
    "manifest-a-list": (lambda s: (live(s) / "manifest.json").write_text("[]", encoding="utf-8"), IndexCorruptError, "manifest"),
    "manifest-deleted": (lambda s: (live(s) / "manifest.json").unlink(), IndexCorruptError, "manifest"),
    "manifest-field-missing": (lambda s: edit_manifest(s, lambda d: d.pop("dimension")), IndexCorruptError, "manifest"),
    "manifest-field-wrong-type": (lambda s: edit_manifest(s, lambda d: d.update(corpus=None)), IndexCorruptError, "manifest"),
    "manifest-older-format": (lambda s: edit_manifest(s, lambda d: d.update(format_version=0)), IndexStaleError, "older format"),
    "query-encoder-truncated": (lambda s: truncate(live(s) / "encoder" / "model.onnx"), IndexCorruptError, "encoder"),
    "query-encoder-bytes-flipped": (lambda s: flip_bytes(live(s) / "encoder" / "model.onnx"), IndexCorruptError, "encoder"),
    "current-garbage": (
        lambda s: (s.index_dir / CURRENT).write_bytes(b"\xff\xfe\x00garbage"),
        IndexCorruptError,
        "CURRENT is unreadable",
    ),
    "query-encoder-tokenizer-deleted": (
        lambda s: (live(s) / "encoder" / "tokenizer.json").unlink(),
        IndexCorruptError,
        "encoder",
    ),
}


@pytest.mark.parametrize("name", INDEX_DAMAGE)
def test_damage_gives_one_clear_error_then_ensure_index_rebuilds(tiny_index, name):
    damage, error, words = INDEX_DAMAGE[name]
    damage(tiny_index)
    with pytest.raises(error) as raised:
        load_index(tiny_index)
    message = str(raised.value)
    assert words in message and "python -m chatbot build-index" in message and "\n" not in message

    index = ensure_index(tiny_index)
    assert index.passages == chunk_documents(load_corpus(tiny_index.corpus_dir))
    assert index.encoder.encode(["a question"]).shape == (1, 32)
    assert load_index(tiny_index).manifest == index.manifest


CLI_DAMAGE = [
    "index-folder-missing",
    "current-names-missing-build",
    "corpus-file-edited",
    "corpus-file-added",
    "passage-vectors-truncated",
    "passages-disagree-with-vectors",
    "manifest-not-json",
    "manifest-a-list",
    "manifest-field-wrong-type",
    "query-encoder-truncated",
    "query-encoder-bytes-flipped",
    "current-garbage",
]


@pytest.mark.server
@pytest.mark.parametrize("name", CLI_DAMAGE)
def test_damage_through_the_cli_is_one_error_line(tiny_index, name):
    damage, _, words = INDEX_DAMAGE[name]
    damage(tiny_index)
    s = tiny_index
    result = run_cli("ask", "--corpus", s.corpus_dir, "--index", s.index_dir, "--model", s.model, QUESTIONS[0])
    assert_one_error_line(result, words, "build-index", f"--index {s.index_dir}")


# (how to break the corpus, what load_index says, what a rebuild says)
CORPUS_DAMAGE = {
    "not-utf8": (
        lambda s: (s.corpus_dir / "alpha.md").write_bytes("# Café\nPrix : 12 €, très bien.\n".encode("cp1252")),
        (IndexStaleError, "alpha.md edited"),
        r"alpha\.md is not UTF-8",
    ),
    "folder-named-like-a-file": (
        lambda s: (s.corpus_dir / "gamma.md").mkdir(),
        (CorpusError, "gamma.md cannot be read"),
        r"gamma\.md cannot be read",
    ),
    "dangling-symlink": (
        lambda s: (s.corpus_dir / "gamma.md").symlink_to(s.corpus_dir / "gone.md"),
        (CorpusError, "gamma.md cannot be read"),
        r"gamma\.md cannot be read",
    ),
    "all-files-deleted": (
        lambda s: [p.unlink() for p in s.corpus_dir.iterdir()],
        (IndexStaleError, "alpha.md removed"),
        r"holds no \.md or \.txt file",
    ),
    "all-files-emptied": (
        lambda s: [p.write_text("\n", encoding="utf-8") for p in s.corpus_dir.iterdir()],
        (IndexStaleError, "alpha.md edited, beta.md edited"),
        "only empty files",
    ),
    "corpus-folder-deleted": (lambda s: shutil.rmtree(s.corpus_dir), (IndexStaleError, "removed"), "does not exist"),
}


@pytest.mark.parametrize("name", CORPUS_DAMAGE)
def test_bad_corpus_is_one_clear_error_and_the_old_index_survives(tiny_index, name):
    damage, (load_error, load_words), build_words = CORPUS_DAMAGE[name]
    before = load_index(tiny_index)
    damage(tiny_index)
    with pytest.raises(load_error) as raised:
        load_index(tiny_index)
    assert load_words in str(raised.value)
    with pytest.raises(CorpusError, match=build_words):
        ensure_index(tiny_index)
    with pytest.raises(CorpusError, match=build_words):
        build_index(tiny_index, force=True)
    assert load_index(tiny_index, check_fresh=False).passages == before.passages
    assert live(tiny_index) == before.folder


@pytest.mark.server
@pytest.mark.parametrize("name", CORPUS_DAMAGE)
def test_bad_corpus_through_the_cli_is_one_error_line(tiny_index, name):
    damage, _, build_words = CORPUS_DAMAGE[name]
    damage(tiny_index)
    s = tiny_index
    result = run_cli("build-index", "--quiet", "--corpus", s.corpus_dir, "--index", s.index_dir, "--model", s.model)
    line = assert_one_error_line(result)
    assert __import__("re").search(build_words, line), line


@pytest.mark.server
def test_swapped_model_is_stale_then_rebuilt(tiny_index, other_tiny_model):
    other = replace(tiny_index, model=str(other_tiny_model))
    with pytest.raises(
        IndexStaleError, match=f"built with model .*; run `python -m chatbot build-index .*--model {other.model}`"
    ):
        load_index(other)
    result = run_cli("ask", "--corpus", other.corpus_dir, "--index", other.index_dir, "--model", other.model, QUESTIONS[0])
    assert_one_error_line(result, "built with model", f"--model {other.model}")
    assert ensure_index(other).manifest.dimension == 48


def test_manifest_from_another_model_or_corpus_is_stale(tiny_index, other_tiny_model, tmp_path):
    """A manifest copied in from an index of another model or another corpus is never trusted."""
    from helpers.tiny_corpus import write_corpus

    other_model = build_index(replace(tiny_index, index_dir=tmp_path / "other-model", model=str(other_tiny_model)))
    other_corpus_dir = write_corpus(tmp_path / "other-corpus", {"delta.md": "# Boat Repair\nBoats leak. Caulk helps.\n"})
    other_corpus = build_index(replace(tiny_index, index_dir=tmp_path / "other-corpus-index", corpus_dir=other_corpus_dir))
    for report, words in ((other_model, "built with model"), (other_corpus, "delta.md removed, alpha.md added, beta.md added")):
        shutil.copy(live_folder(report.index_dir) / "manifest.json", live(tiny_index) / "manifest.json")
        with pytest.raises(IndexStaleError, match=words):
            load_index(tiny_index)
        with pytest.raises(IndexCorruptError, match="missing or damaged"):
            load_index(tiny_index, check_fresh=False)
        assert ensure_index(tiny_index).passages == chunk_documents(load_corpus(tiny_index.corpus_dir))


@pytest.mark.server
def test_unknown_model_is_one_clear_error(tiny_index, tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError, match="neither a local folder nor in the offline cache"):
        load_index(replace(tiny_index, model=str(missing)))
    s = tiny_index
    for command in ("ask", "build-index"):
        args = [command, "--corpus", s.corpus_dir, "--index", s.index_dir, "--model", missing]
        assert_one_error_line(run_cli(*args, *(["q"] if command == "ask" else [])), str(missing))


# --- A build killed at any moment ------------------------------------------------------------


def snapshot(settings) -> dict:
    """What the live index holds and answers, to compare before and after a killed build."""
    index = load_index(settings)
    assistant = Assistant(index)
    return {
        "passages": index.passages,
        "passage_vectors": index.passage_vectors.reconstruct_n(0, index.passage_vectors.ntotal),
        "sentence_vectors": index.sentence_vectors.reconstruct_n(0, index.sentence_vectors.ntotal),
        "answers": [assistant.ask(q).to_dict() for q in QUESTIONS],
    }


def assert_same(a: dict, b: dict) -> None:
    assert a["passages"] == b["passages"]
    np.testing.assert_array_equal(a["passage_vectors"], b["passage_vectors"])
    np.testing.assert_array_equal(a["sentence_vectors"], b["sentence_vectors"])
    assert a["answers"] == b["answers"]


def build_args(settings, *extra: str) -> list[str]:
    return [
        "build-index",
        "--quiet",
        "--corpus",
        str(settings.corpus_dir),
        "--index",
        str(settings.index_dir),
        "--model",
        settings.model,
        *extra,
    ]


def kill_at(step: str, settings, *extra: str) -> subprocess.CompletedProcess:
    script = ROOT / "tests" / "helpers" / "kill_build.py"
    return subprocess.run(
        [sys.executable, str(script), step, *build_args(settings, *extra)],
        cwd=ROOT,
        env=cli_env(PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_only_live_build_left(settings) -> None:
    names = sorted(p.name for p in settings.index_dir.iterdir())
    assert names == sorted([".lock", CURRENT, live(settings).name])


@pytest.mark.server
@pytest.mark.parametrize("step", ["vectors", "manifest", "publish", "switch", "cleanup", "cleanup-midway"])
def test_forced_build_killed_at_each_step_leaves_a_loadable_index(tiny_index, step):
    if step == "cleanup-midway":  # a build before the live one, for the killed build's cleanup to delete
        build_index(tiny_index, force=True)
    before = snapshot(tiny_index)
    result = kill_at(step, tiny_index, "--force")
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert_same(snapshot(tiny_index), before)
    assert build_index(tiny_index).built is False  # still up to date: nothing to redo
    assert_only_live_build_left(tiny_index)
    assert_same(snapshot(tiny_index), before)


@pytest.mark.server
@pytest.mark.parametrize("step", ["embed"])  # the edited corpus's new texts being embedded, nothing published
def test_build_of_an_edited_corpus_killed_mid_way_leaves_the_old_index(tiny_index, step):
    before = snapshot(tiny_index)
    old = live(tiny_index).name
    append(tiny_index.corpus_dir / "beta.md", "Tyres are patched in minutes.\n")
    result = kill_at(step, tiny_index)
    assert result.returncode == -signal.SIGKILL, result.stderr
    with pytest.raises(IndexStaleError, match="beta.md edited"):
        load_index(tiny_index)
    assert load_index(tiny_index, check_fresh=False).passages == before["passages"]
    report = build_index(tiny_index)
    assert (report.built, report.embedded) == (True, 2)
    names = sorted(p.name for p in tiny_index.index_dir.iterdir())  # the live build, and the one before for readers
    assert names == sorted([".lock", CURRENT, live(tiny_index).name, old])
    assert load_index(tiny_index).passages[-1].sentences[-1] == "Tyres are patched in minutes."


@pytest.mark.server
def test_forced_build_killed_after_increasing_delays_leaves_a_loadable_index(tiny_index):
    """Plain `python -m chatbot build-index --force`, SIGKILLed from outside at moments spread over its run."""
    before = snapshot(tiny_index)
    command = [sys.executable, "-m", "chatbot", *build_args(tiny_index, "--force")]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=cli_env(), capture_output=True, check=True, timeout=120)
    duration = time.perf_counter() - started
    outcomes = []
    for step in range(13):  # from 30% of a whole build's time to 110%: start-up, then the writes
        child = subprocess.Popen(command, cwd=ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * (0.3 + 0.8 * step / 12))
        child.send_signal(signal.SIGKILL)
        outcomes.append(child.wait(timeout=60))
        assert_same(snapshot(tiny_index), before)
    assert set(outcomes) <= {0, -signal.SIGKILL} and -signal.SIGKILL in outcomes, outcomes
    assert build_index(tiny_index).built is False
    assert_only_live_build_left(tiny_index)


def test_a_forced_rebuild_never_reuses_a_damaged_encoder(tiny_index):
    from chatbot.index.manifest import file_sha256

    damaged = live(tiny_index) / "encoder" / "model.onnx"
    flip_bytes(damaged)
    damaged_sha = file_sha256(damaged)
    assert build_index(tiny_index, force=True).built
    rebuilt = file_sha256(live(tiny_index) / "encoder" / "model.onnx")
    assert rebuilt != damaged_sha and rebuilt == load_index(tiny_index).manifest.encoder_files["model.onnx"]
    assert load_index(tiny_index).encoder.encode(["a question"]).shape == (1, 32)


@pytest.mark.server
def test_an_index_path_that_is_a_file_is_one_error_line(tiny_index, tmp_path):
    not_a_folder = tmp_path / "index-file"
    not_a_folder.write_text("", encoding="utf-8")
    s = tiny_index
    for path in (not_a_folder, Path("/dev/null")):
        for command in ("ask", "build-index"):
            args = [command, "--corpus", s.corpus_dir, "--index", path, "--model", s.model]
            assert_one_error_line(run_cli(*args, *(["q"] if command == "ask" else [])), "is not a folder", str(path))


@pytest.mark.server
def test_an_out_of_range_feedback_limit_is_a_usage_error_not_a_traceback(tmp_path):
    result = run_cli("feedback", "--feedback-db", tmp_path / "f.sqlite3", "--limit", "99999999999999999999")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--limit: 99999999999999999999 is not between 1 and 1000" in result.stderr


def test_a_reader_holding_the_live_build_survives_the_next_rebuild(tiny_index):
    held = load_index(tiny_index)  # as `ask` holds it: the query encoder is loaded on first use
    assert build_index(tiny_index, force=True).built and live(tiny_index) != held.folder
    assert held.encoder.encode(["a question"]).shape == (1, 32)  # its build is still there
    older = load_index(tiny_index)
    build_index(tiny_index, force=True)
    build_index(tiny_index, force=True)
    assert not older.folder.exists() and not held.folder.exists()  # two builds later both are gone
