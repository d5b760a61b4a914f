"""Messages that are not career questions: greetings, thanks, emergencies, medical advice."""

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
_HEALTH_TERM = (
    r"(pills?|tablets?|medications?|medicines?|meds|drugs?|dose|dosage|mg|antibiotics?|ibuprofen|tylenol|"
    r"aspirin|insulin|symptoms?|pain|aches?|rash|fever|swell\w*|swollen|stings?|bites?|infect\w*|"
    r"blood pressure|diabetes|headaches?|migraines?|cough\w*|flu|sore|wound|burn|cuts?|injur\w*|"
    r"pregnan\w*|allerg\w*|lump|bleed\w*|vomit\w*|nause\w*|dizz\w*)"
)
_PERSONAL = r"(\bi\b|\bi'?m\b|\bmy\b|\bme\b|\bmine\b|\bshould i\b|\bcan i\b|\bis it (ok(ay)?|safe|bad)\b)"
_ADVICE = re.compile(
    rf"({_PERSONAL}.*\b{_HEALTH_TERM}\b|\b{_HEALTH_TERM}\b.*{_PERSONAL}|"
    rf"\b(what|how) (should|do|can) (i|you) (put on|take for|treat|cure|do about|do for)\b|"
    rf"\bhow (much|many) \w* ?(should|can) i take\b|\b(treat|cure|remedy|remedies) for\b)",
    re.I,
)

_CAREER = re.compile(r"\b(mas?|ma's|medical assistants?|cma|rma|assistants?|job|career|work|program|certif\w*)\b", re.I)
# Asking what one would do for others in the role: "would I be the one taking someone's blood pressure?"
_ROLE = re.compile(
    r"\b(would|will|do|does|could) (i|you|we) (be (the one|expected|allowed)|have to|get to|need to)\b.*"
    r"\b(someone'?s?|somebody'?s?|patients?'?|people'?s?|others'?)\b",
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
    if _EMERGENCY.search(text):
        return EMERGENCY
    if _ADVICE.search(text) and not _about_the_job(text):
        return MEDICAL_ADVICE
    return None


def _about_the_job(text: str) -> bool:
    """Career questions that mention medicines ("can MAs give medications?") or tasks done for others
    are not advice requests."""
    return bool(_CAREER.search(text) or _ROLE.search(text))
