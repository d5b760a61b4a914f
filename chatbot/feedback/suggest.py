"""Candidate bank lines from the feedback file: one per distinct declined or thumbs-down question,
most asked first, with the nearest part of the guide pre-filled from the current index.

A candidate is a bank line the owner finishes: `"answered": null` until they set it to true (the
pre-filled section answers it) or to false with a `"reason"`. `bank add` refuses a line whose
`answered` is still null, and drops the `"suggested"` object, which only informs the owner (how
often the question was asked, what the assistant replied, what readers said was wrong, the
nearest bank question and other nearby sections).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..guide.bank import MAX_QUESTION_CHARS
from ..guide.bank_edit import SUGGESTED
from ..guide.query import Reader, expand
from ..guide.reasons import BANK_REASONS
from ..guide.shorthand import ABBREVIATIONS
from ..guide.text import raw_words
from .store import LoggedQuestion

if TYPE_CHECKING:
    from .triage import Location
KEYWORDS_AT_MOST = 4  # words of a "keywords" question without a question mark


@dataclass(frozen=True)
class Candidate:
    """A question readers asked that the bank may need, with what the index makes of it now."""

    question: str
    location: Location
    voice: str  # a guess (see `guess_voice`); the owner may change it
    asked: int  # times it was declined or disliked
    declined: int
    thumbs_down: int
    last_asked: str
    comments: tuple[str, ...]
    asked_as: tuple[str, ...] = ()  # the reader's own words when the assistant read them with an earlier question

    @property
    def reason_hint(self) -> str:
        """The bank's spelling of the reason the index gives now, or of its nearest not-answered
        bank question's ("not_in_guide" when neither is one)."""
        nearest = self.location.nearest
        for reason in (self.location.reply, nearest.reason if nearest else None):
            for name, value in BANK_REASONS.items():
                if value is reason:
                    return name
        return "not_in_guide"

    def to_dict(self) -> dict:
        """One line for `bank add`, `"answered"` left for the owner."""
        section = self.location.section
        nearest = self.location.nearest
        return {
            "section": section[0] if section else None,
            "subsection": section[1] if len(section) > 1 else None,
            "question": self.question,
            "answered": None,
            "reason": None,
            "voice": self.voice,
            SUGGESTED: {
                "note": 'set "answered" to true (the section answers it) or to false with a "reason"; '
                f"{SUGGESTED!r} is dropped by `bank add`",
                "asked": self.asked,
                "declined": self.declined,
                "thumbs_down": self.thumbs_down,
                "last_asked": self.last_asked,
                "replied_now": str(self.location.reply),
                "reason_if_not_answered": self.reason_hint,
                "comments": list(self.comments),
                "asked_as": list(self.asked_as),
                "nearest_bank_question": nearest.to_dict() if nearest else None,
                "other_sections": [list(s) for s in self.location.sections if s != section],
                "voice_guessed": True,
            },
        }


def candidates(
    rows: Iterable[LoggedQuestion],
    locate: Callable[[str], Location],
    *,
    reader: Reader,
    known: set[str],
    limit: int | None = None,
) -> list[Candidate]:
    """One candidate per distinct declined or thumbs-down question, most asked first (then the
    latest), skipping questions the bank already holds (`known`, casefolded)."""
    flagged: dict[str, list[LoggedQuestion]] = defaultdict(list)
    for row in rows:
        if row.declined or row.disliked:
            text = " ".join((row.interpreted_as or row.question).split())
            if text.casefold() not in known and len(text) <= MAX_QUESTION_CHARS:
                flagged[text.casefold()].append(row)
    ranked = sorted(flagged.values(), key=lambda group: (-len(group), -max(r.asked_at for r in group).timestamp()))
    out = []
    for group in ranked[:limit]:
        text = " ".join((group[0].interpreted_as or group[0].question).split())  # as first asked
        own = {" ".join(r.question.split()) for r in group} - {text}
        out.append(
            Candidate(
                question=text,
                location=locate(text),
                voice=guess_voice(text, reader),
                asked=len(group),
                declined=sum(r.declined for r in group),
                thumbs_down=sum(r.disliked for r in group),
                last_asked=max(r.asked_at for r in group).isoformat(timespec="seconds"),
                comments=tuple(dict.fromkeys(r.comment for r in group if r.disliked and r.comment)),
                asked_as=tuple(sorted(own)),
            )
        )
    return out


def guess_voice(question: str, reader: Reader) -> str:
    """The bank voice a question seems written in: "typo" when the reader corrects a word,
    "casual" for chat shorthand written in lower case ("u", "ma", "pls"), "keywords" for a few words without a
    question mark, else "plain". ("indirect" cannot be told from the words; the owner sets it.)"""
    words = raw_words(question)
    lowered = [w.lower().rstrip(".") for w in words]
    if any(w not in ABBREVIATIONS and w.isalpha() and expand(w, reader.vocabulary, reader.known) != w for w in lowered):
        return "typo"
    if len(words) <= KEYWORDS_AT_MOST and "?" not in question:
        return "keywords"
    if any(w in ABBREVIATIONS and raw.islower() for w, raw in zip(lowered, words)):
        return "casual"
    return "plain"
