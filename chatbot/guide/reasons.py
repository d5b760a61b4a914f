"""Why a reply looks the way it does: one closed set of reasons, shared by the bank and the answers."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """The reason behind a reply; ANSWERED quotes the guide as the answer, PARTIAL quotes what it says
    nearby after saying what it does not cover."""

    ANSWERED = "answered"
    PARTIAL = "partial"  # about a part of the guide, asking what the guide does not say
    NOT_IN_GUIDE = "not_in_guide"  # a career question the guide does not answer
    OTHER_TOPIC = "other_topic"  # not about this career at all
    MEDICAL = "medical_advice"  # asks for medical advice or a reading of a health value
    EMERGENCY = "emergency"  # someone may be in danger now
    GREETING = "greeting"
    THANKS = "thanks"
    EMPTY = "empty_question"
    INSTRUCTIONS = "instructions"  # only instructions to the assistant, no question
    OTHER_LANGUAGE = "other_language"  # written in a language other than the guide's

    @property
    def is_safety(self) -> bool:
        return self in (Reason.MEDICAL, Reason.EMERGENCY)


# How the bank spells a not-answered question's reason.
BANK_REASONS: dict[str, Reason] = {
    "not_in_guide": Reason.NOT_IN_GUIDE,
    "other_topic": Reason.OTHER_TOPIC,
    "medical": Reason.MEDICAL,
    "emergency": Reason.EMERGENCY,
}
