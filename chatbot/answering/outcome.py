"""What kind of reply a question gets once the bank has decided and the quotes are chosen:
answered, partly covered (the guide speaks of the topic but not of what is asked), or declined."""

from __future__ import annotations

from dataclasses import dataclass

from ..guide.reasons import Reason
from .decision import Decision
from .selection import Selection, Shortfall

MISSING_REPLY = "The guide doesn't mention {terms}."
UNSAID_REPLY = "The guide doesn't say exactly this; here is what it says nearby."
FIGURE_REPLY = "The guide gives no figure for “{words}”."
UNRANKED_REPLY = "The guide describes these options but doesn't say which is better."
NOT_IN_GUIDE_REPLY = "The guide doesn't cover this."


@dataclass(frozen=True)
class Outcome:
    """The reply's reason; for a partly covered one its caveat and the terms the guide lacks."""

    reason: Reason
    caveat: str = ""
    missing: tuple[str, ...] = ()

    @property
    def quotes(self) -> bool:
        """Whether the reply quotes the guide (an answer, or the nearby text of a partial one)."""
        return self.reason in (Reason.ANSWERED, Reason.PARTIAL)


def settle(decision: Decision, selection: Selection, missing: tuple[str, ...], *, near: bool, figure: str = "") -> Outcome:
    """Answered when the bank says the guide answers, the quotes hold what is asked and the question
    names nothing the guide never mentions. Partly covered when the question names something the
    guide never mentions but is about a part of it (the bank says the guide answers, or its passages
    score at least the fitted near-section bar), or when the bank says the guide answers but the
    quotes lack the figure or ranking asked for; declined otherwise. `missing` are the question's words the guide
    never mentions, `figure` the words asking for a figure ("how long")."""
    if not selection.quotes:
        return Outcome(decision.reason if not decision.answers else Reason.NOT_IN_GUIDE)
    if decision.answers and selection.in_scope and not missing:
        return Outcome(Reason.ANSWERED)
    career = decision.reason is Reason.NOT_IN_GUIDE  # not another topic, never a medical or emergency question
    if missing and (decision.answers or (near and career)):
        return Outcome(Reason.PARTIAL, MISSING_REPLY.format(terms=_joined(missing)), missing)
    if not decision.answers:
        return Outcome(decision.reason)  # nothing named that the guide lacks: a decline naming the near sections
    if selection.shortfall is Shortfall.UNRANKED:
        return Outcome(Reason.PARTIAL, UNRANKED_REPLY)
    if selection.shortfall is Shortfall.MISSING_FIGURE and figure:
        return Outcome(Reason.PARTIAL, FIGURE_REPLY.format(words=figure), (figure,))
    return Outcome(Reason.PARTIAL, UNSAID_REPLY)


def _joined(terms: tuple[str, ...]) -> str:
    quoted = [f"“{t}”" for t in terms]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
