"""The chat window and its API: a Gradio app over the Assistant, started by `python -m chatbot serve`.

Gradio is imported inside the functions that need it, so the other commands start fast.
Programs call the `/ask` endpoint (gradio_client): (question, earlier questions) in, the same
JSON as `python -m chatbot ask --json` out.
"""

# No `from __future__ import annotations` here: Gradio reads the event handlers' annotations
# (`evt: gr.SelectData`) as objects, and `gr` is only imported inside build_app.
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .answer import ANSWERED, NOT_IN_GUIDE, Answer
from .feedback import FeedbackStore
from .render import SEPARATOR, answer_html, earlier_questions, plain, section_html, user_html

if TYPE_CHECKING:
    from .assistant import Assistant

log = logging.getLogger(__name__)

API_NAME = "ask"
TITLE = "Medical Assistant Career Guide"
# Queue sizing, measured with scripts/load_test.py (see README "Serving").
CONCURRENCY = 2
QUEUE_SIZE = 256
EXAMPLES = (
    "What does a medical assistant do?",
    "How long is a medical assistant program?",
    "How much do medical assistants earn?",
    "Where do medical assistants work?",
)
INTRO = (
    f"<h1>{TITLE}</h1><p>Ask about the duties, skills, training, certification, pay and work settings of "
    "medical assistants in the U.S. Every answer quotes the guide and names the section it comes from.</p>"
)
DISCLAIMER = (
    "Answers come from a career guide for medical assistants, not medical advice. "
    "For a health problem ask a doctor or pharmacist; in an emergency call 911."
)
ERROR = "error"
ERROR_REPLY = "Sorry, something went wrong while answering. Please try again or rephrase your question."
PANEL_HINT = '<div class="section-view empty">Pick a section above, or open one cited in an answer.</div>'


@dataclass(frozen=True)
class Turn:
    """One exchange of the chat window: the answer and the two messages that show it."""

    answer: Answer
    messages: tuple[dict, dict]
    question_id: int | None = None
    section: tuple[str, ...] = ()  # the section to open beside the chat, if any


class ChatApp:
    """What the chat window does, as plain functions (testable without a browser or Gradio)."""

    def __init__(self, assistant: "Assistant", store: FeedbackStore | None = None) -> None:
        self.assistant = assistant
        self.store = store
        self.sections = [tuple(s) for s in assistant.sections()]
        self.labels = {SEPARATOR.join(s): s for s in self.sections}

    def reply(self, message: str, history: Sequence[dict] = ()) -> Turn:
        """Answer a chat message; `history` is the chat so far in Gradio's messages format."""
        message = plain(message if isinstance(message, str) else "")
        answer, question_id = self.answer(message, earlier_questions(history), channel="chat")
        sections = _sections_to_open(answer)
        options = [{"value": SEPARATOR.join(s), "label": f"Open: {s[-1]}"} for s in sections]
        user = {"role": "user", "content": user_html(message)}
        bot = {"role": "assistant", "content": answer_html(answer), "options": options}
        return Turn(answer, (user, bot), question_id, sections[0] if sections else ())

    def respond(self, message: str, history: Sequence[dict], votes: dict) -> tuple[list[dict], dict, str | None, str | None]:
        """The chat window's submit: (messages, votes, section to select, its HTML) after a message.

        `votes` maps an assistant message's index to its logged question, for thumbs up/down.
        """
        history = list(history or [])
        turn = self.reply(message, history)
        votes = dict(votes or {})
        if turn.question_id is not None:
            votes[len(history) + 1] = turn.question_id
        history.extend(turn.messages)
        if not turn.section:
            return history, votes, None, None
        label = SEPARATOR.join(turn.section)
        return history, votes, label, self.section_view(label, quoted=[q.text for q in turn.answer.quotes])

    def answer(self, question: str, history: Sequence[str] = (), *, channel: str) -> tuple[Answer, int | None]:
        """Ask the Assistant and log the question (its row id is returned for votes).

        Unexpected failures become a polite reply, never a traceback in the window.
        """
        question = plain(question if isinstance(question, str) else "")
        history = [plain(h) for h in history or () if isinstance(h, str)]
        try:
            answer = self.assistant.ask(question, history)
        except Exception:
            log.exception("failed to answer %r", question[:200])
            answer = Answer(question=question, answer=ERROR_REPLY, in_scope=False, reason=ERROR)
        question_id = self.store.log_question(answer, channel=channel) if self.store is not None else None
        return answer, question_id

    def api(self, question: str, history: Sequence[str] = ()) -> dict:
        """The `/ask` endpoint: the same JSON object as `python -m chatbot ask --json`."""
        return self.answer(question, history, channel="api")[0].to_dict()

    def vote(self, votes: dict, index: object, liked: object) -> None:
        """Store a thumbs up/down given to the assistant message at `index`."""
        question_id = votes.get(index if isinstance(index, int) else -1)
        if self.store is not None and question_id is not None:
            self.store.vote(question_id, liked if isinstance(liked, bool) else None)

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


