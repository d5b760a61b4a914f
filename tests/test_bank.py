"""The question bank: validation (one clear error naming file:line), and its place in the index."""

from __future__ import annotations

import json

import pytest

from chatbot.guide.bank import BankError, BankQuestion, load_bank
from chatbot.guide.reasons import Reason

SECTIONS = {("Pay",), ("Pay", "Hourly"), ("Training",)}
GOOD = [
    {"section": "Pay", "subsection": "Hourly", "question": "what do they earn an hour?", "answered": True, "voice": "casual"},
    {
        "section": "Pay",
        "subsection": "Hourly",
        "question": "do they get a pension?",
        "answered": False,
        "reason": "not_in_guide",
        "voice": "plain",
    },
    {"section": None, "subsection": None, "question": "is 140/90 high?", "answered": False, "reason": "medical"},
]


def write(folder, rows, name="guide.questions.jsonl"):
    folder.mkdir(exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_a_good_bank_loads_with_typed_reasons(tmp_path):
    bank = load_bank(write(tmp_path / "c", GOOD), SECTIONS)
    assert [q.reason for q in bank] == [Reason.ANSWERED, Reason.NOT_IN_GUIDE, Reason.MEDICAL]
    assert bank[0].section == ("Pay", "Hourly") and bank[2].section == ()
    assert bank[0].answered and not bank[1].answered
    assert [BankQuestion.from_dict(q.to_dict()) for q in bank] == [
        BankQuestion(q.question, q.reason, q.section, q.voice) for q in bank
    ]


@pytest.mark.parametrize(
    "bad, message",
    [
        ("{not json", "not a JSON object"),
        ('["a list"]', "not a JSON object"),
        ({"section": "Pay", "question": "q?", "answered": "yes"}, '"answered" must be true or false'),
        ({"section": "Pay", "question": "", "answered": True}, '"question" must be a non-empty string'),
        ({"section": None, "question": "q?", "answered": True}, 'needs the "section"'),
        ({"section": "Pay", "question": "q?", "answered": False}, '"reason" must be one of'),
        ({"section": "Pay", "question": "q?", "answered": False, "reason": "boring"}, '"reason" must be one of'),
        ({"section": "Pay", "question": "q?", "answered": True, "reason": "medical"}, 'has no "reason"'),
        ({"section": "Pay", "subsection": "Yearly", "question": "q?", "answered": True}, "no section 'Pay › Yearly'"),
        ({"section": "Wages", "question": "q?", "answered": True}, "no section 'Wages'"),
        ({"subsection": "Hourly", "question": "q?", "answered": True}, 'needs its "section"'),
        ({"section": "Pay", "question": "q?", "answered": True, "voice": "shouty"}, '"voice" must be one of'),
        ({"section": "Pay", "question": "q?", "answered": True, "colour": "red"}, "unknown field 'colour'"),
    ],
)
def test_a_bad_line_is_one_error_naming_file_and_line(tmp_path, bad, message):
    folder = write(tmp_path / "c", [GOOD[0], bad])
    with pytest.raises(BankError) as error:
        load_bank(folder, SECTIONS)
    assert "guide.questions.jsonl:2" in str(error.value) and message in str(error.value)


def test_a_repeated_question_is_an_error_naming_both_lines(tmp_path):
    repeat = dict(GOOD[1], question="What do they  EARN an hour?")
    with pytest.raises(BankError, match=r"guide.questions.jsonl:4: repeats the question of \S*guide.questions.jsonl:1;"):
        load_bank(write(tmp_path / "c", GOOD + [repeat]), SECTIONS)


def test_the_shipped_bank_is_valid_and_covers_every_part_of_the_guide():
    from collections import Counter

    from chatbot.guide.chunking import chunk_documents
    from chatbot.guide.corpus import load_corpus
    from conftest import ROOT

    passages = chunk_documents(load_corpus(ROOT / "corpus"))
    parts = {p.section for p in passages}
    bank = load_bank(ROOT / "corpus", parts)
    answered = Counter(q.section for q in bank if q.answered)
    near_misses = Counter(q.section for q in bank if q.reason is Reason.NOT_IN_GUIDE and q.section)
    assert {part: answered[part] for part in parts if answered[part] < 10} == {}
    assert {part: near_misses[part] for part in parts if len(part) == 2 and near_misses[part] < 4} == {}
    assert sum(1 for q in bank if not q.section) >= 40
    assert {q.reason for q in bank if not q.section} >= {Reason.MEDICAL, Reason.EMERGENCY, Reason.OTHER_TOPIC}


def test_the_index_records_the_bank_and_reembeds_only_what_changed(tiny_settings):
    from chatbot.index.build import build_index
    from chatbot.index.load import load_index

    bank = tiny_settings.corpus_dir / "alpha.questions.jsonl"
    rows = [
        {"section": "Parcel Sorter Pay", "question": "what do sorters earn?", "answered": True, "voice": "plain"},
        {"section": "Bike Mechanic Training", "question": "do mechanics fix gears?", "answered": True, "voice": "casual"},
        {"section": None, "question": "what is the weather like?", "answered": False, "reason": "other_topic", "voice": "plain"},
    ]
    write(tiny_settings.corpus_dir, rows, bank.name)
    first = build_index(tiny_settings)
    index = load_index(tiny_settings)
    assert "alpha.questions.jsonl" in index.manifest.corpus
    assert [q.question for q in index.bank.questions] == [r["question"] for r in rows]
    assert index.bank.vectors.shape == (3, index.manifest.dimension)
    assert index.manifest.tuning["fitted_on"]

    write(tiny_settings.corpus_dir, rows + [dict(rows[2], question="who won the game?")], bank.name)
    second = build_index(tiny_settings)
    assert first.embedded > 3 and second.built and second.embedded == 1
    assert len(load_index(tiny_settings).bank.questions) == 4


def test_a_bad_bank_stops_the_build_with_its_line(tiny_settings):
    from chatbot.index.build import build_index

    write(tiny_settings.corpus_dir, [{"section": "Nowhere", "question": "q?", "answered": True}], "alpha.questions.jsonl")
    with pytest.raises(BankError, match=r"alpha.questions.jsonl:1: the guide has no section 'Nowhere'"):
        build_index(tiny_settings)
