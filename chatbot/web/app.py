"""The chat window: the Gradio app over `ChatApp` (`chat.py`), with the `/ask`, `/sections` and
`/section` API, and its launch; started by `python -m chatbot serve`.

Gradio is imported inside the functions that need it, so the other commands start fast.
Programs call the `/ask`, `/sections` and `/section` endpoints (gradio_client; described in
`chatbot/web/api.py`): `/ask` returns the same JSON as `python -m chatbot ask --json`.
"""

# No `from __future__ import annotations` here: Gradio reads the event handlers' annotations
# (`evt: gr.SelectData`) as objects, and `gr` is only imported inside build_app.
import os
from collections.abc import Sequence

from ..answering.render import browse_html, escape
from . import api
from .chat import PANEL_HINT, ChatApp, ChatState
from .gradio_internals import set_shutdown_grace
from .sizing import CONCURRENCY, QUEUE_SIZE
from .throttle import client_of

TITLE = "Medical Assistant Career Guide"
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
THANKS_LIKE = "Thanks, your rating was saved."
THANKS_DISLIKE = "Thanks, your rating was saved. What was wrong? (optional)"
THANKS_NOTE = "Thanks, your note was saved with the rating."
EMPTY_STATUS = '<p class="status" role="status" aria-live="polite"></p>'


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
    set_shutdown_grace(demo, SHUTDOWN_GRACE_SECONDS)
    return url


def _gradio():
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio

    return gradio
