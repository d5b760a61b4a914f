"""py3langid's model unpacked into the model cache once, then mapped: the same languages and
probabilities as the packaged model; a damaged copy falls back to the packaged one."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.answering.langid_model import identifier, unpacked_folder

TEXTS = (
    "How much does a medical assistant earn?",
    "¿Cuánto gana un asistente médico en California?",
    "Combien gagne un assistant médical ?",
    "医疗助理的工资是多少",
    "wats the pay in cali",
)


@pytest.fixture(scope="module")
def packaged():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_the_unpacked_model_classifies_as_the_packaged_one(tmp_path, packaged):
    first = identifier(tmp_path)  # unpacks
    folder = unpacked_folder(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "classes.npy",
        "nextmove.npy",
        "output.npy",
        "pc.npy",
        "ptc.npy",
        "row.npy",
    ]
    mapped = identifier(tmp_path)
    assert isinstance(mapped.nb_ptc, np.memmap) and not isinstance(first.nb_ptc, np.memmap)
    for text in TEXTS:
        expected = packaged.classify(text)
        assert mapped.classify(text)[0] == expected[0], text
        assert mapped.classify(text)[1] == pytest.approx(expected[1], abs=1e-6), text


def test_a_damaged_copy_falls_back_to_the_packaged_model(tmp_path, packaged):
    identifier(tmp_path)
    (unpacked_folder(tmp_path) / "ptc.npy").write_bytes(b"damaged")
    fallback = identifier(tmp_path)
    assert not isinstance(fallback.nb_ptc, np.memmap)
    assert [fallback.classify(t)[0] for t in TEXTS] == [packaged.classify(t)[0] for t in TEXTS]