def _sections_to_open(answer: Answer) -> list[tuple[str, ...]]:
    """The cited sections of an answer, or the nearest ones when the guide does not cover it."""
    if answer.reason == ANSWERED:
        seen: list[tuple[str, ...]] = []
        for citation in answer.citations:
            if citation.passage.section not in seen:
                seen.append(citation.passage.section)
        return seen
    if answer.reason == NOT_IN_GUIDE:
        return list(answer.suggestions)
    return []


def build_app(chat: ChatApp, *, concurrency: int = CONCURRENCY):
    """The Gradio Blocks of the chat window, with the `/ask`, `/sections` and `/section` API."""
    gr = _gradio()
    choices = [(label, label) for label in chat.labels]
    limits = dict(concurrency_limit=concurrency, concurrency_id="assistant")

    with gr.Blocks(title=TITLE, fill_width=False) as demo:
        gr.HTML(INTRO, elem_id="intro")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=360):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    show_label=False,
                    height=560,
                    layout="bubble",
                    latex_delimiters=[],
                    allow_tags=False,
                    buttons=[],
                    feedback_options=("Like", "Dislike"),
                    examples=[{"text": q} for q in EXAMPLES],
                    placeholder="**Ask a question about becoming a medical assistant.**",
                )
                box = gr.Textbox(
                    elem_id="question",
                    show_label=False,
                    placeholder="Type a question, e.g. “How do I get certified?”",
                    lines=1,
                    max_lines=6,
                    submit_btn="Ask",
                    autofocus=True,
                )
                gr.HTML(f'<p class="disclaimer">{DISCLAIMER}</p>', elem_id="disclaimer")
            with gr.Column(scale=2, min_width=300, elem_id="guide"):
                picker = gr.Dropdown(choices=choices, value=None, label="Browse the guide", filterable=True, elem_id="picker")
                panel = gr.HTML(PANEL_HINT, elem_id="section", container=False)
        votes = gr.State({})

        def submit(message: str, history: list, votes: dict):
            history, votes, label, view = chat.respond(message, history, votes)
            if label is None:
                return history, "", votes, gr.skip(), gr.skip()
            return history, "", votes, gr.update(value=label), view

        def example(history: list, votes: dict, evt: gr.SelectData):
            return submit(evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value), history, votes)

        def like(votes: dict, evt: gr.LikeData):
            chat.vote(votes, evt.index, evt.liked)

        def option(evt: gr.SelectData):
            label = str(evt.value)
            return gr.update(value=label), chat.section_view(label)

        def ask(question: str, history: list[str] | None = None) -> dict:
            """Answer `question` from the guide; `history` lists earlier user questions, oldest first."""
            return chat.api(question, history or [])

        def sections() -> list[list[str]]:
            """Every section path of the guide, in reading order."""
            return [list(s) for s in chat.sections]

        def section(path: list[str]) -> str:
            """The full text of one section of the guide (a path from /sections)."""
            if tuple(path or ()) not in chat.sections:
                raise gr.Error("No such section; call /sections for the list.")
            return chat.assistant.section_text(path)

        outputs = [chatbot, box, votes, picker, panel]
        private = dict(api_visibility="private")
        box.submit(submit, [box, chatbot, votes], outputs, show_progress="minimal", **limits, **private)
        chatbot.example_select(example, [chatbot, votes], outputs, **limits, **private)
        chatbot.like(like, [votes], None, **private)
        chatbot.option_select(option, None, [picker, panel], **private)
        chatbot.clear(lambda: {}, None, votes, **private)
        picker.input(chat.section_view, picker, panel, **private)
        gr.api(ask, api_name=API_NAME, **limits)
        gr.api(sections, api_name="sections")
        gr.api(section, api_name="section")
    return demo


def launch(
    demo, *, host: str | None = None, port: int | None = None, queue_size: int = QUEUE_SIZE, concurrency: int = CONCURRENCY
) -> str:
    """Start serving in background threads; the local URL. Stop with `demo.close()`."""
    from .accessibility import PLAIN_MESSAGE_LABELS_JS
    from .limits import SESSIONS, SHUTDOWN_GRACE_SECONDS, app_kwargs, guard
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
            app_kwargs=app_kwargs(),  # a request size limit; failed requests are one log line (limits.py)
            state_session_capacity=SESSIONS,
            theme=theme(),
            css=CSS,
            js=PLAIN_MESSAGE_LABELS_JS,
        )
    except OSError as exc:
        from .errors import ChatbotError

        raise ChatbotError(
            f"cannot start the server on {host or '127.0.0.1'}:{port or 7860} ({exc}); pass another --port"
        ) from None
    # On close, open connections (event streams of questions still waiting) get this long, not forever.
    demo.server.config.timeout_graceful_shutdown = SHUTDOWN_GRACE_SECONDS
    return url


def _gradio():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio

    return gradio
