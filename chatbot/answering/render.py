"""HTML for the chat window: every piece of user and guide text is escaped, never interpreted.

Each message is one line of HTML inside a single <div>, so the chat window's Markdown step
treats it as a raw HTML block and leaves `*`, `#`, `[x](y)` and `$$` in user text alone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

from ..guide.query import MAX_QUESTION_CHARS
from ..guide.reasons import Reason
from ..guide.text import clean
from .answer import ANSWERED, NOT_IN_GUIDE, PARTIAL, Answer, blocks

SEPARATOR = " › "
OTHER_LANGUAGE = Reason.OTHER_LANGUAGE
_USER_OPEN = '<div class="user-text">'
_USER_CLOSE = "</div>"
READ_AS_CHARS = 300  # a longer reading is not repeated back
SHOWN_START = 200  # characters shown of a long message's start
_MORE = re.compile(r'<span class="more">.*?</span>')
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def plain(text: str) -> str:
    """Text safe to store and send: lone surrogates replaced, control characters dropped."""
    text = _SURROGATE.sub("\ufffd", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def escape(text: str) -> str:
    """`text` as HTML text: no tags, no entities, no Markdown."""
    return html.escape(plain(text), quote=True).replace("\n", "<br>")


def attribute(text: str) -> str:
    """`text` as an HTML attribute value, its line breaks as character references (a message stays
    one line of HTML)."""
    return html.escape(plain(text), quote=True).replace("\n", "&#10;")


def user_html(message: str) -> str:
    """A user's message as they typed it; of a long one its start and its end (where the question
    usually is, and the part that was read), the middle only counted."""
    text = plain(message).strip()
    if len(text) <= MAX_QUESTION_CHARS + SHOWN_START:
        return f"{_USER_OPEN}{escape(text)}{_USER_CLOSE}"
    start, end = text[:SHOWN_START], text[-MAX_QUESTION_CHARS:]
    left_out = len(text) - SHOWN_START - MAX_QUESTION_CHARS
    more = f'<span class="more"> … ({left_out:,} more characters not shown) … </span>'
    return f"{_USER_OPEN}{escape(start)}{more}{escape(end)}{_USER_CLOSE}"


def user_text(content: object) -> str:
    """The text of a user message in the chat history, whatever shape Gradio gives it."""
    if isinstance(content, list):
        return " ".join(user_text(part) for part in content if not isinstance(part, dict) or part.get("type", "text") == "text")
    if isinstance(content, dict):
        return user_text(content.get("text", ""))
    if not isinstance(content, str):
        return ""
    if content.startswith(_USER_OPEN) and content.endswith(_USER_CLOSE):
        inner = _MORE.sub("", content[len(_USER_OPEN) : -len(_USER_CLOSE)])
        return html.unescape(inner.replace("<br>", "\n"))
    return content


def earlier_questions(history: Sequence[dict]) -> list[str]:
    """The user's questions in a Gradio messages-format history, oldest first."""
    questions = []
    for message in history or ():
        if isinstance(message, dict) and message.get("role") == "user":
            text = user_text(message.get("content", ""))
            if text.strip():
                questions.append(text)
    return questions


WholeSection = Callable[[tuple[str, ...], Sequence[str]], str]  # (section path, quoted sentences) -> its HTML


def answer_html(answer: Answer, whole_section: WholeSection | None = None) -> str:
    """The reply: notices, the answer (sentences with [n] buttons, the guide's lists as lists), then
    one numbered card per source; a decline names at most two near sections, each one click away.

    `whole_section(path, quoted)` gives a section's full HTML, carried hidden by the button that
    opens it: the page script shows it in place on a phone and beside the chat on a wide screen."""
    parts = [f'<div class="reply-card {escape(answer.reason)}">']
    if answer.notice:
        parts.append(f'<p class="notice">{escape(answer.notice)}</p>')
    if read_as := interpreted(answer):
        parts.append(f'<p class="read-as">Read as: “{escape(read_as)}”</p>')
    if answer.reason in (ANSWERED, PARTIAL) and answer.quotes:
        if answer.caveat:
            parts.append(
                f'<p class="caveat" role="note"><strong>Partly covered.</strong> {escape(answer.caveat)} '
                "Here is what it says nearby:</p>"
            )
        parts.append(f'<div class="reply">{_reply_html(answer)}</div>')
        parts.append(_cards_html(answer, whole_section))
        parts.append(
            f'<div class="actions"><button type="button" class="copy-answer" value="{attribute(copy_text(answer))}">'
            "Copy answer</button></div>"
        )
    else:
        parts.append(f'<p class="reply">{escape(answer.answer)}</p>')
        if answer.reason in (NOT_IN_GUIDE, OTHER_LANGUAGE) and answer.suggestions:
            items = "".join(f"<li>{_open_button(s, whole_section, label=SEPARATOR.join(s))}</li>" for s in answer.suggestions)
            parts.append(f'<div class="near"><p>Nearby in the guide:</p><ul>{items}</ul></div>')
    parts.append("</div>")
    return "".join(parts)


def copy_text(answer: Answer) -> str:
    """What the copy button puts on the clipboard: the answer and its numbered sources, as text."""
    sources = "\n".join(f"[{c.marker}] {c.heading}" for c in answer.citations)
    return f"{answer.answer}\n\nSources (Medical Assistant Career Guide):\n{sources}"


