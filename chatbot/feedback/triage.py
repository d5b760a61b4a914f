"""What the current index makes of a logged question: the bank question nearest to it and the part
of the guide it points to. The weekly report groups declined questions by the first; the bank
suggestions pre-fill the second."""

from __future__ import annotations

from dataclasses import dataclass

from ..answering.assistant import Assistant
from ..errors import ChatbotError
from ..guide.reasons import Reason
from ..index.load import load_index
from ..index.manifest import staleness
from ..index.neighbours import Neighbour
from ..settings import Settings

# A bank question less similar than this (cosine) to a logged question is not "near" it: the
# report does not group under it and the suggestions pre-fill no section from it. Presentation only.
NEAR_SIMILARITY = 0.5


@dataclass(frozen=True)
class Location:
    """Where a question lands in the index today."""

    question: str
    reply: Reason  # what the assistant does with it now
    nearest: Neighbour | None  # the nearest bank question, answered or not (None before retrieval)
    section: tuple[str, ...]  # the nearest part of the guide; () for a safety reply or when none ranks
    sections: tuple[tuple[str, ...], ...]  # every nearby part of the guide, nearest first

    @property
    def near(self) -> Neighbour | None:
        """The nearest bank question when it is near enough to name what the question is about."""
        return self.nearest if _near(self.nearest) else None


def locate(assistant: Assistant, question: str) -> Location:
    """Ask `question` as a reader would and read off its nearest bank question and section.

    The section is that of the top-ranked passage (the fused ranking, bank questions included), else
    that of the nearest answered bank question; none for a safety or another-topic reply, or for a
    declined question with no bank question near it."""
    answer = assistant.ask(question)
    decision = answer.decision
    neighbours = [*decision.answered_near[:1], *decision.declined_near[:1]] if decision else []
    nearest = max(neighbours, key=lambda n: n.score, default=None)
    sections: list[tuple[str, ...]] = []
    for section in [*(hit.passage.section for hit in answer.passages), *answer.suggestions]:
        if section not in sections:
            sections.append(section)
    if not sections and decision and decision.answered_near:
        sections.append(decision.answered_near[0].section)
    reply = Reason(answer.reason)
    unplaced = reply.is_safety or reply is Reason.OTHER_TOPIC or (not answer.in_scope and not _near(nearest))
    return Location(question, reply, nearest, () if unplaced or not sections else sections[0], tuple(sections))


def _near(neighbour: Neighbour | None) -> bool:
    return neighbour is not None and neighbour.score >= NEAR_SIMILARITY


def current_assistant(settings: Settings) -> tuple[Assistant, str]:
    """The assistant over the live index even when the corpus has changed since it was built (the
    bank grows between builds), and a note saying so ("" when the index is current)."""
    index = load_index(settings, check_fresh=False)
    try:
        stale = staleness(settings, index.manifest)
    except ChatbotError as exc:  # e.g. another --model that cannot be resolved offline
        stale = str(exc)
    note = f"{stale}; this uses the index as it was built (run `python -m chatbot build-index` to refresh it)" if stale else ""
    return Assistant(index), note
