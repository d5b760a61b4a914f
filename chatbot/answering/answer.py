"""The typed result of a question: a direct cited answer, the passages behind it, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ..guide.chunking import Passage, bullet_runs
from ..guide.reasons import Reason
from .decision import Decision

# Why a reply looks the way it does; `in_scope` is true only for ANSWERED and PARTIAL.
ANSWERED = Reason.ANSWERED
PARTIAL = Reason.PARTIAL
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
    """One verbatim sentence of the guide in the direct answer, with its citation marker.

    `item`: the sentence is a bullet of a list in the guide, and is shown as one. `cited`: the
    marker is shown after it (a list's items share the marker of the sentence that introduces them).
    `heading`: the sentence opens a sub-section listed in an overview of its part, shown after its heading.
    """

    text: str
    marker: int
    item: bool = False
    cited: bool = True
    heading: str = ""

    def to_dict(self) -> dict:
        return {"text": self.text, "marker": self.marker, "item": self.item, "cited": self.cited, "heading": self.heading}


def blocks(quotes: Sequence[Quote]) -> list[tuple[Quote, ...]]:
    """The quotes as the answer's blocks: a run of sentences (a paragraph) or a run of one list's items."""
    out: list[list[Quote]] = []
    for quote in quotes:
        previous = out[-1][-1] if out else None
        same_list = previous is not None and (previous.marker == quote.marker or bool(previous.heading and quote.heading))
        if previous is not None and previous.item == quote.item and (not quote.item or same_list):
            out[-1].append(quote)
        else:
            out.append([quote])
    return [tuple(block) for block in out]


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
    follow_ups: tuple[str, ...] = ()  # questions the guide answers nearby, to ask next
    missing: tuple[str, ...] = ()  # a partly covered question's words that the guide never mentions
    caveat: str = ""  # a partly covered reply's first sentence: what the guide does not cover
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
            "follow_ups": list(self.follow_ups),
            "missing": list(self.missing),
            "caveat": self.caveat,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def compose(
    quotes: list[tuple[str, Passage]], overview: Sequence[tuple[str, Passage]] = ()
) -> tuple[str, tuple[Quote, ...], tuple[Citation, ...]]:
    """Number the passages the quotes come from, mark the guide's list items, and write the answer
    as text: sentences with their [n] markers, list items on lines of their own ("- …"). `overview`
    lists a part's sub-sections (first line of each) after the quotes from its opening text."""
    markers: dict[int, int] = {}
    citations: list[Citation] = []
    found: list[Quote] = []
    for (text, passage), headed in [(q, False) for q in quotes] + [(q, True) for q in overview if q not in quotes]:
        if passage.id not in markers:
            markers[passage.id] = len(markers) + 1
            citations.append(Citation(markers[passage.id], passage))
        items = {item for _, run in bullet_runs(passage) for item in run}
        heading = passage.section[-1] if headed else ""
        found.append(Quote(text, markers[passage.id], item=headed or text in items, heading=heading))
    out: list[Quote] = []
    for block in blocks(found):
        # one marker per run of sentences from one passage; a list's items share the marker of the
        # sentence that introduces them, else the last item carries it
        introduced = block[0].item and bool(out) and not out[-1].item and out[-1].marker == block[0].marker
        after = found[len(out) + len(block)] if len(out) + len(block) < len(found) else None
        for q, following in zip(block, (*block[1:], after)):
            if q.item:
                cited = q.heading != "" or (q is block[-1] and not introduced)
            else:
                cited = following is None or following.marker != q.marker or following.item
            out.append(replace(q, cited=cited))
    return answer_text(out), tuple(out), tuple(citations)


def answer_text(quotes: Sequence[Quote]) -> str:
    """The answer as plain text: paragraphs of sentences with [n] markers, list items as "- …" lines."""
    out = []
    for block in blocks(quotes):
        if block[0].item:
            out.append("\n".join(f"- {_headed(q)}" + (f" [{q.marker}]" if q.cited else "") for q in block))
        else:
            out.append(" ".join(q.text + (f" [{q.marker}]" if q.cited else "") for q in block))
    return "\n".join(out)


def _headed(quote: Quote) -> str:
    return f"{quote.heading}: {quote.text}" if quote.heading else quote.text
