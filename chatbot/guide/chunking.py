"""Cut documents into section-aware passages, and passages into sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .corpus import Document

CHUNKER_VERSION = "2"
MAX_PASSAGE_CHARS = 900

_BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")
_ABBREVIATIONS = ("U.S.", "i.e.", "e.g.", "vs.", "Dr.", "Mr.", "Mrs.", "Ms.", "etc.", "St.", "No.")
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"”’)]?)\s+(?=[\"“(‘]?[A-Z0-9$])")


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: text under one heading path, never spanning two sub-sections."""

    id: int
    title: str
    source: str
    section: tuple[str, ...]
    text: str
    position: int
    sentences: tuple[str, ...]

    @property
    def heading(self) -> str:
        """The section path as shown to people: "Section › Sub-section"."""
        return " › ".join(self.section)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "section": list(self.section),
            "text": self.text,
            "position": self.position,
            "sentences": list(self.sentences),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Passage:
        return cls(
            id=int(data["id"]),
            title=str(data["title"]),
            source=str(data["source"]),
            section=tuple(data["section"]),
            text=str(data["text"]),
            position=int(data["position"]),
            sentences=tuple(data["sentences"]),
        )


def chunk_documents(documents: Iterable[Document], *, max_chars: int = MAX_PASSAGE_CHARS) -> list[Passage]:
    """Every document's sections as passages, numbered in corpus order."""
    passages: list[Passage] = []
    for document in documents:
        position = 0
        for section in document.sections:
            for lines in _split_lines(section.lines, max_chars):
                passages.append(
                    Passage(
                        id=len(passages),
                        title=document.title,
                        source=document.source,
                        section=section.path,
                        text="\n".join(lines),
                        position=position,
                        sentences=tuple(s for line in lines for s in split_sentences(line)),
                    )
                )
                position += 1
    return passages


def _split_lines(lines: tuple[str, ...], max_chars: int) -> Iterable[list[str]]:
    """Group a section's lines into pieces of at most `max_chars`, keeping a list with its lead-in."""
    piece: list[str] = []
    size = 0
    for line in lines:
        joins_list = bool(_BULLET.match(line)) or (piece and piece[-1].endswith(":"))
        if piece and size + len(line) > max_chars and not joins_list:
            yield piece
            piece, size = [], 0
        piece.append(line)
        size += len(line) + 1
    if piece:
        yield piece


def split_sentences(line: str) -> list[str]:
    """A bullet line is one sentence; prose is split after . ! ? except after abbreviations."""
    if _BULLET.match(line):
        return [_BULLET.sub("", line).strip()]
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        before = line[start : match.start()]
        if before.endswith(_ABBREVIATIONS):
            continue
        sentences.append(line[start : match.end(1)].strip())
        start = match.end()
    sentences.append(line[start:].strip())
    return [s for s in sentences if s]


def list_units(passage: Passage) -> list[str]:
    """Each list of the passage with its lead-in line, as one text ("The most recognized … are: A; B").

    A list is one idea: embedded whole it matches "which X are there?" better than any one item.
    """
    return [f"{lead_in} " + "; ".join(items) for lead_in, items in lists(passage)]


def bullet_runs(passage: Passage) -> list[tuple[str, list[str]]]:
    """Every run of bullet lines of the passage with the line before it when that line introduces
    it (ends with ":"), else ""; what an answer shows as a list."""
    found: list[tuple[str, list[str]]] = []
    lines = passage.text.split("\n")
    for i, line in enumerate(lines):
        if not _BULLET.match(line) or (i and _BULLET.match(lines[i - 1])):
            continue
        items = []
        for following in lines[i:]:
            if not _BULLET.match(following):
                break
            items.append(_BULLET.sub("", following).strip())
        lead_in = lines[i - 1] if i and lines[i - 1].endswith(":") else ""
        found.append((lead_in, items))
    return found


def lists(passage: Passage) -> list[tuple[str, list[str]]]:
    """Each bulleted list of the passage: its lead-in line (ending with ":") and its items."""
    found: list[tuple[str, list[str]]] = []
    lines = passage.text.split("\n")
    for i, line in enumerate(lines):
        if not line.endswith(":") or _BULLET.match(line):
            continue
        items = []
        for following in lines[i + 1 :]:
            if not _BULLET.match(following):
                break
            items.append(_BULLET.sub("", following).strip())
        if items:
            found.append((line, items))
    return found
