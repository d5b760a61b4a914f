"""Labeled conversations beside the guide (`<guide>.conversations.jsonl`): which earlier turn a
message leans on, the data the follow-up reader (`context.py`) is fitted on. One JSON object a line:

    {"history": ["What certifications can an MA get?", "how much do they make?"],
     "message": "how do i get the first one", "leans_on": 0, "voice": "casual",
     "section": "...", "subsection": null, "answered": true}

`leans_on` is the index in `history` (oldest first) of the turn the message depends on, or null
when it stands alone. `section`, `subsection` and `answered` describe the message read in context
(kept for measuring; the fit reads only the turns)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from ..jsonl import read_jsonl
from .bank import VOICES

SUFFIX = ".conversations.jsonl"
FIELDS = frozenset({"history", "message", "leans_on", "voice", "section", "subsection", "answered"})


class ConversationError(CorpusError):
    """A conversation line is malformed."""


@dataclass(frozen=True)
class Conversation:
    history: tuple[str, ...]
    message: str
    leans_on: int | None
    voice: str


def conversation_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        return []
    return sorted(p for p in corpus_dir.iterdir() if p.name.endswith(SUFFIX) and not p.name.startswith("."))


def load_conversations(corpus_dir: str | Path) -> list[Conversation]:
    """Every conversation file's lines, checked; one ConversationError naming file:line."""
    return [
        _parse(data, where)
        for path in conversation_files(Path(corpus_dir))
        for where, data in read_jsonl(path, ConversationError)
    ]


def _parse(data: object, where: str) -> Conversation:
    if not isinstance(data, dict):
        raise ConversationError(f"{where}: not a JSON object; each line of a conversation file is one")
    if unknown := sorted(set(data) - FIELDS):
        raise ConversationError(f"{where}: unknown field {unknown[0]!r}; fields are {', '.join(sorted(FIELDS))}")
    history, message, leans_on = data.get("history"), data.get("message"), data.get("leans_on")
    if not isinstance(history, list) or not history or not all(isinstance(t, str) and t.strip() for t in history):
        raise ConversationError(f'{where}: "history" must be a non-empty list of earlier messages')
    if not isinstance(message, str) or not message.strip():
        raise ConversationError(f'{where}: "message" must be a non-empty string')
    if leans_on is not None and (isinstance(leans_on, bool) or not isinstance(leans_on, int) or not 0 <= leans_on < len(history)):
        raise ConversationError(f'{where}: "leans_on" must be null or the index of a turn in "history"')
    voice = data.get("voice") or ""
    if voice not in VOICES:
        raise ConversationError(f'{where}: "voice" must be one of {", ".join(VOICES)}')
    return Conversation(tuple(history), message, leans_on, voice)
