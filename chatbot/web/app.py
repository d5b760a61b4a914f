"""The chat window and its API: a Gradio app over the Assistant, started by `python -m chatbot serve`.

Gradio is imported inside the functions that need it, so the other commands start fast.
Programs call the `/ask`, `/sections` and `/section` endpoints (gradio_client; described in
`chatbot/web/api.py`): `/ask` returns the same JSON as `python -m chatbot ask --json`.
"""

# No `from __future__ import annotations` here: Gradio reads the event handlers' annotations
# (`evt: gr.SelectData`) as objects, and `gr` is only imported inside build_app.
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..answering.answer import Answer
from ..answering.render import SEPARATOR, answer_html, browse_html, earlier_questions, escape, plain, section_html, user_html
from ..feedback.store import FeedbackStore
from . import api
from .throttle import RateLimited, client_of, slow_down

if TYPE_CHECKING:
    from ..answering.assistant import Assistant
    from .metrics import Metrics

log = logging.getLogger(__name__)

TITLE = "Medical Assistant Career Guide"
# Queue sizing, measured with scripts/load_test.py (see README "Serving").
CONCURRENCY = 2
QUEUE_SIZE = 256
SAVED_MESSAGES = 40  # messages of a conversation kept in the browser across reloads
SAVED_BYTES = 128_000  # at most, so the page load that sends it back stays far below the request limit
SHOWN_MESSAGES = 200  # messages a session keeps (and shows); older ones are dropped in pairs
STORAGE_KEY = "ma-career-guide-chat"
EXAMPLES = (
    "What does a medical assistant do?",
    "How long is a medical assistant program?",
    "How much do medical assistants earn?",
    "Where do medical assistants work?",
)
INTRO = (
    f"<header><h1>{TITLE}</h1><p>Duties, skills, training, certification, pay and work settings of medical assistants "
    "in the U.S. Every answer quotes the guide and names its section.</p></header>"
)
DISCLAIMER = (
    "Answers come from a career guide for medical assistants, not medical advice. "
    "For a health problem ask a doctor or pharmacist; in an emergency call 911."
)
ERROR = "error"
ERROR_REPLY = "Sorry, something went wrong while answering. Please try again or rephrase your question."
PANEL_HINT = '<div class="section-view empty">Open a section from an answer’s sources or from the list below.</div>'
THANKS_LIKE = "Thanks, your rating was saved."
THANKS_DISLIKE = "Thanks, your rating was saved. What was wrong? (optional)"
THANKS_NOTE = "Thanks, your note was saved with the rating."
EMPTY_STATUS = '<p class="status" role="status" aria-live="polite"></p>'


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

    def latest(self, count: int) -> "ChatState":
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
    def from_saved(cls, saved: object) -> "ChatState":
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
        self, assistant: "Assistant", store: FeedbackStore | None = None, metrics: "Metrics | None" = None, throttle=None
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


