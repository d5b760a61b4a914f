"""Whether the guide answers a question, decided by the nearest labeled questions of the bank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..guide.reasons import Reason
from ..index.neighbours import BankKeys, Neighbour
from ..index.tuning import Tuning, neighbour_scores

EVIDENCE = 3  # neighbours of each kind kept as evidence


@dataclass(frozen=True)
class Decision:
    """Answered, or why not, with the evidence: `score` against `threshold` and the nearest bank
    questions of each kind."""

    reason: Reason
    score: float
    threshold: float
    answered_near: tuple[Neighbour, ...]
    declined_near: tuple[Neighbour, ...]

    @property
    def answers(self) -> bool:
        return self.reason is Reason.ANSWERED

    def to_dict(self) -> dict:
        return {
            "reason": str(self.reason),
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "answered_near": [n.to_dict() for n in self.answered_near],
            "declined_near": [n.to_dict() for n in self.declined_near],
        }


def decide(bank: BankKeys, sims: np.ndarray, confidence: float, tuning: Tuning) -> Decision:
    """The guide answers when its nearest answered bank questions beat the nearest not-answered
    ones (and the retrieval confidence) by the fitted threshold; otherwise the nearest not-answered
    question's reason (not in the guide, another topic, medical, emergency) is the decision's."""
    answered = bank.answered
    near = bank.nearest(sims, answered=True, count=EVIDENCE)
    far = bank.nearest(sims, answered=False, count=EVIDENCE)
    up, down = neighbour_scores(sims, answered, tuning.neighbours)  # 0 for a side the bank lacks
    score = up - down + tuning.confidence_weight * confidence
    if score >= tuning.threshold:
        reason = Reason.ANSWERED
    else:
        reason = far[0].reason if far else Reason.NOT_IN_GUIDE
    return Decision(reason, float(score), tuning.threshold, tuple(near), tuple(far))
