"""The guide's own words, worked out once by the build and saved beside the index (`glossary.json`):
its vocabulary (typos are corrected towards it), its topic phrase ("medical assistant") and the
U.S. states it names. Computing them reads every passage (seconds for a large corpus), so a
question never waits for it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .bank import BankError
from .places import states_named
from .query import Reader

GLOSSARY = "glossary.json"


@dataclass(frozen=True)
class Glossary:
    """What reading a question needs to know about the guide's words."""

    vocabulary: frozenset[str]
    topic: str
    states: frozenset[str]
    housekeeping: frozenset[str] = frozenset()  # sentences never quoted (the bank's marks, and those the build found)
    housekeeping_fit: dict = field(default_factory=dict)  # how the build found them (index/housekeeping.py)

    @classmethod
    def of_guide(cls, passages: Sequence, marks: Sequence[tuple[str, str]] = ()) -> Glossary:
        """The guide's words; `marks` are the bank's housekeeping marks ("file:line", sentence), each
        checked to be a sentence of the guide."""
        reader = Reader.for_guide(passages, frozenset())
        states = frozenset(states_named(" ".join(p.text for p in passages)))
        sentences = {" ".join(s.split()) for p in passages for s in p.sentences}
        for where, sentence in marks:
            if sentence not in sentences:
                raise BankError(f"{where}: the housekeeping mark is not a sentence of the guide; copy one whole sentence")
        return cls(reader.vocabulary, reader.topic, states, frozenset(sentence for _, sentence in marks))

    def reader(self, known: frozenset[str]) -> Reader:
        """A Reader for this guide; `known` holds the model's whole words (never "corrected")."""
        return Reader(self.vocabulary, known, self.topic)

    def save(self, path: Path) -> None:
        data = {
            "topic": self.topic,
            "states": sorted(self.states),
            "vocabulary": sorted(self.vocabulary),
            "housekeeping": sorted(self.housekeeping),
            "housekeeping_fit": self.housekeeping_fit,
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Glossary:
        """The glossary `save` wrote (raises OSError, ValueError or KeyError when it is unreadable)."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if not (isinstance(data["topic"], str) and isinstance(data["states"], list) and isinstance(data["vocabulary"], list)):
            raise ValueError(f"{path.name} has a field of the wrong type")
        return cls(
            frozenset(data["vocabulary"]),
            data["topic"],
            frozenset(data["states"]),
            frozenset(data["housekeeping"]),
            dict(data["housekeeping_fit"]),
        )
