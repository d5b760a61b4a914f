"""Fit the follow-up reader (`context.py`) on labeled conversations, cross-validated by voice.

The bank's questions join as messages that stand alone, each after another bank question about a
different part of the guide (a change of topic), so the model also sees every voice's complete
questions. The lean model's regularization and threshold are chosen on held-out voices.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np

from ..guide.bank import BankQuestion
from ..guide.conversations import Conversation
from .context import TURNS, ContextModel, Encode, lean_features, turn_features

STRENGTHS = (0.1, 0.3, 1.0, 3.0)  # inverse regularization tried for the lean model
THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.2, 0.81, 0.05), 2))
SEED = 13


def fit_context(
    conversations: Sequence[Conversation], bank: Sequence[BankQuestion], read: Callable[[str], str], encode: Encode
) -> ContextModel:
    """The lean and turn models that do best on held-out voices; unfitted without conversations."""
    from sklearn.linear_model import LogisticRegression

    examples = list(conversations) + _topic_changes(bank)
    if not any(c.leans_on is not None for c in conversations) or len({c.voice for c in conversations}) < 2:
        return ContextModel(fitted_on="not fitted: too few labeled conversations")
    texts = sorted({read(t) for c in examples for t in (c.message, *c.history[-TURNS:])})
    vectors = dict(zip(texts, encode(texts)))

    def parts(c: Conversation) -> tuple[str, np.ndarray, np.ndarray]:
        message = read(c.message)
        turns = [read(t) for t in c.history[-TURNS:][::-1]]
        return message, vectors[message], np.vstack([vectors[t] for t in turns])

    lean_x = np.vstack([lean_features(*parts(c)) for c in examples])
    lean_y = np.array([c.leans_on is not None for c in examples])
    voices = sorted({c.voice for c in examples})
    folds = np.array([voices.index(c.voice) for c in examples])
    best = (-1.0, STRENGTHS[0], 0.5)
    held = {}
    for strength in STRENGTHS:
        held[strength] = np.zeros(len(examples))
        for f in range(len(voices)):
            test = folds == f
            model = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000).fit(lean_x[~test], lean_y[~test])
            held[strength][test] = model.predict_proba(lean_x[test])[:, 1]
        for threshold in THRESHOLDS:  # balanced: leaning and standing-alone messages count alike
            said = held[strength] >= threshold
            accuracy = float((said[lean_y].mean() + (~said[~lean_y]).mean()) / 2)
            if accuracy > best[0]:
                best = (accuracy, strength, float(threshold))
    accuracy, strength, threshold = best
    lean = LogisticRegression(C=strength, class_weight="balanced", max_iter=2000).fit(lean_x, lean_y)

    leaning = [c for c in conversations if c.leans_on is not None]
    rows, labels, groups, turn_folds = [], [], [], []
    for g, c in enumerate(leaning):
        _, vector, turn_vectors = parts(c)
        back = len(c.history) - 1 - c.leans_on
        for b, row in enumerate(turn_features(vector, turn_vectors)):
            rows.append(row)
            labels.append(b == back)
            groups.append(g)
            turn_folds.append(voices.index(c.voice))
    turn_x, turn_y, groups, turn_folds = np.vstack(rows), np.array(labels), np.array(groups), np.array(turn_folds)
    right = []
    for f in range(len(voices)):
        test = turn_folds == f
        if not test.any() or turn_y[~test].all() or not turn_y[~test].any():
            continue
        model = LogisticRegression(max_iter=2000).fit(turn_x[~test], turn_y[~test])
        scores = model.decision_function(turn_x[test])
        for g in np.unique(groups[test]):
            mine = groups[test] == g
            right.append(bool(turn_y[test][mine][np.argmax(scores[mine])]))
    turn = LogisticRegression(max_iter=2000).fit(turn_x, turn_y)
    held_best = held[strength] >= threshold
    return ContextModel(
        lean_coefficients=tuple(round(float(c), 6) for c in lean.coef_[0]),
        lean_intercept=round(float(lean.intercept_[0]), 6),
        lean_threshold=threshold,
        turn_coefficients=tuple(round(float(c), 6) for c in turn.coef_[0]),
        turn_intercept=round(float(turn.intercept_[0]), 6),
        fitted_on=f"{len(conversations)} conversations and {len(examples) - len(conversations)} bank questions, "
        f"{len(voices)} folds by voice (C={strength})",
        cv={
            "lean_balanced_accuracy": round(accuracy, 4),
            "lean_recall": round(float(held_best[lean_y].mean()), 4),
            "alone_kept": round(float((~held_best[~lean_y]).mean()), 4),
            "turn_accuracy": round(float(np.mean(right)), 4) if right else 0.0,
        },
    )


def _topic_changes(bank: Sequence[BankQuestion]) -> list[Conversation]:
    """Each bank question as a message standing alone after a bank question about another part."""
    rng = random.Random(SEED)
    placed = [q for q in bank if q.section]
    out = []
    for question in bank:
        other = rng.choice(placed)
        for _ in range(10):  # another part, when the bank has one
            if other.section[:1] != question.section[:1]:
                break
            other = rng.choice(placed)
        out.append(Conversation((other.question,), question.question, None, question.voice))
    return out
