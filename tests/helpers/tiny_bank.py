"""A question bank for the tiny corpus (tests/helpers/tiny_corpus.py), in two voices."""

from __future__ import annotations

import json
from pathlib import Path

PAY, TRAINING = "Parcel Sorter Pay", "Bike Mechanic Training"
BANK = [
    {"section": PAY, "subsection": None, "question": "how much do sorters earn", "answered": True},
    {"section": PAY, "subsection": None, "question": "pay for parcel sorting", "answered": True},
    {"section": TRAINING, "subsection": None, "question": "how do bike mechanics learn", "answered": True},
    {"section": TRAINING, "subsection": None, "question": "bike repair course", "answered": True},
    {
        "section": None,
        "subsection": None,
        "question": "what is the capital of France",
        "answered": False,
        "reason": "other_topic",
    },
    {"section": None, "subsection": None, "question": "who won the game last night", "answered": False, "reason": "other_topic"},
]
NEW_LINE = {"section": TRAINING, "subsection": None, "question": "bike shop jobs", "answered": True}


def write_bank(corpus: Path, lines: list[dict]) -> None:
    voices = ["plain", "casual"]
    text = "".join(json.dumps({**line, "voice": voices[i % 2]}) + "\n" for i, line in enumerate(lines))
    (corpus / "alpha.questions.jsonl").write_text(text, encoding="utf-8")
