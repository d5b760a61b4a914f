"""Messages answered without the guide: greetings, thanks, and emergencies (a hard rule).

Requests for medical advice are recognised by their nearest bank questions (`decision.py`);
the reply texts for both safety reasons live here."""

from __future__ import annotations

import re

from .answer import EMERGENCY, GREETING, MEDICAL_ADVICE, THANKS

_GREETING = re.compile(
    r"^(hi+|hello+|hey+|hiya|howdy|yo|greetings|good (morning|afternoon|evening)|what'?s up|sup)"
    r"( there| everyone| all| bot| assistant)?[\s!.,?:)]*$",
    re.I,
)
_THANKS = re.compile(
    r"^(ok(ay)?[, ]+|great[, ]+|cool[, ]+|perfect[, ]+)?(thanks?( you)?( so much| a lot)?|thx|ty|cheers|"
    r"much appreciated|appreciate it|that helps?|got it)[\s!.,:)]*$",
    re.I,
)
_EMERGENCY = re.compile(
    r"\b(chest pains?|heart attack|stroke|can'?t breathe|cannot breathe|not breathing|trouble breathing|"
    r"unconscious|passed out|overdos(e|ed|ing)|suicid\w*|kill (myself|me)|want to die|self[- ]harm|"
    r"severe(ly)? bleeding|bleeding (heavily|a lot)|anaphyla\w+|choking|seizure|poison(ed|ing)?)\b",
    re.I,
)
EMERGENCY_REPLY = (
    "If this is an emergency, call 911 now (or your local emergency number). "
    "I answer questions about medical-assistant careers from a guide and cannot give medical advice."
)
ADVICE_REPLY = (
    "I can't give medical advice: I answer questions about medical-assistant careers from a guide. "
    "Please ask a doctor, nurse or pharmacist about your health; for an emergency, call 911."
)
GREETING_REPLY = (
    "Hi! I answer questions about becoming a medical assistant in the U.S., quoting a career guide. "
    "Try: “What does a medical assistant do?”, “How long is an MA program?” or “How much do MAs earn?”"
)
THANKS_REPLY = (
    "You're welcome! Ask me anything else about medical-assistant careers, for example "
    "“Which certifications can I get?” or “Where do medical assistants work?”"
)

REPLIES = {EMERGENCY: EMERGENCY_REPLY, MEDICAL_ADVICE: ADVICE_REPLY, GREETING: GREETING_REPLY, THANKS: THANKS_REPLY}


def classify(message: str) -> str | None:
    """The kind of a message that must not be answered from the guide, or None."""
    text = message.strip()
    if _GREETING.match(text):
        return GREETING
    if _THANKS.match(text):
        return THANKS
    if _EMERGENCY.search(text):  # a hard rule: never left to retrieval or the bank
        return EMERGENCY
    return None
