"""The neighbour decision and the fit, with hand-chosen vectors: each test says which neighbour wins."""

from __future__ import annotations

import numpy as np
import pytest

from chatbot.answering.decision import decide
from chatbot.guide.bank import BankQuestion
from chatbot.guide.chunking import Passage
from chatbot.guide.reasons import Reason
from chatbot.index.neighbours import BankKeys
from chatbot.index.tuning import FALSE_DECLINE_BOUND, Evidence, Tuning, fit

PASSAGES = [
    Passage(0, "Guide", "g.md", ("Pay",), "Pay text.", 0, ("Pay text.",)),
    Passage(1, "Guide", "g.md", ("Pay", "Hourly"), "Hourly text.", 1, ("Hourly text.",)),
    Passage(2, "Guide", "g.md", ("Training",), "Training text.", 2, ("Training text.",)),
]
# a fake 4-dimension encoder: axis 0 = pay, 1 = training, 2 = health, 3 = pensions
BANK = [
    (BankQuestion("how much do they earn?", Reason.ANSWERED, ("Pay",)), [1, 0, 0, 0]),
    (BankQuestion("what is the hourly rate?", Reason.ANSWERED, ("Pay", "Hourly")), [0.6, 0.8, 0, 0]),
    (BankQuestion("how long is the course?", Reason.ANSWERED, ("Training",)), [0, 1, 0, 0]),
    (BankQuestion("do they get a pension?", Reason.NOT_IN_GUIDE, ("Pay",)), [0, 0, 0, 1]),
    (BankQuestion("is 140/90 high?", Reason.MEDICAL), [0, 0, 1, 0]),
]


def keys() -> BankKeys:
    vectors = np.array([v for _, v in BANK], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return BankKeys.build([q for q, _ in BANK], vectors, PASSAGES)


NEAREST_WINS = Tuning(neighbours=1, confidence_weight=0.0, threshold=0.0)


def ask(vector, tuning=NEAREST_WINS, confidence=0.0):
    bank = keys()
    vector = np.asarray(vector, dtype=np.float32)
    return decide(bank, bank.vectors @ (vector / np.linalg.norm(vector)), confidence, tuning)


def test_answered_questions_point_to_the_passages_of_their_section():
    bank = keys()
    assert list(zip(bank.rows, bank.passages)) == [(0, 0), (1, 1), (2, 2)]
    scores = bank.passage_scores(bank.vectors @ np.array([0, 1, 0, 0], dtype=np.float32), len(PASSAGES))
    assert scores.argmax() == 2 and scores[0] == pytest.approx(0.0)


@pytest.mark.parametrize(
    "vector, reason, nearest",
    [
        ([1, 0.1, 0, 0], Reason.ANSWERED, "how much do they earn?"),
        ([0.2, 0, 0, 1], Reason.NOT_IN_GUIDE, "do they get a pension?"),
        ([0.1, 0, 1, 0], Reason.MEDICAL, "is 140/90 high?"),
    ],
)
def test_the_nearer_kind_of_neighbour_decides(vector, reason, nearest):
    decision = ask(vector)
    assert decision.reason is reason
    near = decision.answered_near[0] if reason is Reason.ANSWERED else decision.declined_near[0]
    assert near.question == nearest
    assert decision.to_dict()["reason"] == str(reason)


def test_the_threshold_and_the_confidence_move_the_line():
    between = [0.7, 0, 0, 0.7]  # as near the pay question as the pension one
    assert ask(between, Tuning(neighbours=1, confidence_weight=0.0, threshold=0.05)).reason is Reason.NOT_IN_GUIDE
    assert ask(between, Tuning(neighbours=1, confidence_weight=0.0, threshold=-0.05)).reason is Reason.ANSWERED
    assert ask(between, Tuning(neighbours=1, confidence_weight=1.0, threshold=0.05), confidence=0.2).reason is Reason.ANSWERED


def test_without_not_answered_questions_the_confidence_alone_decides():
    bank = BankKeys.build([BANK[0][0]], np.array([[1, 0, 0, 0]], dtype=np.float32), PASSAGES)
    tuning = Tuning()  # defaults: the fused score against 0.30
    sims = bank.vectors @ np.array([0, 1, 0, 0], dtype=np.float32)
    assert decide(bank, sims, 0.5, tuning).reason is Reason.ANSWERED
    assert decide(bank, sims, 0.1, tuning).reason is Reason.NOT_IN_GUIDE


def synthetic_evidence(seed=0, per_fold=20, folds=4):
    """Questions whose bank signal alone finds the gold passage; the other signals are noise."""
    rng = np.random.default_rng(seed)
    n, passages = per_fold * folds, 6
    answered = np.arange(n) % 4 != 0
    gold_passage = rng.integers(0, passages, n)
    gold = np.zeros((n, passages), dtype=bool)
    gold[np.flatnonzero(answered), gold_passage[answered]] = True
    signals = rng.random((n, 4, passages)).astype(np.float32)
    same = gold_passage[:, None] == gold_passage[None, :]
    sims = np.where(same, 0.9, 0.2).astype(np.float32)
    sims[np.ix_(~answered, answered)] = 0.3  # not-answered questions sit far from answered ones
    sims[np.ix_(answered, ~answered)] = 0.3
    sims[np.ix_(~answered, ~answered)] = 0.9
    rows = np.flatnonzero(answered)
    return Evidence(
        signals=signals,
        bank_sims=sims,
        answered=answered,
        gold=gold,
        folds=np.arange(n) % folds,
        bank_rows=rows,
        bank_passages=gold_passage[rows],
    )


def test_the_fit_weighs_the_informative_signal_and_keeps_the_false_decline_bound():
    tuning = fit(synthetic_evidence(), fitted_on="synthetic")
    assert tuning.bank == max(tuning.passage, tuning.sentence, tuning.heading, tuning.lexical, tuning.bank)
    assert tuning.cv["hit@1"] == pytest.approx(1.0)
    assert tuning.cv["false_decline"] <= FALSE_DECLINE_BOUND
    assert tuning.cv["declined"] == pytest.approx(1.0)
    assert sum(tuning.weights) == pytest.approx(1.0, abs=1e-3)
    assert Tuning.from_dict(tuning.to_dict()) == tuning
