"""The bank as retrieval keys: its questions' vectors, their labels, and the passages they point to.

A question is compared with every bank question (a matrix product: a bank holds hundreds). Its
similarity to a passage's answered bank questions is one retrieval signal; its nearest answered
and not-answered bank questions decide whether the guide answers at all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..guide.bank import BankQuestion
from ..guide.chunking import Passage
from ..guide.reasons import Reason

BANK_QUESTIONS = "bank.jsonl"
BANK_VECTORS = "bank.npy"


@dataclass(frozen=True)
class Neighbour:
    """A bank question near the asked one, and how near (cosine)."""

    question: str
    reason: Reason
    section: tuple[str, ...]
    score: float

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "reason": str(self.reason),
            "section": list(self.section),
            "score": round(self.score, 4),
        }


@dataclass(frozen=True)
class BankKeys:
    """Bank questions with their vectors (rows), and which passages each answered one points to."""

    questions: tuple[BankQuestion, ...]
    vectors: np.ndarray  # (questions, dimension), unit length
    rows: np.ndarray  # pairs (row, passage): answered question `row` is answered by passage `passage`
    passages: np.ndarray
    answered: np.ndarray  # bool per question

    @classmethod
    def build(cls, questions: list[BankQuestion], vectors: np.ndarray, passages: list[Passage]) -> BankKeys:
        rows, pids = [], []
        for row, question in enumerate(questions):
            if question.answered:
                for pid in answering_passages(question.section, passages):
                    rows.append(row)
                    pids.append(pid)
        return cls(
            tuple(questions),
            np.asarray(vectors, dtype=np.float32),
            np.asarray(rows, dtype=np.int64),
            np.asarray(pids, dtype=np.int64),
            np.array([q.answered for q in questions], dtype=bool),
        )

    def passage_scores(self, sims: np.ndarray, passages: int) -> np.ndarray:
        """For each passage, the best similarity among its answered bank questions (0 for none),
        given one question's `sims` with every bank question."""
        out = np.zeros(passages, dtype=np.float32)
        np.maximum.at(out, self.passages, sims[self.rows])
        return out

    def nearest(self, sims: np.ndarray, *, answered: bool, count: int) -> list[Neighbour]:
        """The `count` nearest answered (or not-answered) bank questions for one question's `sims`."""
        rows = np.flatnonzero(self.answered == answered)
        best = rows[np.argsort(-sims[rows], kind="stable")[:count]]
        return [
            Neighbour(self.questions[r].question, self.questions[r].reason, self.questions[r].section, float(sims[r]))
            for r in best
        ]


def answering_passages(section: tuple[str, ...], passages: list[Passage]) -> list[int]:
    """The passages of a section path: those exactly under it, else every one below it."""
    exact = [p.id for p in passages if p.section == section]
    return exact or [p.id for p in passages if p.section[: len(section)] == section]


def write_bank(folder: Path, questions: list[BankQuestion], vectors: np.ndarray) -> None:
    with (folder / BANK_QUESTIONS).open("w", encoding="utf-8") as handle:
        for question in questions:
            handle.write(json.dumps(question.to_dict(), ensure_ascii=False) + "\n")
    np.save(folder / BANK_VECTORS, np.asarray(vectors, dtype=np.float32), allow_pickle=False)


def read_bank_keys(folder: Path, passages: list[Passage]) -> BankKeys:
    """The bank a build holds (raises OSError/ValueError when its files are unreadable)."""
    lines = (folder / BANK_QUESTIONS).read_text(encoding="utf-8").splitlines()
    questions = [BankQuestion.from_dict(json.loads(line), source=f"{BANK_QUESTIONS}:{n}") for n, line in enumerate(lines, 1)]
    vectors = np.load(folder / BANK_VECTORS, allow_pickle=False)
    if vectors.ndim != 2 or len(vectors) != len(questions):
        raise ValueError("bank questions and vectors disagree")
    return BankKeys.build(questions, vectors, passages)
