"""Fit the missing-term model (`terms.py`) on the bank, cross-validated by voice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..guide.bank import BankQuestion
from ..guide.text import stems, tokens
from .terms import FALSE_FLAG_BOUND, Encode, TermModel, candidates

MIN_POSITIVES = 10  # labeled missing words needed before a model is fitted at all


def fit_terms(
    bank: Sequence[BankQuestion],
    texts: Sequence[str],
    question_vectors: np.ndarray,
    guide_words: frozenset[str],
    encode: Encode,
) -> TermModel:
    """The model and threshold that best flag the bank's labeled missing words while flagging words
    of at most FALSE_FLAG_BOUND of held-out answered questions. `texts` are the bank's questions as
    read (abbreviations spelled out, typos corrected), `question_vectors` their vectors."""
    from sklearn.linear_model import LogisticRegression

    guide_stems = frozenset(stems(sorted(guide_words)))
    rows = _rows(bank, texts, guide_stems)
    if sum(label for *_, label in rows) < MIN_POSITIVES:
        return TermModel(guide_stems=guide_stems, fitted_on="not fitted: too few labeled missing words")
    vocabulary = sorted(w for w in guide_words if w.isalpha() and len(w) > 2)
    base = TermModel(guide_stems=guide_stems, vectors=encode(vocabulary) if vocabulary else np.zeros((0, 1)))
    words = sorted({w for _, w, _ in rows})
    word_vectors = dict(zip(words, encode(words)))
    folds = sorted({q.voice for q in bank})
    fold_of = np.array([folds.index(bank[q].voice) for q, _, _ in rows])
    labels = np.array([label for *_, label in rows])
    seen_by_fold = [_seen(bank, texts, guide_stems, lambda q, f=f: bank[q].voice != folds[f]) for f in range(len(folds))]

    def features(model: TermModel, picked: np.ndarray) -> np.ndarray:
        return np.vstack(
            [
                model.features(
                    [rows[i][1]], word_vectors[rows[i][1]][None], question_vectors[rows[i][0]], bank[rows[i][0]].question
                )
                for i in np.flatnonzero(picked)
            ]
        )

    held_out = np.zeros(len(rows))
    for f in range(len(folds)):
        test = fold_of == f
        train = features(_with_seen(base, seen_by_fold, f), ~test)  # seen from folds other than the held-out one
        classifier = LogisticRegression(class_weight="balanced", max_iter=1000).fit(train, labels[~test])
        model = _with_seen(base, seen_by_fold, f)
        held_out[test] = classifier.predict_proba(features(model, test))[:, 1]
    threshold, cv = _threshold(bank, rows, held_out)
    everything = _seen(bank, texts, guide_stems, lambda q: True)
    final = TermModel(guide_stems=guide_stems, seen_stems=everything, vectors=base.vectors)
    classifier = LogisticRegression(class_weight="balanced", max_iter=1000).fit(features(final, np.ones(len(rows), bool)), labels)
    return TermModel(
        coefficients=tuple(round(float(c), 5) for c in classifier.coef_[0]),
        intercept=round(float(classifier.intercept_[0]), 5),
        threshold=round(threshold, 5),
        guide_stems=guide_stems,
        seen_stems=everything,
        vectors=base.vectors,
        fitted_on=f"{len(rows)} candidate words of {len({q for q, _, _ in rows})} bank questions, {len(folds)} folds by voice",
        cv=cv,
    )


def _rows(bank: Sequence[BankQuestion], texts: Sequence[str], guide_stems: frozenset[str]) -> list[tuple[int, str, int]]:
    """(bank row, candidate word, label): 1 for a word of a labeled missing term; every candidate of
    an answered question 0; not-answered questions without labels are left out."""
    out = []
    for q, (question, text) in enumerate(zip(bank, texts)):
        if not question.answered and not question.missing:
            continue
        missing = {w for term in question.missing for w in tokens(term)}
        missing |= {w for w in candidates(" ".join(question.missing), frozenset())}
        found = candidates(text, guide_stems, question.question)
        for word in found:
            out.append((q, word, int(word in missing)))
    return out


def _seen(bank, texts, guide_stems, usable) -> frozenset[str]:
    """Stems of the candidate words of the answered questions `usable` picks."""
    return frozenset(
        stem
        for q, (question, text) in enumerate(zip(bank, texts))
        if question.answered and usable(q)
        for stem in stems(candidates(text, guide_stems, question.question))
    )


def _with_seen(base: TermModel, seen_by_fold: list[frozenset[str]], fold: int) -> TermModel:
    from dataclasses import replace

    return replace(base, seen_stems=seen_by_fold[fold])


def _threshold(bank: Sequence[BankQuestion], rows: list[tuple[int, str, int]], probabilities: np.ndarray) -> tuple[float, dict]:
    """The lowest threshold flagging words of at most the bound's share of answered questions, and
    what it gives on held-out questions."""
    best: dict[int, float] = {}
    hit: dict[int, bool] = {}
    for (q, _, _label), p in zip(rows, probabilities):
        best[q] = max(best.get(q, 0.0), float(p))
    answered = [q for q in best if bank[q].answered]
    labeled = sorted({q for q, _, _ in rows if not bank[q].answered})
    every_answered = sum(q.answered for q in bank)
    allowed = int(np.floor(FALSE_FLAG_BOUND * every_answered))
    ranked = sorted((best[q] for q in answered), reverse=True)
    threshold = ranked[allowed] + 1e-6 if len(ranked) > allowed else 0.5
    for (q, _, label), p in zip(rows, probabilities):
        if label and p >= threshold:
            hit[q] = True
    flagged = Counter(bool(p >= threshold) for (q, _, label), p in zip(rows, probabilities) if not label)
    cv = {
        "answered_flagged": round(sum(best[q] >= threshold for q in answered) / max(every_answered, 1), 4),
        "missing_found": round(sum(hit.get(q, False) for q in labeled) / max(len(labeled), 1), 4),
        "other_words_flagged": round(flagged[True] / max(sum(flagged.values()), 1), 4),
        "labeled_questions": len(labeled),
    }
    return threshold, cv
