"""Fusion weights and the scope threshold as one value, fitted by cross-validation over the bank.

The bank's questions are split by voice (plain, indirect, casual, typo, keywords); each voice in
turn is held out and asked against the guide with the other voices as bank keys. Weights are
chosen for the held-out questions' passage hit@1 (mean reciprocal rank breaking ties), then the
scope rule for the share of not-answered questions declined while answered ones are declined at
most `FALSE_DECLINE_BOUND` of the time.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, field, fields

import numpy as np

SIGNALS = ("passage", "sentence", "heading", "lexical", "bank")
WEIGHT_GRID = {
    "passage": (0.0, 0.25, 0.5),
    "sentence": (0.25, 0.5, 0.75, 1.0),
    "heading": (0.0, 0.25, 0.5),
    "lexical": (0.0, 0.1, 0.2, 0.4),
    "bank": (0.0, 0.25, 0.5, 0.75, 1.0, 1.5),
}
NEIGHBOUR_COUNTS = (1, 2, 3)
CONFIDENCE_WEIGHTS = (0.0, 0.25, 0.5, 1.0)
FALSE_DECLINE_BOUND = 0.02
FOLD_FIELD = "voice"


@dataclass(frozen=True)
class Tuning:
    """How signals are weighed, and when the guide is taken to answer.

    A passage scores Σ weight·signal. The guide answers when
    `answered - declined + confidence_weight · best score ≥ threshold`, where `answered` and
    `declined` are the mean cosines of the `neighbours` nearest answered and not-answered bank
    questions."""

    passage: float = 0.30
    sentence: float = 0.40
    heading: float = 0.30
    lexical: float = 0.20
    bank: float = 0.0
    neighbours: int = 1
    confidence_weight: float = 1.0
    threshold: float = 0.30  # without a bank: the fused score below which the guide is taken not to answer
    near_section: float = 0.30  # best fused score from which a declined question's top sections are named as near
    fitted_on: str = "defaults"  # what the values were fitted on, for the manifest and the report
    cv: dict[str, float] = field(default_factory=dict)  # cross-validated figures of the fit

    @property
    def weights(self) -> np.ndarray:
        return np.array([getattr(self, name) for name in SIGNALS], dtype=np.float32)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Tuning:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


@dataclass(frozen=True)
class Evidence:
    """Everything the fit needs about the bank's questions asked against the guide.

    `signals` is (question, signal, passage) without the bank signal; `bank_sims` the cosine of each
    bank question with every other; `gold` marks each answered question's answering passages."""

    signals: np.ndarray
    bank_sims: np.ndarray
    answered: np.ndarray
    gold: np.ndarray  # (question, passage) bool
    folds: np.ndarray  # fold number of each question
    bank_rows: np.ndarray  # pairs (bank row, passage) of answered questions
    bank_passages: np.ndarray
    general: np.ndarray | None = None  # not-answered questions about no part of the guide (other topics…)


def fit(evidence: Evidence, *, fitted_on: str) -> Tuning:
    """The weights and scope rule that do best on held-out folds of the bank."""
    keys = _key_masks(evidence)
    bank_signal = _bank_signal(evidence, keys)
    full = np.concatenate([evidence.signals, bank_signal[:, None, :]], axis=1)  # (question, 5, passage)
    answered = np.flatnonzero(evidence.answered)
    weights, hit1, mrr = _best_weights(full[answered], evidence.gold[answered])
    weights = weights / weights.sum()  # the same ranking, on the scale of a cosine
    confidence = np.einsum("s,qsp->qp", weights, full).max(axis=1)
    scope = _best_scope(evidence, keys, confidence)
    values = dict(zip(SIGNALS, (round(float(w), 4) for w in weights)))
    near = _near_section(evidence, confidence)
    cv = {
        "hit@1": round(hit1, 4),
        "mrr": round(mrr, 4),
        **scope.pop("cv"),
        **near.pop("cv", {}),
        "questions": int(len(evidence.answered)),
        "folds": int(len(np.unique(evidence.folds))),
    }
    return Tuning(**values, **scope, **near, fitted_on=fitted_on, cv=cv)


