"""What the chat window does, as plain Python (testable without a browser or Gradio): a turn of
the conversation, the conversation a browser keeps, and `ChatApp`, which answers, logs the question
for feedback, counts it in the metrics and shows a section of the guide."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..answering.answer import Answer
from ..answering.render import SEPARATOR, answer_html, earlier_questions, plain, section_html, user_html
from ..feedback.store import FeedbackStore
from . import api
from .throttle import RateLimited, slow_down

if TYPE_CHECKING:
    from ..answering.assistant import Assistant
    from .metrics import Metrics

log = logging.getLogger(__name__)

SAVED_MESSAGES = 40  # messages of a conversation kept in the browser across reloads
SAVED_BYTES = 128_000  # at most, so the page load that sends it back stays far below the request limit
SHOWN_MESSAGES = 200  # messages a session keeps (and shows); older ones are dropped in pairs
ERROR = "error"
ERROR_REPLY = "Sorry, something went wrong while answering. Please try again or rephrase your question."
PANEL_HINT = '<div class="section-view empty">Open a section from an answer’s sources or from the list below.</div>'


@dataclass(frozen=True)
class Turn:
    """One exchange of the chat window: the answer and the two messages that show it."""

    answer: Answer
    messages: tuple[dict, dict]
    question_id: int | None = None


@dataclass(frozen=True)
class ChatState:
    """The conversation of one browser: its messages, and the logged question behind each answer
    (by message index, for thumbs up/down)."""

    messages: tuple[dict, ...] = ()
    votes: tuple[tuple[int, int], ...] = ()

    def latest(self, count: int) -> ChatState:
        """The conversation's last `count` messages (a question is never split from its answer)."""
        dropped = max(0, len(self.messages) - count)
        dropped += dropped % 2
        return ChatState(self.messages[dropped:], tuple((i - dropped, q) for i, q in self.votes if i >= dropped))

    def to_saved(self) -> dict:
        """What the browser keeps across reloads: the latest messages and their votes' question ids."""
        count = SAVED_MESSAGES
        while True:
            kept = self.latest(count)
            saved = {"messages": list(kept.messages), "votes": {str(i): q for i, q in kept.votes}}
            if count <= 2 or len(json.dumps(saved, ensure_ascii=False).encode()) <= SAVED_BYTES:
                return saved
            count -= 2

    @classmethod
    def from_saved(cls, saved: object) -> ChatState:
        """A saved conversation read back; anything malformed is dropped, never trusted."""
        if not isinstance(saved, dict):
            return cls()
        messages = saved.get("messages")
        votes = saved.get("votes")
        if not isinstance(messages, list) or not isinstance(votes, dict):
            return cls()
        kept = tuple(m for m in messages[-SAVED_MESSAGES:] if isinstance(m, dict) and m.get("role") in ("user", "assistant"))
        pairs = tuple((int(i), q) for i, q in votes.items() if str(i).isdigit() and isinstance(q, int) and int(i) < len(kept))
        return cls(kept, pairs)


