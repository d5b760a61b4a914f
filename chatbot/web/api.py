"""The programs' API of the chat window: `/ask`, `/sections`, `/section`, with named, described
parameters and return values, and one clear error (and one log line) for bad input.

Call it with gradio_client: `Client(url).predict(question="…", history=[…], api_name="/ask")`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..guide.reasons import Reason
from .gradio_internals import describe_endpoint
from .throttle import RateLimited, client_of

log = logging.getLogger(__name__)

MAX_HISTORY = 50  # earlier questions read at most (only the last one is ever used)
MAX_CHARS = 20_000  # characters of a question or an earlier question

_SECTION = {"type": "array", "items": {"type": "string"}, "description": "a heading path, e.g. [part, sub-section]"}
_CITATION = {
    "type": "object",
    "properties": {
        "marker": {"type": "integer", "description": "the n of [n] in `answer`"},
        "section": _SECTION,
        "heading": {"type": "string", "description": "the section path joined with ' › '"},
        "source": {"type": "string", "description": "the guide's file"},
        "passage_id": {"type": "integer"},
    },
}
_PASSAGE = {
    "type": "object",
    "properties": {
        "section": _SECTION,
        "text": {"type": "string"},
        "score": {"type": "number"},
        "source": {"type": "string"},
        "title": {"type": "string"},
        "passage_id": {"type": "integer"},
        "highlights": {"type": "array", "items": {"type": "string"}},
    },
}
_QUOTE = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "a verbatim sentence of the guide"},
        "marker": {"type": "integer"},
        "item": {"type": "boolean", "description": "a bullet of a list in the guide"},
        "cited": {"type": "boolean", "description": "the [n] marker follows it in `answer`"},
    },
}
ANSWER_SCHEMA = {
    "type": "object",
    "description": "The reply to one question, as `python -m chatbot ask --json` prints it.",
    "properties": {
        "question": {"type": "string"},
        "answer": {"type": "string", "description": "the reply text; for an answer, quotes with [n] markers"},
        "in_scope": {"type": "boolean", "description": "true only when the guide answers"},
        "reason": {"enum": [str(r) for r in Reason] + ["error"], "description": "why the reply looks as it does"},
        "citations": {"type": "array", "items": _CITATION},
        "passages": {"type": "array", "items": _PASSAGE, "description": "the best passages, best first"},
        "quotes": {"type": "array", "items": _QUOTE},
        "interpreted_as": {"type": "string", "description": "the question as read (with a follow-up's context)"},
        "suggestions": {"type": "array", "items": _SECTION, "description": "near sections when the guide does not answer"},
        "notice": {"type": "string"},
        "follow_ups": {"type": "array", "items": {"type": "string"}, "description": "questions to ask next"},
        "decision": {
            "oneOf": [{"type": "null"}, {"type": "object"}],
            "description": "the question bank's evidence for answering or not",
        },
    },
}
ENDPOINTS = {
    "ask": {
        "description": "Answer a question about medical-assistant careers from the guide, quoting it with citations.",
        "parameters": {
            "question": ({"type": "string"}, "the question, as a person would type it"),
            "history": (
                {"oneOf": [{"type": "null"}, {"type": "array", "items": {"type": "string"}}]},
                "earlier questions of the conversation, oldest first (for follow-ups such as 'and in California?')",
            ),
        },
        "returns": ("answer", ANSWER_SCHEMA),
    },
    "sections": {
        "description": "Every section of the guide, in reading order, as heading paths.",
        "parameters": {},
        "returns": ("sections", {"type": "array", "items": _SECTION}),
    },
    "section": {
        "description": "The full text of one section of the guide.",
        "parameters": {"path": (_SECTION, "a heading path from /sections")},
        "returns": ("text", {"type": "string", "description": "the section's text, its sub-sections included"}),
    },
}


class BadRequest(ValueError):
    """An API call whose input is not what the endpoint takes; the message says what is wrong."""


def checked_ask(question: object, history: object) -> tuple[str, list[str]]:
    """`/ask`'s input, or BadRequest."""
    if not isinstance(question, str):
        raise BadRequest(f"question must be a string, not {_kind(question)}")
    if history is None:
        history = []
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise BadRequest("history must be a list of strings (earlier questions, oldest first) or null")
    if len(question) > MAX_CHARS or any(len(h) > MAX_CHARS for h in history):
        raise BadRequest(f"a question may have at most {MAX_CHARS:,} characters")
    return question, history[-MAX_HISTORY:]


def checked_section(path: object, sections: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """`/section`'s input, or BadRequest."""
    if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
        raise BadRequest(f"path must be a list of headings (one entry of /sections), not {_kind(path)}")
    if tuple(path) not in sections:
        raise BadRequest("no such section; call /sections for the list")
    return tuple(path)


def register(gr, chat, limits: dict) -> None:
    """Add the three endpoints to the Blocks being built, documented as ENDPOINTS says."""

    def ask(question: str, history: list[str] | None = None, request=None) -> dict:
        return _answering(gr, "ask", lambda: chat.api(question, history, client=client_of(request)))

    ask.__annotations__["request"] = gr.Request  # Gradio hands in the caller's request (its address, for the rate limit)

    def sections() -> list[list[str]]:
        return [list(s) for s in chat.sections]

    def section(path: list[str]) -> str:
        return _answering(gr, "section", lambda: chat.section_text(path))

    for fn, extra in ((ask, limits), (sections, {}), (section, {})):
        spec = ENDPOINTS[fn.__name__]
        dependency = gr.api(fn, api_name=fn.__name__, api_description=spec["description"], **extra)
        describe_endpoint(gr, dependency, spec["parameters"], spec["returns"])


def _answering(gr, endpoint: str, call):
    try:
        return call()
    except BadRequest as exc:
        log.warning("bad request to /%s: %s", endpoint, exc)  # one line, no traceback
        error = gr.Error(str(exc), print_exception=False)
        error.logged = True  # limits.guard adds no second line
        raise error from None
    except RateLimited as exc:  # counted in /metrics; a flood must not flood the log
        error = gr.Error(str(exc), print_exception=False)
        error.logged = True
        raise error from None


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