def build_app(chat: ChatApp, *, concurrency: int = CONCURRENCY, secret: str | None = None, review=None):
    """The Gradio Blocks of the chat window, with the `/ask`, `/sections` and `/section` API.

    `secret` encrypts the conversation each browser keeps across reloads (a new one per start when
    None, so a restart forgets them). `review`, a (Review, admin password) pair, adds the review
    page at `/admin`; without it that route does not exist."""
    gr = _gradio()
    limits = dict(concurrency_limit=concurrency, concurrency_id="assistant")
    private = dict(api_visibility="private")

    with gr.Blocks(title=TITLE, fill_width=False) as demo:
        gr.HTML(INTRO, elem_id="intro")
        state = gr.State(ChatState())
        saved = gr.BrowserState({"messages": [], "votes": {}}, storage_key=STORAGE_KEY, secret=secret)
        pending = gr.State(None)  # the message index of the latest thumbs down, for its note
        with gr.Row(equal_height=False, elem_id="layout"):
            with gr.Column(scale=3, min_width=320, elem_id="chat-column"):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    show_label=False,
                    height="calc(100dvh - 250px)",
                    min_height=320,
                    autoscroll=False,  # the page script scrolls a new answer to its start instead
                    layout="bubble",
                    latex_delimiters=[],
                    allow_tags=False,
                    buttons=[],
                    feedback_options=("Like", "Dislike"),
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="**Ask a question about becoming a medical assistant.**",
                )
                with gr.Group(elem_id="composer"):
                    box = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Type a question, e.g. “How do I get certified?”",
                        lines=1,
                        max_lines=6,
                        submit_btn="Ask",
                        autofocus=True,
                        max_length=api.MAX_CHARS,
                    )
                status = gr.HTML(EMPTY_STATUS, elem_id="status", container=False)
                with gr.Row(visible=False, elem_id="why") as why_row:
                    why = gr.Textbox(label="What was wrong? (optional)", max_lines=3, scale=4, elem_id="why-text")
                    why_send = gr.Button("Send", scale=1, min_width=80, elem_id="why-send")
                gr.HTML(f'<p class="disclaimer">{DISCLAIMER}</p>', elem_id="disclaimer", container=False)
            with gr.Column(scale=2, min_width=300, elem_id="guide"):
                # the page script shows sections here (each button carries its section's HTML)
                gr.HTML(PANEL_HINT, elem_id="section", container=False)
                gr.HTML(browse_html(chat.sections, chat.whole_section), elem_id="browse", container=False)

        def submit(message: str, state: ChatState, request: gr.Request):
            state, _ = chat.respond(message, state, client=client_of(request))
            return list(state.messages), "", state, state.to_saved()

        def example(state: ChatState, evt: gr.SelectData, request: gr.Request):
            value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value)
            return submit(value, state, request)

        def follow_up(state: ChatState, evt: gr.SelectData, request: gr.Request):
            return submit(str(evt.value), state, request)

        def like(state: ChatState, evt: gr.LikeData):
            liked = evt.liked if isinstance(evt.liked, bool) else None
            if not chat.vote(state, evt.index, liked):
                return gr.update(visible=False), EMPTY_STATUS, None, ""
            if liked is False:
                return gr.update(visible=True), _status(THANKS_DISLIKE), evt.index, ""
            return gr.update(visible=False), _status(THANKS_LIKE if liked else ""), None, ""

        def note(state: ChatState, index: int | None, text: str):
            if index is not None and chat.vote(state, index, False, text or ""):
                return gr.update(visible=False), _status(THANKS_NOTE), None, ""
            return gr.update(visible=False), EMPTY_STATUS, None, ""

        def restore(saved: dict):
            state = ChatState.from_saved(saved)
            return list(state.messages), state

        def clear():
            return [], ChatState(), {"messages": [], "votes": {}}, gr.update(visible=False), EMPTY_STATUS, None

        outputs = [chatbot, box, state, saved]
        box.submit(submit, [box, state], outputs, show_progress="minimal", **limits, **private)
        chatbot.example_select(example, [state], outputs, **limits, **private)
        chatbot.option_select(follow_up, [state], outputs, **limits, **private)
        chatbot.like(like, [state], [why_row, status, pending, why], **private)
        why_send.click(note, [state, pending, why], [why_row, status, pending, why], **private)
        why.submit(note, [state, pending, why], [why_row, status, pending, why], **private)
        chatbot.clear(clear, None, [chatbot, state, saved, why_row, status, pending], **private)
        demo.load(restore, [saved], [chatbot, state], **private)
        api.register(gr, chat, limits)
    if review is not None:
        from .review_page import add_review_page

        add_review_page(demo, *review, chat.labels)
    return demo


def _status(text: str) -> str:
    return f'<p class="status" role="status" aria-live="polite">{escape(text)}</p>'


def launch(
    demo,
    *,
    host: str | None = None,
    port: int | None = None,
    queue_size: int = QUEUE_SIZE,
    concurrency: int = CONCURRENCY,
    routes: Sequence = (),
) -> str:
    """Start serving in background threads; the local URL. Stop with `demo.close()`.

    `routes` (Starlette routes, e.g. `chatbot/web/routes.py`'s) are served beside Gradio's."""
    from .limits import SESSIONS, SHUTDOWN_GRACE_SECONDS, app_kwargs, guard
    from .page import PAGE_JS
    from .styles import CSS, theme

    demo.queue(max_size=queue_size, default_concurrency_limit=concurrency)
    guard(demo)
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            prevent_thread_lock=True,
            quiet=True,
            share=False,
            ssr_mode=False,
            mcp_server=False,
            pwa=False,
            enable_monitoring=False,
            show_error=False,
            footer_links=["api"],
            max_file_size=0,  # the app takes no files: Gradio's upload route refuses every byte (413)
            app_kwargs=app_kwargs(routes),  # a request size limit; failed requests are one log line (limits.py)
            state_session_capacity=SESSIONS,
            theme=theme(),
            css=CSS,
            js=PAGE_JS,
        )
    except OSError as exc:
        from ..errors import ChatbotError

        raise ChatbotError(
            f"cannot start the server on {host or '127.0.0.1'}:{port or 7860} ({exc}); pass another --port"
        ) from None
    # On close, open connections (event streams of questions still waiting) get this long, not forever.
    demo.server.config.timeout_graceful_shutdown = SHUTDOWN_GRACE_SECONDS
    return url


def waiting(demo) -> int:
    """Events waiting in the Gradio queue of a launched app (chat messages and `/ask` calls)."""
    queue = getattr(demo, "_queue", None)  # Gradio keeps no public handle; its /queue/status reads the same
    try:
        return len(queue) if queue is not None else 0
    except TypeError:
        return 0


def _gradio():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio

    return gradio
