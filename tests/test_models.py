"""Model weights from packages: parts joined and checked by hash; fine-tuning on the bank, cached."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest

from chatbot.errors import ModelError
from chatbot.guide.bank import BankQuestion
from chatbot.guide.chunking import Passage
from chatbot.guide.reasons import Reason
from chatbot.index.finetune import Training, batches, cache_key, fine_tuned, training_pairs
from chatbot.index.models import check_weights, unpacked_model

WEIGHTS = b"not really a model" * 1000


def split_zip(folder, weights=WEIGHTS, parts=3):
    """A zip holding model/model.safetensors, cut into `parts` files like the mpnet packages."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/model.safetensors", weights)
        archive.writestr("model/config.json", "{}")
    data = buffer.getvalue()
    size = len(data) // parts + 1
    paths = []
    for i in range(parts):
        path = folder / f"model.zip.{i + 1:03d}"
        path.write_bytes(data[i * size : (i + 1) * size])
        paths.append(path)
    return paths


def test_parts_are_joined_in_order_unpacked_once_and_checked(tmp_path):
    parts = split_zip(tmp_path)
    expected = hashlib.sha256(WEIGHTS).hexdigest()
    folder = unpacked_model(parts, tmp_path / "cache" / "m", expected_sha256=expected)
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    for part in parts:
        part.unlink()  # a second call uses the unpacked copy
    assert unpacked_model(parts, tmp_path / "cache" / "m", expected_sha256=expected) == folder


def test_parts_in_the_wrong_order_or_with_other_weights_are_refused(tmp_path):
    parts = split_zip(tmp_path)
    with pytest.raises(ModelError, match="do not join into a zip"):
        unpacked_model(list(reversed(parts)), tmp_path / "cache" / "m", expected_sha256="0" * 64)
    with pytest.raises(ModelError, match="do not match the publisher's sha256"):
        unpacked_model(parts, tmp_path / "cache" / "m", expected_sha256="0" * 64)
    assert not (tmp_path / "cache" / "m").exists() and list((tmp_path / "cache").iterdir()) == []


def test_a_packaged_model_with_other_weights_is_refused():
    check_weights("all-MiniLM-L6-v2", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db")
    check_weights("my-own-model", "anything")
    with pytest.raises(ModelError, match="not the publisher's"):
        check_weights("sentence-transformers/all-MiniLM-L6-v2", "0" * 64)


PASSAGES = [Passage(i, "T", "t.md", (f"S{i}",), f"text {i}", i, (f"text {i}",)) for i in range(3)]
BANK = [
    BankQuestion("q0", Reason.ANSWERED, ("S0",)),
    BankQuestion("q0 again", Reason.ANSWERED, ("S0",)),
    BankQuestion("q1", Reason.ANSWERED, ("S1",)),
    BankQuestion("near miss", Reason.NOT_IN_GUIDE, ("S1",)),
]


def test_pairs_come_from_answered_questions_and_batches_never_repeat_a_passage():
    pairs = training_pairs(BANK, PASSAGES)
    assert pairs == [("q0", "text 0"), ("q0 again", "text 0"), ("q1", "text 1")]
    for batch in batches(pairs * 5, 2, seed=1):
        assert len({p for _, p in batch}) == len(batch)
    assert sorted(p for b in batches(pairs * 5, 2, seed=1) for p in b) == sorted(pairs * 5)


def test_the_cache_key_follows_the_weights_the_pairs_and_the_settings():
    pairs = training_pairs(BANK, PASSAGES)
    key = cache_key("sha", pairs, Training())
    assert key == cache_key("sha", list(pairs), Training())
    assert (
        len(
            {
                key,
                cache_key("other", pairs, Training()),
                cache_key("sha", pairs[:2], Training()),
                cache_key("sha", pairs, Training(epochs=1)),
            }
        )
        == 4
    )


def test_fine_tuning_a_tiny_model_is_cached_by_content(tmp_path, tiny_model):
    from chatbot.index.embedding import resolve_model

    base = resolve_model(str(tiny_model))
    training = Training(epochs=1, batch_size=2)
    first = fine_tuned(base, BANK, PASSAGES, tmp_path / "cache", training=training)
    assert first.path.parent == tmp_path / "cache" and first.weights_sha256 != base.weights_sha256
    mtime = (first.path / "model.safetensors").stat().st_mtime_ns
    again = fine_tuned(base, BANK, PASSAGES, tmp_path / "cache", training=training)
    assert again == first and (first.path / "model.safetensors").stat().st_mtime_ns == mtime
    unanswered = [q for q in BANK if not q.answered]
    assert fine_tuned(base, unanswered, PASSAGES, tmp_path / "cache", training=training) is base


def test_a_known_model_with_other_weights_builds_only_when_trusted(tiny_settings, tiny_model, monkeypatch):
    from dataclasses import replace

    import chatbot.index.models as models
    from chatbot.index.build import build_index
    from chatbot.index.load import load_index

    assert (build_index(tiny_settings).built, load_index(tiny_settings).manifest.model_source) == (True, "custom")
    monkeypatch.setitem(models.ALIASES, str(tiny_model), "tiny")  # as if it were a known model...
    monkeypatch.setitem(models.EXPECTED_SHA256, "tiny", "0" * 64)  # ...whose publisher's weights differ
    with pytest.raises(ModelError, match="not the publisher's .*--trust-model"):
        build_index(tiny_settings, force=True)
    trusted = replace(tiny_settings, trust_model=True)
    assert build_index(trusted, force=True).built
    assert load_index(trusted).manifest.model_source == "packaged:tiny, other weights trusted"
