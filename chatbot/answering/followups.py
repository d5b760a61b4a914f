"""Questions to ask next: for an answer, questions the guide answers in the sections beside the
one that answered, taken from the question bank (plainly worded, so they read like suggestions)."""

from __future__ import annotations

from collections.abc import Sequence

from ..guide.bank import BankQuestion

FOLLOW_UPS = 3
PLAIN = "plain"


def follow_ups(
    cited: Sequence[tuple[str, ...]], sections: Sequence[tuple[str, ...]], bank: Sequence[BankQuestion], asked: str = ""
) -> tuple[str, ...]:
    """Up to FOLLOW_UPS questions, one per neighbouring section of the first cited one: the next and
    the previous sub-section of its part, then the next part of the guide. Each is the shortest
    plainly worded bank question that section answers."""
    if not cited or cited[0] not in sections:
        return ()
    offered = _offered(bank)
    order = list(sections)
    at = order.index(cited[0])
    part = cited[0][0]
    siblings = [s for s in order[at + 1 :] + order[:at][::-1] if s[0] == part]
    later_parts = [s for s in order[at + 1 :] + order[:at] if s[0] != part and len(s) == 1]
    out: list[str] = []
    asked = " ".join(asked.lower().split())
    for section in siblings + later_parts:
        if section in cited:
            continue
        question = next((q for q in offered.get(section, ()) if q.lower() != asked and q not in out), None)
        if question:
            out.append(question)
        if len(out) == FOLLOW_UPS:
            break
    return tuple(out)


def _offered(bank: Sequence[BankQuestion]) -> dict[tuple[str, ...], list[str]]:
    """Each section's plainly worded answered bank questions, shortest first."""
    offered: dict[tuple[str, ...], list[str]] = {}
    for item in bank:
        if item.answered and item.voice == PLAIN and item.section:
            offered.setdefault(item.section, []).append(item.question)
    return {section: sorted(questions, key=len) for section, questions in offered.items()}
