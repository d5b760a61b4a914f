"""Question files: one JSON object a line with `question` and optional `history` (the eval format)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from .errors import ChatbotError


def read_questions(path: str | Path, check: Callable[[dict], str | None] | None = None) -> list[dict]:
    """Every object of a JSONL file, checked to hold a `question` string and a list-of-strings `history`;
    `check` returns what else is wrong with an object, or None."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ChatbotError(f"cannot read {path}: {exc}") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise ChatbotError(f"{path}:{number} is not a JSON object") from None
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            raise ChatbotError(f'{path}:{number} has no "question" string')
        history = item.get("history") or []
        if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
            raise ChatbotError(f'{path}:{number}: "history" must be a list of strings')
        if check is not None and (problem := check(item)):
            raise ChatbotError(f"{path}:{number}: {problem}")
        items.append(item)
    return items
