"""The guide's housekeeping found at build time (chatbot/index/housekeeping.py): features read from
the sentences, a model fitted on the bank's marks that finds an unmarked advert, and nothing but the
marks when there are too few to fit."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.guide.chunking import Passage
from chatbot.guide.glossary import Glossary
from chatbot.index.housekeeping import FEATURES, MIN_MARKS, features, find_housekeeping
from chatbot.index.steps import with_housekeeping

DIMENSION = 16


def passage(pid: int, sentences: list[str], source: str = "guide.md") -> Passage:
    return Passage(pid, "Guide", source, (f"Part {pid}",), " ".join(sentences), pid, tuple(sentences))


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_features_read_the_sentences_words_place_and_vectors():
    passages = [
        passage(0, ["Clinics hire assistants.", "Assistants work in clinics."]),
        passage(1, ["We sell zorbular widgets to you."]),
    ]
    vectors = unit(np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]]))
    asked = unit(np.array([[1.0, 0.05]]))
    x = features(passages, vectors, vectors @ asked.T)
    column = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert x.shape == (3, len(FEATURES))
    assert column["own_words"][2] == 1.0 and column["own_words"][0] < 1.0  # "zorbular", "widgets", "sell" are its own
    assert column["addresses_reader"][2] > 0 and column["addresses_reader"][0] == 0
    assert column["edge"][0] == column["edge"][2] == 1.0 and column["edge"][1] == 0.0  # first, middle, last of three
    assert column["unasked"][2] > column["unasked"][0]
    assert column["outlier"][2] == 0.0  # alone in its passage: nothing to stand out from
    assert column["outlier"][0] < 0.01  # next to a sentence with almost the same vector


def guide_with_adverts(rng: np.random.Generator, marked: int) -> tuple[list[Passage], np.ndarray, np.ndarray, list[str]]:
    """Forty ordinary sentences near one topic, then adverts of their own words addressing the reader
    at the guide's end, far from the topic; returns the passages, sentence vectors, asked vectors and adverts."""
    topic = rng.normal(size=DIMENSION)
    ordinary = [f"Medical assistants handle task number {i} in the clinic." for i in range(40)]
    adverts = [f"Call us, you will love brand{chr(97 + i)} offers{chr(97 + i)} today." for i in range(marked + 1)]
    sentences = ordinary + adverts
    vectors = np.vstack(
        [topic + rng.normal(scale=0.3, size=DIMENSION) for _ in ordinary] + [rng.normal(size=DIMENSION) * 2 for _ in adverts]
    )
    passages = [passage(i // 4, sentences[i : i + 4]) for i in range(0, 40, 4)] + [passage(10, adverts)]
    asked = unit(np.vstack([topic + rng.normal(scale=0.3, size=DIMENSION) for _ in range(20)]))
    return passages, unit(vectors), asked, adverts


def test_a_model_fitted_on_the_marks_finds_an_unmarked_advert_and_no_ordinary_sentence():
    passages, vectors, asked, adverts = guide_with_adverts(np.random.default_rng(0), marked=5)
    marks = frozenset(adverts[:5])
    found = find_housekeeping(passages, vectors, asked, marks)
    assert adverts[5] in found.sentences  # the advert nobody marked
    assert found.sentences - set(adverts) == set()  # no ordinary sentence
    assert found.cv["others_flagged"] == round(1 / 41, 4) and 0.0 <= found.cv["marks_found"] <= 1.0


def test_a_sentence_a_bank_question_leads_to_is_never_flagged():
    passages, vectors, asked, adverts = guide_with_adverts(np.random.default_rng(0), marked=5)
    rows = [s for p in passages for s in p.sentences]
    asked_about_it = np.vstack([asked, vectors[rows.index(adverts[5])]])  # somebody asks about the sixth advert
    found = find_housekeeping(passages, vectors, asked_about_it, frozenset(adverts[:5]))
    assert adverts[5] not in found.sentences and found.sentences == set(adverts[:5])


def test_with_too_few_marks_only_the_marks_are_housekeeping():
    passages, vectors, asked, adverts = guide_with_adverts(np.random.default_rng(1), marked=MIN_MARKS - 1)
    marks = frozenset(adverts[: MIN_MARKS - 1])
    found = find_housekeeping(passages, vectors, asked, marks)
    assert found.sentences == marks and found.fitted_on.startswith("not fitted")


@pytest.mark.parametrize("marked", [0, 5])
def test_the_build_step_keeps_the_marks_and_records_the_fit_in_the_glossary(marked):
    passages, vectors, asked, adverts = guide_with_adverts(np.random.default_rng(2), marked=5)
    by_text = dict(zip([s for p in passages for s in p.sentences], vectors))
    glossary = Glossary(frozenset(), "medical assistant", frozenset(), frozenset(adverts[:marked]))
    out = with_housekeeping(glossary, passages, lambda texts: np.vstack([by_text[t] for t in texts]), asked)
    assert out.housekeeping >= set(adverts[:marked]) and out.housekeeping_fit["fitted_on"]
    assert (out.housekeeping_fit["fitted_on"].startswith("not fitted")) is (marked < MIN_MARKS)
