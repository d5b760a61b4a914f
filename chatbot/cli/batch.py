"""Question files: one JSON object a line with `question` and optional `history` (the eval format)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import ChatbotError
from ..jsonl import read_jsonl


def read_questions(path: str | Path, check: Callable[[dict], str | None] | None = None) -> list[dict]:
    """Every object of a JSONL file, checked to hold a `question` string and a list-of-strings `history`;
    `check` returns what else is wrong with an object, or None."""
    items = []
    for where, item in read_jsonl(Path(path)):
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise ChatbotError(f'{where} has no "question" string')
        history = item.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise ChatbotError(f'{where}: "history" must be a list of strings')
        if check is not None and (problem := check(item)):
            raise ChatbotError(f"{where}: {problem}")
        items.append(item)
    return items