def _key_masks(evidence: Evidence) -> np.ndarray:
    """(question, bank row): which bank rows may serve as keys for each question (other folds only)."""
    return evidence.folds[:, None] != evidence.folds[None, :]


def _bank_signal(evidence: Evidence, keys: np.ndarray) -> np.ndarray:
    """For each question, each passage's best similarity among its answered bank questions in other folds."""
    out = np.zeros(evidence.gold.shape, dtype=np.float32)
    rows, pids = evidence.bank_rows, evidence.bank_passages
    for q in range(len(out)):
        usable = keys[q, rows]
        np.maximum.at(out[q], pids[usable], evidence.bank_sims[q, rows[usable]])
    return out


def _best_weights(signals: np.ndarray, gold: np.ndarray) -> tuple[np.ndarray, float, float]:
    best: tuple[float, float] = (-1.0, -1.0)
    chosen = np.zeros(len(SIGNALS), dtype=np.float32)
    grid = np.array(list(itertools.product(*(WEIGHT_GRID[s] for s in SIGNALS))), dtype=np.float32)
    for batch in np.array_split(grid, max(1, len(grid) // 256)):
        scores = np.einsum("ks,qsp->kqp", batch, signals)
        gold_best = np.where(gold[None], scores, -np.inf).max(axis=2)
        ahead = (scores > gold_best[..., None]).sum(axis=2)  # passages ranked above the best gold one
        hit1 = (ahead == 0).mean(axis=1)
        mrr = (1.0 / (ahead + 1)).mean(axis=1)
        for k in range(len(batch)):
            if (hit1[k], mrr[k]) > best:
                best, chosen = (float(hit1[k]), float(mrr[k])), batch[k]
    return chosen, best[0], best[1]


def _near_section(evidence: Evidence, confidence: np.ndarray) -> dict:
    """The best fused score from which a declined question's top sections are named as near: the
    bar that best tells the bank's near misses (about a part of the guide that does not answer
    them) from its general questions (other topics, medical), by Youden's J."""
    general = evidence.general if evidence.general is not None else np.zeros_like(evidence.answered)
    near = ~evidence.answered & ~general
    if not near.any() or not general.any():
        return {}
    best = (-1.0, 0.0)
    for bar in np.unique(confidence[near | general]):
        j = float((confidence[near] >= bar).mean() - (confidence[general] >= bar).mean())
        if j > best[0]:
            best = (j, float(bar))
    bar = best[1]
    named = {"near_named": float((confidence[near] >= bar).mean()), "general_named": float((confidence[general] >= bar).mean())}
    return {"near_section": round(bar, 4), "cv": {k: round(v, 4) for k, v in named.items()}}


def neighbour_scores(sims: np.ndarray, answered: np.ndarray, count: int, usable: np.ndarray | None = None) -> tuple[float, float]:
    """Mean cosine of the `count` nearest answered and not-answered bank questions."""
    out = []
    for side in (answered, ~answered):
        pick = side if usable is None else side & usable
        values = np.sort(sims[pick])[::-1][:count]
        out.append(float(values.mean()) if len(values) else 0.0)
    return out[0], out[1]


def _best_scope(evidence: Evidence, keys: np.ndarray, confidence: np.ndarray) -> dict:
    best: dict = {}
    for count in NEIGHBOUR_COUNTS:
        pairs = np.array(
            [neighbour_scores(evidence.bank_sims[q], evidence.answered, count, keys[q]) for q in range(len(evidence.answered))]
        )
        margin = pairs[:, 0] - pairs[:, 1]
        for weight in CONFIDENCE_WEIGHTS:
            score = margin + weight * confidence
            on_answered = np.sort(score[evidence.answered])
            # the highest threshold that declines at most the bound's share of answered questions
            threshold = float(on_answered[int(np.floor(FALSE_DECLINE_BOUND * len(on_answered)))]) - 1e-6
            declined = float((score[~evidence.answered] < threshold).mean()) if (~evidence.answered).any() else 0.0
            false = float((score[evidence.answered] < threshold).mean())
            if not best or declined > best["cv"]["declined"]:
                best = {
                    "neighbours": count,
                    "confidence_weight": weight,
                    "threshold": round(threshold, 4),
                    "cv": {"declined": round(declined, 4), "false_decline": round(false, 4)},
                }
    return best
