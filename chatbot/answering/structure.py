"""A broad question answered with the whole part of the guide: when the answer comes from a part's
opening text ("Skills and Qualities Needed…") and the part has sub-sections, each sub-section
follows as a list item, its heading with its first line, so "what skills do I need?" shows the
five skill groups rather than one introductory sentence."""

from __future__ import annotations

from collections.abc import Sequence

from ..guide.chunking import Passage
from .question_kinds import figure_asked, is_comparison, quotable

MAX_PARTS = 8  # sub-sections listed at most


def overview(quotes: list[tuple[str, Passage]], passages: Sequence[Passage], question: str) -> list[tuple[str, Passage]]:
    """The part's sub-sections (first line of each), to follow the quotes, when the first quote comes
    from a part's opening text and the question asks for no figure or comparison; [] otherwise."""
    if not quotes or figure_asked(question) is not None or is_comparison(question):
        return []
    lead = quotes[0][1]
    if len(lead.section) != 1:
        return []
    firsts: dict[tuple[str, ...], Passage] = {}
    for passage in passages:
        if len(passage.section) > 1 and passage.section[0] == lead.section[0]:
            firsts.setdefault(passage.section, passage)
    items = []
    for passage in list(firsts.values())[:MAX_PARTS]:
        line = next((s for s in passage.sentences if quotable(s)), None)
        if line is not None:
            items.append((line, passage))
    return items
