"""The typed result of a question: a direct cited answer, the passages behind it, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from .chunking import Passage
from .decision import Decision
from .reasons import Reason

# Why a reply looks the way it does; `in_scope` is true only for ANSWERED.
ANSWERED = Reason.ANSWERED
NOT_IN_GUIDE = Reason.NOT_IN_GUIDE
MEDICAL_ADVICE = Reason.MEDICAL
EMERGENCY = Reason.EMERGENCY
GREETING = Reason.GREETING
THANKS = Reason.THANKS
EMPTY = Reason.EMPTY


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, its score, and the sentences of it that match the question."""

    passage: Passage
    score: float
    highlights: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "section": list(self.passage.section),
            "text": self.passage.text,
            "score": round(float(self.score), 4),
            "source": self.passage.source,
            "title": self.passage.title,
            "passage_id": self.passage.id,
            "highlights": list(self.highlights),
        }


@dataclass(frozen=True)
class Citation:
    """A numbered source of the direct answer: marker [n] points to a passage and its section."""

    marker: int
    passage: Passage

    @property
    def heading(self) -> str:
        return self.passage.heading

    def to_dict(self) -> dict:
        return {
            "marker": self.marker,
            "section": list(self.passage.section),
            "heading": self.passage.heading,
            "source": self.passage.source,
            "passage_id": self.passage.id,
        }


@dataclass(frozen=True)
class Quote:
    """One verbatim sentence of the guide in the direct answer, with its citation marker."""

    text: str
    marker: int

    def to_dict(self) -> dict:
        return {"text": self.text, "marker": self.marker}


@dataclass(frozen=True)
class Answer:
    """Everything the CLI, the chat window and the API show for one question."""

    question: str
    answer: str
    in_scope: bool
    reason: Reason
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()
    quotes: tuple[Quote, ...] = ()
    interpreted_as: str = ""
    suggestions: tuple[tuple[str, ...], ...] = ()
    notice: str = ""
    decision: Decision | None = None  # the bank's evidence for answering or not (None before retrieval)
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """The stable JSON contract of `ask --json` and the API (fields are only ever added)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "in_scope": self.in_scope,
            "reason": str(self.reason),
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.passages],
            "quotes": [q.to_dict() for q in self.quotes],
            "interpreted_as": self.interpreted_as,
            "suggestions": [list(s) for s in self.suggestions],
            "notice": self.notice,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def compose(quotes: list[tuple[str, Passage]]) -> tuple[str, tuple[Quote, ...], tuple[Citation, ...]]:
    """Number the passages the quotes come from and join the quotes with their [n] markers."""
    markers: dict[int, int] = {}
    citations: list[Citation] = []
    out: list[Quote] = []
    for text, passage in quotes:
        if passage.id not in markers:
            markers[passage.id] = len(markers) + 1
            citations.append(Citation(markers[passage.id], passage))
        out.append(Quote(text, markers[passage.id]))
    answer = " ".join(f"{q.text} [{q.marker}]" for q in out)
    return answer, tuple(out), tuple(citations)
