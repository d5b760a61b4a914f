"""The question bank: labeled questions beside the guide that say which part answers what.

A bank file sits in the corpus folder and is named after its guide with `.questions.jsonl`
(`medical-assistant-guide.questions.jsonl`). One JSON object a line:

    {"section": "Career Outlook and Salary in the U.S.", "subsection": "Salary Range",
     "question": "how much do MAs make?", "answered": true, "voice": "casual"}

`answered: false` lines carry a `reason` (`not_in_guide`, `other_topic`, `medical`, `emergency`);
their section, when given, is the part of the guide the question seems to be about (a near miss),
and their optional `missing` lists the words of the question naming what the guide does not cover
(`"missing": ["ambulance"]`): the labels the missing-term model (`terms.py`) is fitted on.

A line `{"housekeeping": "<a sentence of the guide, verbatim>"}` marks a sentence that is the
article's housekeeping (an advertisement, a call to action, a remark about the article itself): it is
never quoted as an answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from ..jsonl import read_jsonl
from .reasons import BANK_REASONS, Reason

SUFFIX = ".questions.jsonl"
MARK = "housekeeping"
VOICES = ("plain", "indirect", "casual", "typo", "keywords")
MAX_QUESTION_CHARS = 500
FIELDS = frozenset({"section", "subsection", "question", "answered", "reason", "voice", "missing"})


class BankError(CorpusError):
    """A bank line is malformed or names a part of the guide that does not exist."""


@dataclass(frozen=True)
class BankQuestion:
    """One labeled question: the part of the guide it is about, and whether that part answers it."""

    question: str
    reason: Reason  # ANSWERED, or why the guide does not answer
    section: tuple[str, ...] = ()  # the guide's heading path; () for a general question
    voice: str = ""
    source: str = ""  # "file:line", for messages
    missing: tuple[str, ...] = ()  # words of the question naming what the guide does not cover

    @property
    def answered(self) -> bool:
        return self.reason is Reason.ANSWERED

    def to_dict(self) -> dict:
        out: dict = {
            "section": self.section[0] if self.section else None,
            "subsection": self.section[1] if len(self.section) > 1 else None,
            "question": self.question,
            "answered": self.answered,
        }
        if not self.answered:
            out["reason"] = next(name for name, reason in BANK_REASONS.items() if reason is self.reason)
        if self.voice:
            out["voice"] = self.voice
        if self.missing:
            out["missing"] = list(self.missing)
        return out

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "") -> BankQuestion:
        """A question from one parsed line; BankError naming `source` when a field is wrong."""
        return _parse(data, source)


def bank_files(corpus_dir: Path) -> list[Path]:
    """The bank files of a corpus folder, sorted, hidden files skipped."""
    if not corpus_dir.is_dir():
        return []
    return sorted(p for p in corpus_dir.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))


def load_bank(corpus_dir: str | Path, sections: Iterable[tuple[str, ...]]) -> list[BankQuestion]:
    """Every bank file's questions, checked against the guide's section paths (`sections`)."""
    known = {path[:n] for path in sections for n in range(1, len(path) + 1)}
    questions: list[BankQuestion] = []
    for path in bank_files(Path(corpus_dir)):
        questions.extend(read_bank(path, known))
    check_repeats(questions)
    return questions


def read_bank(path: Path, sections: set[tuple[str, ...]]) -> list[BankQuestion]:
    """One bank file's questions; one BankError naming file:line for the first bad line."""
    return check_lines(((where, data) for where, data in read_jsonl(path, BankError) if not _is_mark(data)), sections)


def load_marks(corpus_dir: str | Path) -> list[tuple[str, str]]:
    """Every bank file's housekeeping marks, as ("file:line", sentence)."""
    marks = []
    for path in bank_files(Path(corpus_dir)):
        for where, data in read_jsonl(path, BankError):
            if _is_mark(data):
                if set(data) != {MARK} or not isinstance(data[MARK], str) or not data[MARK].strip():
                    raise BankError(f'{where}: a housekeeping line holds only "{MARK}": a sentence of the guide')
                marks.append((where, " ".join(data[MARK].split())))
    return marks


def _is_mark(data: object) -> bool:
    return isinstance(data, dict) and MARK in data


def check_lines(lines: Iterable[tuple[str, object]], sections: set[tuple[str, ...]]) -> list[BankQuestion]:
    """Parsed lines ("file:line", value) as questions, each checked against the guide's section
    paths (`sections`); one BankError naming file:line for the first bad line."""
    out = []
    for where, data in lines:
        question = _parse(data, where)
        if question.section and question.section not in sections:
            raise BankError(
                f"{where}: the guide has no section {' › '.join(question.section)!r}; "
                "use a heading exactly as the guide writes it"
            )
        out.append(question)
    return out


def _parse(data: object, where: str) -> BankQuestion:
    if not isinstance(data, dict):
        raise BankError(f"{where}: not a JSON object; each line of a question bank is one")
    if unknown := sorted(set(data) - FIELDS):
        raise BankError(f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(sorted(FIELDS))}")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip() or len(question) > MAX_QUESTION_CHARS:
        raise BankError(f'{where}: "question" must be a non-empty string of at most {MAX_QUESTION_CHARS} characters')
    answered = data.get("answered")
    if not isinstance(answered, bool):
        raise BankError(f'{where}: "answered" must be true or false')
    section, subsection = data.get("section"), data.get("subsection")
    if not isinstance(section, (str, type(None))) or not isinstance(subsection, (str, type(None))):
        raise BankError(f'{where}: "section" and "subsection" must be strings or null')
    if subsection is not None and section is None:
        raise BankError(f'{where}: a "subsection" needs its "section"')
    if answered and section is None:
        raise BankError(f'{where}: an answered question needs the "section" that answers it')
    reason = data.get("reason")
    if answered and reason is not None:
        raise BankError(f'{where}: an answered question has no "reason"')
    if not answered and reason not in BANK_REASONS:
        raise BankError(f'{where}: "reason" must be one of {", ".join(BANK_REASONS)} when "answered" is false')
    voice = data.get("voice") or ""
    if voice and voice not in VOICES:
        raise BankError(f'{where}: "voice" must be one of {", ".join(VOICES)}')
    missing = data.get("missing") or []
    if not isinstance(missing, list) or not all(isinstance(m, str) and m.strip() for m in missing):
        raise BankError(f'{where}: "missing" must be a list of words of the question')
    if missing and answered:
        raise BankError(f'{where}: an answered question has no "missing" words')
    if absent := [m for m in missing if m.casefold() not in question.casefold()]:
        raise BankError(f'{where}: "missing" word {absent[0]!r} is not in the question; copy it from the question')
    path = tuple(s for s in (section, subsection) if s is not None)
    reason_ = Reason.ANSWERED if answered else BANK_REASONS[reason]
    return BankQuestion(" ".join(question.split()), reason_, path, voice, where, tuple(missing))


def check_repeats(questions: list[BankQuestion]) -> None:
    """The same question twice is an error: with one label it counts double, with two it contradicts."""
    seen: dict[str, BankQuestion] = {}
    for question in questions:
        key = question.question.casefold()
        if key in seen:
            raise BankError(f"{question.source}: repeats the question of {seen[key].source}; keep one")
        seen[key] = question