class ChatApp:
    """What the chat window does, as plain functions (testable without a browser or Gradio)."""

    def __init__(
        self, assistant: Assistant, store: FeedbackStore | None = None, metrics: Metrics | None = None, throttle=None
    ) -> None:
        self.assistant = assistant
        self.store = store
        self.metrics = metrics
        self.throttle = throttle  # a throttle.RateLimiter: questions a client may ask (None: no limit)
        self.sections = [tuple(s) for s in assistant.sections()]
        self.labels = {SEPARATOR.join(s): s for s in self.sections}

    def reply(self, message: str, history: Sequence[dict] = ()) -> Turn:
        """Answer a chat message; `history` is the chat so far in Gradio's messages format."""
        message = plain(message if isinstance(message, str) else "")
        answer, question_id = self.answer(message, earlier_questions(history), channel="chat")
        user = {"role": "user", "content": user_html(message)}
        bot = {
            "role": "assistant",
            "content": answer_html(answer, self.whole_section),
            "options": [{"value": q, "label": q} for q in answer.follow_ups],
        }
        return Turn(answer, (user, bot), question_id)

    def respond(self, message: str, state: ChatState, *, client: str | None = None) -> tuple[ChatState, Turn | None]:
        """The chat window's submit: the conversation after a message (unchanged for an empty one;
        a polite line, neither answered nor logged, for a `client` over its rate limit)."""
        if not isinstance(message, str) or not message.strip():
            return state, None
        wait = self.over_limit(client, channel="chat")
        if wait:
            slowed = ({"role": "user", "content": user_html(plain(message))}, {"role": "assistant", "content": slow_down(wait)})
            return ChatState(state.messages + slowed, state.votes).latest(SHOWN_MESSAGES), None
        turn = self.reply(message, state.messages)
        votes = state.votes
        if turn.question_id is not None:
            votes += ((len(state.messages) + 1, turn.question_id),)
        return ChatState(state.messages + turn.messages, votes).latest(SHOWN_MESSAGES), turn

    def answer(self, question: str, history: Sequence[str] = (), *, channel: str) -> tuple[Answer, int | None]:
        """Ask the Assistant and log the question (its row id is returned for votes).

        Unexpected failures become a polite reply, never a traceback in the window.
        """
        question = plain(question if isinstance(question, str) else "")
        history = [plain(h) for h in history or () if isinstance(h, str)]
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            answer = self.assistant.ask(question, history)
        except Exception:
            log.exception("failed to answer %r", question[:200])
            answer = Answer(question=question, answer=ERROR_REPLY, in_scope=False, reason=ERROR)
        if self.metrics is not None:
            self.metrics.answered(answer.reason, channel, time.perf_counter() - started, time.thread_time() - cpu)
        question_id = None
        if self.store is not None:
            question_id = self.store.log_question(answer, channel=channel)
            if self.metrics is not None:
                self.metrics.feedback_row("question", question_id is not None)
        return answer, question_id

    def over_limit(self, client: str | None, *, channel: str) -> float:
        """Take one question from `client`'s rate limit: 0.0, or the seconds it must wait (counted in /metrics)."""
        wait = self.throttle.wait(client) if self.throttle is not None else 0.0
        if wait and self.metrics is not None:
            self.metrics.rate_limited(channel)
        return wait

    def api(self, question: object, history: object = None, *, channel: str = "api", client: str | None = None) -> dict:
        """The `/ask` endpoint: the same JSON object as `python -m chatbot ask --json` (RateLimited
        for a `client` over its limit)."""
        wait = self.over_limit(client, channel=channel)
        if wait:
            raise RateLimited(slow_down(wait))
        question, history = api.checked_ask(question, history)
        return self.answer(question, history, channel=channel)[0].to_dict()

    def section_text(self, path: object) -> str:
        """The `/section` endpoint: the full text of one section, by its path from `/sections`."""
        return self.assistant.section_text(api.checked_section(path, self.sections))

    def vote(self, state: ChatState, index: object, liked: object, comment: str = "") -> bool:
        """Store a thumbs up/down (and what was wrong) given to the assistant message at `index`;
        whether it was stored."""
        question_id = dict(state.votes).get(index if isinstance(index, int) else -1)
        if self.store is None or question_id is None:
            return False
        self.store.vote(question_id, liked if isinstance(liked, bool) else None, comment)
        if self.metrics is not None:
            self.metrics.feedback_row("vote", True)
        return True

    def whole_section(self, path: tuple[str, ...], quoted: Sequence[str] = ()) -> str:
        """A section's full HTML (`quoted` sentences marked), for a button to open beside the chat or in place."""
        return self.section_view(SEPARATOR.join(path), quoted=quoted)

    def section_view(self, label: str | None, *, quoted: Sequence[str] = ()) -> str:
        """The full text of a section (and its sub-sections, each under its heading) as HTML."""
        path = self.labels.get(label or "")
        if path is None:
            return PANEL_HINT
        full = self.assistant.section_text(path)
        parts = [(path, full)]
        subs = [(s, self.assistant.section_text(s)) for s in self.sections if s[: len(path)] == path and s != path]
        joined = "\n\n".join(text for _, text in subs)
        if subs and full.endswith(joined):  # a top-level section: its own text, then each sub-section
            own = full[: len(full) - len(joined)].strip()
            parts = ([(path, own)] if own else []) + subs
        return section_html(path, parts, quoted=quoted)
