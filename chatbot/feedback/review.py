"""The content owner's review: what needs a decision (thumbs-down answers, declined questions, close
calls), and a decision turned into a bank line, an audit row and a live rebuild.

The page is `chatbot/web/review_page.py`; this module is plain Python, testable without a browser.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..answering.live import LiveAssistant
from ..errors import ChatbotError
from ..guide.bank_edit import add_questions
from ..guide.reasons import BANK_REASONS
from .store import FeedbackStore, read_log
from .suggest import candidates, guess_voice
from .triage import locate

log = logging.getLogger(__name__)

# An answer whose decision score clears the threshold by less than this is a close call worth a
# look. Presentation only: it picks what the review lists, never what the assistant answers.
CLOSE_CALL = 0.05
RECENT = 500  # logged questions read for close calls (the newest)
QUEUE = 200  # items listed at most


class Choice(StrEnum):
    """What the owner decides for a question."""

    ANSWERED = "answered"  # a section of the guide answers it
    NOT_IN_GUIDE = "not_answered"  # the guide does not answer it (with a reason)
    IGNORE = "ignore"  # nothing to learn from it; it leaves the list


@dataclass(frozen=True)
class ReviewItem:
    """A question that needs a decision."""

    question: str
    kind: str  # "thumbs down", "declined" or "close call"
    section: tuple[str, ...]  # the nearest part of the guide today; () when none is near
    asked: int
    comments: tuple[str, ...]
    replied: str  # what the assistant does with it now (a Reason)
    voice: str


@dataclass(frozen=True)
class Decided:
    """The outcome of a decision: what was written, and that a rebuild started."""

    message: str
    bank_line: dict | None


class Review:
    """The review list and decisions over a live assistant, its corpus folder and feedback store
    (the questions asked, and the audit of decisions)."""

    def __init__(self, live: LiveAssistant, store: FeedbackStore) -> None:
        self.live = live
        self.store = store
        self.corpus_dir = live.settings.corpus_dir

    def queue(self, limit: int = QUEUE) -> list[ReviewItem]:
        """What needs a decision, grouped by nearest section (the busiest first), most asked first."""
        assistant = self.live.assistant
        rows = read_log(self.store.path)
        done = {q.casefold() for q in self.decided()} | {q.question.casefold() for q in assistant.index.bank.questions}
        reader = assistant.reader
        found = candidates(rows, lambda q: locate(assistant, q), reader=reader, known=done, limit=limit)
        items = [
            ReviewItem(
                c.question,
                "thumbs down" if c.thumbs_down else "declined",
                c.location.section,
                c.asked,
                c.comments,
                str(c.location.reply),
                c.voice,
            )
            for c in found
        ]
        listed = {i.question.casefold() for i in items} | done
        items += self._close_calls(rows[-RECENT:], listed, reader)
        sizes = Counter(i.section for i in items)
        return sorted(items, key=lambda i: (-sizes[i.section], i.section, -i.asked))[:limit]

    def decide(
        self, question: str, choice: Choice, *, section: Sequence[str] = (), reason: str = "not_in_guide", voice: str = ""
    ) -> Decided:
        """Record the owner's decision: a bank line (appended atomically and validated like the
        bank), an audit row, and a live rebuild for a bank line. ChatbotError for a bad choice."""
        question = " ".join(question.split())
        if not question:
            raise ChatbotError("no question to decide")
        before = str(self.live.ask(question).reason)
        line = None
        if choice is Choice.ANSWERED:
            if not section:
                raise ChatbotError("pick the section that answers the question")
            line = _line(question, section, voice, answered=True)
        elif choice is Choice.NOT_IN_GUIDE:
            if reason not in BANK_REASONS:
                raise ChatbotError(f"the reason must be one of {', '.join(BANK_REASONS)}")
            line = _line(question, section if reason == "not_in_guide" else (), voice, answered=False, reason=reason)
        if line is not None:
            self._append(line)
        self._audit(question, choice, tuple(section), reason if choice is Choice.NOT_IN_GUIDE else "", before)
        if line is None:
            return Decided("Ignored: it leaves the list.", None)
        self.live.rebuild()
        return Decided("Added to the question bank; the index is rebuilding and goes live in a few seconds.", line)

    def decided(self) -> list[str]:
        """Every question decided so far (from the audit rows)."""
        return self.store.decided_questions()

    def _close_calls(self, rows, listed: set[str], reader) -> list[ReviewItem]:
        asked = Counter(" ".join((r.interpreted_as or r.question).split()) for r in rows if r.in_scope and r.liked is None)
        out = []
        for question, count in asked.most_common():
            if question.casefold() in listed:
                continue
            answer = self.live.ask(question)
            decision = answer.decision
            if answer.in_scope and decision is not None and decision.score - decision.threshold < CLOSE_CALL:
                section = answer.citations[0].passage.section if answer.citations else ()
                voice = guess_voice(question, reader)
                out.append(ReviewItem(question, "close call", section, count, (), str(answer.reason), voice))
        return out

    def _append(self, line: dict) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        try:
            add_questions(self.corpus_dir, handle.name)
        finally:
            Path(handle.name).unlink(missing_ok=True)

    def _audit(self, question: str, choice: Choice, section: tuple[str, ...], reason: str, before: str) -> None:
        self.store.record_decision(
            question=question, choice=str(choice), section=" › ".join(section), reason=reason, replied_before=before
        )
        log.info("review: %r decided %s %s", question[:80], choice, " › ".join(section))


def _line(question: str, section: Sequence[str], voice: str, *, answered: bool, reason: str = "") -> dict:
    line: dict = {
        "section": section[0] if section else None,
        "subsection": section[1] if len(section) > 1 else None,
        "question": question,
        "answered": answered,
        "voice": voice or "plain",
    }
    if not answered:
        line["reason"] = reason
    return line
