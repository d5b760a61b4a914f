"""JSON-lines files (question files, the bank): each non-blank line parsed, errors naming file:line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from .errors import ChatbotError


def read_jsonl(path: Path, error: type[ChatbotError] = ChatbotError) -> Iterator[tuple[str, object]]:
    """("file:line", value) for every non-blank line; one `error` for an unreadable file or a line
    that is not JSON."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise error(f"{path}:{number} is not a JSON object; each line holds one") from None
        yield f"{path}:{number}", value