def _reply_html(answer: Answer) -> str:
    headings = {c.marker: c.heading for c in answer.citations}
    out = []
    for block in blocks(answer.quotes):
        texts = [
            (f"<strong>{escape(q.heading)}</strong>: " if q.heading else "")
            + escape(q.text)
            + (_cite_button(q.marker, headings[q.marker]) if q.cited else "")
            for q in block
        ]
        if block[0].item:
            out.append("<ul>" + "".join(f"<li>{t}</li>" for t in texts) + "</ul>")
        else:
            out.append(f"<p>{' '.join(texts)}</p>")
    return "".join(out)


def _cite_button(marker: int, heading: str) -> str:
    return f'<button type="button" class="cite" value="{marker}" title="Source {marker}: {attribute(heading)}">{marker}</button>'


def _cards_html(answer: Answer, whole_section: WholeSection | None) -> str:
    """One card per source: its number, its section path and its passage with the quoted sentences
    marked (shown short until opened)."""
    quoted: dict[int, list[str]] = {}
    for quote in answer.quotes:
        quoted.setdefault(quote.marker, []).append(quote.text)
    cards = []
    for citation in answer.citations:
        passage = citation.passage
        excerpt = passage_html(passage.text, highlights=quoted.get(citation.marker, ()))
        cards.append(
            f'<div class="source-card" tabindex="-1" role="group" title="Source {citation.marker}">'
            f'<p class="card-head"><span class="num">{citation.marker}</span> {escape(citation.heading)}</p>'
            f'<div class="excerpt">{excerpt}</div>'
            f"{_open_button(passage.section, whole_section, quoted=quoted.get(citation.marker, ()))}</div>"
        )
    return f'<div class="sources"><p class="sources-title">Sources</p>{"".join(cards)}</div>'


def _open_button(
    section: Sequence[str], whole_section: WholeSection | None, *, label: str = "", quoted: Sequence[str] = ()
) -> str:
    """A button that opens a whole section (its HTML rides along, hidden): beside the chat on a
    wide screen, in place on a phone."""
    text = escape(label) if label else "Read the whole section"
    whole = whole_section(tuple(section), quoted) if whole_section else ""
    inside = f'<div class="whole" hidden>{whole}</div>' if whole else ""
    return f'<button type="button" class="open-section" value="{attribute(SEPARATOR.join(section))}">{text}</button>{inside}'


def interpreted(answer: Answer) -> str:
    """How a message was read, when that differs from what was typed (a follow-up, a long message)."""
    typed = clean(answer.question)
    shown = answer.interpreted_as
    if not shown or shown == typed or len(shown) > READ_AS_CHARS:
        return ""
    return shown


def browse_html(sections: Sequence[Sequence[str]], whole_section: WholeSection | None = None) -> str:
    """The guide's contents grouped by part: a part with sub-sections is a disclosure of their buttons."""
    parts: dict[str, list[tuple[str, ...]]] = {}
    for section in sections:
        parts.setdefault(section[0], []).append(tuple(section))
    items = []
    for part, paths in parts.items():
        if len(paths) == 1:
            items.append(f'<li class="part">{_open_button(paths[0], whole_section, label=part)}</li>')
            continue
        buttons = "".join(f"<li>{_open_button(p, whole_section, label=p[-1] if len(p) > 1 else 'Overview')}</li>" for p in paths)
        items.append(f'<li class="part"><details><summary>{escape(part)}</summary><ul>{buttons}</ul></details></li>')
    return f'<nav class="browse" aria-label="Browse the guide"><h2>Browse the guide</h2><ul>{"".join(items)}</ul></nav>'


def passage_html(text: str, *, highlights: Iterable[str] = (), quoted: Iterable[str] = ()) -> str:
    """Guide text as paragraphs and bullet lists; `highlights` in <mark>, `quoted` in <strong>."""
    marks = [(s, "mark") for s in highlights if s] + [(s, "strong") for s in quoted if s]
    out, items = [], []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if _BULLET.match(line):
            items.append(f"<li>{_marked(_BULLET.sub('', line), marks)}</li>")
            continue
        if items:
            out.append(f"<ul>{''.join(items)}</ul>")
            items = []
        out.append(f"<p>{_marked(line, marks)}</p>")
    if items:
        out.append(f"<ul>{''.join(items)}</ul>")
    return "".join(out)


def section_html(path: Sequence[str], parts: Sequence[tuple[Sequence[str], str]], *, quoted: Iterable[str] = ()) -> str:
    """A section of the guide: its path, then each (sub-section, text) part with its heading."""
    quoted = tuple(quoted)
    body = []
    for part, text in parts:
        if tuple(part) != tuple(path):
            body.append(f"<h4>{escape(part[-1])}</h4>")
        body.append(passage_html(text, quoted=quoted))
    return f'<div class="section-view"><div class="path">{escape(SEPARATOR.join(path))}</div>{"".join(body)}</div>'


def _marked(line: str, marks: list[tuple[str, str]]) -> str:
    spans: list[tuple[int, int, str]] = []
    for sentence, tag in marks:
        start = line.find(sentence)
        if start >= 0 and not any(s < start + len(sentence) and start < e for s, e, _ in spans):
            spans.append((start, start + len(sentence), tag))
    out, position = [], 0
    for start, end, tag in sorted(spans):
        out.append(escape(line[position:start]))
        out.append(f"<{tag}>{escape(line[start:end])}</{tag}>")
        position = end
    out.append(escape(line[position:]))
    return "".join(out)
