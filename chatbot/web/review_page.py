"""The review page at `/admin`, added to the chat window's app only when an admin password is set
(`CHATBOT_ADMIN_PASSWORD`): without it the route does not exist.

Its own sign-in: every event checks the session's signed-in flag (server-side state a client
cannot set), a wrong password is refused and logged in one line, a client that keeps guessing waits
longer each time (`chatbot/signin.py`), and no event is callable through the API.
"""

# No `from __future__ import annotations`: Gradio reads the handlers' annotations (`gr.SelectData`).

from ..answering.render import SEPARATOR, escape
from ..errors import ChatbotError
from ..feedback.review import Choice, Review, ReviewItem
from .signin import SignIn
from .throttle import client_of

PATH = "admin"
CHOICES = {
    "Answered by a section of the guide": Choice.ANSWERED,
    "Not in the guide": Choice.NOT_IN_GUIDE,
    "Ignore": Choice.IGNORE,
}
REASONS = ("not_in_guide", "other_topic", "medical", "emergency")


def add_review_page(demo, review: Review, password: str, labels: dict[str, tuple[str, ...]]) -> None:
    """Add the `/admin` page to `demo` (outside its `with` block)."""
    import gradio as gr

    private = dict(api_visibility="private")
    sign_in_check = SignIn(password)  # wrong passwords from one client make it wait, longer each time
    with demo.route("Review", f"/{PATH}", show_in_navbar=False):
        signed_in = gr.State(False)
        items = gr.State([])
        chosen = gr.State(None)
        gr.HTML("<h1>Review questions</h1>", elem_id="admin-title")
        with gr.Column(visible=True) as login:
            secret = gr.Textbox(label="Admin password", type="password", elem_id="admin-password")
            sign_in = gr.Button("Sign in", elem_id="admin-sign-in")
            refused = gr.HTML("", elem_id="admin-refused")
        with gr.Column(visible=False) as main:
            status = gr.HTML("", elem_id="admin-status")
            timer = gr.Timer(2.0, active=False)
            overview = gr.HTML("", elem_id="admin-overview")
            table = gr.Radio([], label="Needs a decision: pick one", elem_id="admin-queue", interactive=True)
            picked = gr.HTML("<p>Pick a question in the list.</p>", elem_id="admin-picked")
            choice = gr.Radio(list(CHOICES), label="Decision", elem_id="admin-choice")
            section = gr.Dropdown(choices=list(labels), label="Answered by (or nearest) section", elem_id="admin-section")
            reason = gr.Dropdown(
                list(REASONS), value="not_in_guide", label="Reason, when not in the guide", elem_id="admin-reason"
            )
            preview = gr.HTML("", elem_id="admin-preview")
            save = gr.Button("Save", variant="primary", elem_id="admin-save")
            result = gr.HTML("", elem_id="admin-result")

        def enter(given: str, request: gr.Request):
            attempt = sign_in_check.attempt(given, client_of(request))  # logs its one line when not accepted
            if not attempt.accepted:
                alert = f"<p role='alert'>{escape(attempt.message())}</p>"
                return False, gr.skip(), gr.skip(), alert, gr.skip(), gr.skip(), [], gr.skip(), ""
            found = review.queue()
            return True, gr.update(visible=False), gr.update(visible=True), "", *_listed(found), gr.Timer(active=True), ""

        def ensure(ok: bool) -> None:
            if not ok:
                raise gr.Error("Sign in first.")

        def pick(ok: bool, found: list, evt: gr.SelectData):
            ensure(ok)
            row = evt.index
            if not isinstance(row, int) or not 0 <= row < len(found):
                return None, gr.skip(), gr.skip(), gr.skip(), gr.skip()
            item: ReviewItem = found[row]
            label = SEPARATOR.join(item.section) if item.section else None
            return (
                item,
                f"<p><strong>{escape(item.question)}</strong> — {escape(item.kind)}, asked {item.asked}×, replies now: "
                f"{escape(item.replied)}</p>",
                gr.update(value=list(CHOICES)[0] if item.section else None),
                gr.update(value=label),
                _preview(review, label, labels),
            )

        def show(ok: bool, label: str | None):
            ensure(ok)
            return _preview(review, label, labels)

        def decide(ok: bool, item: ReviewItem | None, decision: str | None, label: str | None, why: str | None):
            ensure(ok)
            if item is None or decision not in CHOICES:
                return "<p role='alert'>Pick a question and a decision first.</p>", gr.skip(), gr.skip(), gr.skip()
            try:
                done = review.decide(
                    item.question, CHOICES[decision], section=labels.get(label or "", ()), reason=why or "", voice=item.voice
                )
            except ChatbotError as exc:
                return f"<p role='alert'>{escape(str(exc))}</p>", gr.skip(), gr.skip(), gr.skip()
            found = review.queue()
            return f"<p role='status'>{escape(done.message)}</p>", *_listed(found), None

        def tick(ok: bool):
            if not ok:
                return gr.skip()
            return f"<p role='status'>Index: {escape(review.live.status().line())}</p>"

        entered = [signed_in, login, main, refused, overview, table, items, timer, secret]
        sign_in.click(enter, [secret], entered, **private)
        secret.submit(enter, [secret], entered, **private)
        table.select(pick, [signed_in, items], [chosen, picked, choice, section, preview], **private)
        section.change(show, [signed_in, section], preview, **private)
        save.click(decide, [signed_in, chosen, choice, section, reason], [result, overview, table, items, chosen], **private)
        timer.tick(tick, [signed_in], status, **private)


def _listed(found: list[ReviewItem]):
    """The overview (grouped by nearest section, with counts), the picker's choices, and the items."""
    import gradio as gr

    groups: dict[str, list[ReviewItem]] = {}
    for item in found:
        groups.setdefault(SEPARATOR.join(item.section) or "(no section near)", []).append(item)
    parts = []
    for label, members in groups.items():
        rows = "".join(
            f"<li>{escape(i.question)} <small>({escape(i.kind)}, asked {i.asked}×"
            + (f"; what was wrong: {escape(' | '.join(i.comments))}" if i.comments else "")
            + ")</small></li>"
            for i in members
        )
        parts.append(f"<h3>{escape(label)} · {sum(i.asked for i in members)} asked</h3><ul>{rows}</ul>")
    overview = "".join(parts) or "<p>Nothing needs a decision.</p>"
    choices = [(f"{i.question} — {i.kind}, asked {i.asked}×", n) for n, i in enumerate(found)]
    return overview, gr.update(choices=choices, value=None), found


def _preview(review: Review, label: str | None, labels: dict[str, tuple[str, ...]]) -> str:
    path = labels.get(label or "")
    if path is None:
        return ""
    text = escape(review.live.section_text(path))
    return f"<div class='section-view'><p><strong>{escape(label)}</strong></p><p>{text}</p></div>"
