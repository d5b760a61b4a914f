"""HTML for the chat window: every piece of user and guide text is escaped, never interpreted.

Each message is one line of HTML inside a single <div>, so the chat window's Markdown step
treats it as a raw HTML block and leaves `*`, `#`, `[x](y)` and `$$` in user text alone.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable, Sequence

from .answer import ANSWERED, NOT_IN_GUIDE, Answer
from .query import MAX_QUESTION_CHARS
from .text import clean

SEPARATOR = " › "
_USER_OPEN = '<div class="user-text">'
_USER_CLOSE = "</div>"
READ_AS_CHARS = 300  # a longer reading is not repeated back
SHOWN_START = 200  # characters shown of a long message's start
_MORE = re.compile(r'<span class="more">.*?</span>')
_MARKER = re.compile(r"\[(\d+)\]")
_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


def plain(text: str) -> str:
    """Text safe to store and send: lone surrogates replaced, control characters dropped."""
    text = _SURROGATE.sub("\ufffd", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def escape(text: str) -> str:
    """`text` as HTML text: no tags, no entities, no Markdown."""
    return html.escape(plain(text), quote=True).replace("\n", "<br>")


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


def answer_html(answer: Answer) -> str:
    """The reply: notices, the cited answer, the sources it came from, and nearest sections."""
    parts = [f'<div class="reply-card {answer.reason}">']
    if answer.notice:
        parts.append(f'<p class="notice">{escape(answer.notice)}</p>')
    if read_as := interpreted(answer):
        parts.append(f'<p class="read-as">Read as: “{escape(read_as)}”</p>')
    reply = (
        _MARKER.sub(r'<sup class="cite">[\1]</sup>', escape(answer.answer))
        if answer.reason == ANSWERED
        else escape(answer.answer)
    )
    parts.append(f'<p class="reply">{reply}</p>')
    if answer.citations:
        cited = "".join(f'<li><span class="marker">[{c.marker}]</span> {escape(c.heading)}</li>' for c in answer.citations)
        parts.append(f'<ul class="cited">{cited}</ul>')
    if answer.reason == NOT_IN_GUIDE and answer.suggestions:
        items = "".join(f"<li>{escape(SEPARATOR.join(s))}</li>" for s in answer.suggestions)
        parts.append(
            f'<div class="suggest"><ul>{items}</ul><p>Open one with the buttons below, or ask again in plain English '
            "about duties, skills, training, certification, pay or work settings.</p></div>"
        )
    if answer.passages:
        parts.append(sources_html(answer))
    parts.append("</div>")
    return "".join(parts)


def interpreted(answer: Answer) -> str:
    """How a message was read, when that differs from what was typed (a follow-up, a long message)."""
    typed = clean(answer.question)
    shown = answer.interpreted_as
    if not shown or shown == typed or len(shown) > READ_AS_CHARS:
        return ""
    return shown


def sources_html(answer: Answer) -> str:
    """A collapsed "Sources" block: each passage's section path and text, matching sentences marked."""
    markers = {c.passage.id: c.marker for c in answer.citations}
    quoted: dict[int, list[str]] = {}
    for quote in answer.quotes:
        quoted.setdefault(quote.marker, []).append(quote.text)
    shown = [(hit.passage, hit.highlights) for hit in answer.passages]
    shown += [(c.passage, ()) for c in answer.citations if c.passage.id not in {p.id for p, _ in shown}]
    blocks = []
    for passage, highlights in shown:
        marker = markers.get(passage.id)
        badge = f'<span class="marker">[{marker}]</span> ' if marker else ""
        body = passage_html(passage.text, highlights=highlights, quoted=quoted.get(marker, ()))
        blocks.append(f'<div class="source"><div class="path">{badge}{escape(passage.heading)}</div>{body}</div>')
    count = "1 passage" if len(shown) == 1 else f"{len(shown)} passages"
    title = f"Sources · {count} from the guide" if answer.reason == ANSWERED else f"Closest passages in the guide · {count}"
    return f'<details class="sources"><summary>{title}</summary>{"".join(blocks)}</details>'


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
