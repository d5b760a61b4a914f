"""Passages and sentences: section-aware, line-bounded, lists kept with their lead-in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chatbot.guide.chunking import MAX_PASSAGE_CHARS, Passage, chunk_documents, split_sentences
from chatbot.guide.corpus import Document, Section, parse_document

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "corpus" / "medical-assistant-guide.md"
BULLET = re.compile(r"^\s*(?:[-*•–]|\d+[.)])\s+")

SENTENCE_CASES = [
    pytest.param(
        "Healthcare in the U.S. moves quickly and demands teamwork. Behind every doctor there is an MA.",
        ["Healthcare in the U.S. moves quickly and demands teamwork.", "Behind every doctor there is an MA."],
        id="U.S.-mid-sentence",
    ),
    pytest.param(
        "The U.S. Bureau of Labor Statistics (BLS) projects growth. It is fast.",
        ["The U.S. Bureau of Labor Statistics (BLS) projects growth.", "It is fast."],
        id="U.S.-before-capital",
    ),
    pytest.param(
        "They handle two types of work i.e., clinical and administrative. This balance sets them apart.",
        ["They handle two types of work i.e., clinical and administrative.", "This balance sets them apart."],
        id="i.e.,",
    ),
    pytest.param(
        "Tasks differ, e.g. Scheduling and billing. Fine.",
        ["Tasks differ, e.g. Scheduling and billing.", "Fine."],
        id="e.g.-before-capital",
    ),
    pytest.param("Compare MA vs. Nurse roles. Done.", ["Compare MA vs. Nurse roles.", "Done."], id="vs."),
    pytest.param("Ask Dr. Smith. Then go.", ["Ask Dr. Smith.", "Then go."], id="Dr."),
    pytest.param(
        "Pay was about $38,270 in 2022. $45,000 is possible.",
        ["Pay was about $38,270 in 2022.", "$45,000 is possible."],
        id="dollar-start",
    ),
    pytest.param(
        "Growth was 14% from 2022 to 2032. 2032 is far.",
        ["Growth was 14% from 2022 to 2032.", "2032 is far."],
        id="digit-start",
    ),
    pytest.param("What do they do? They help! Then they rest.", ["What do they do?", "They help!", "Then they rest."], id="?-!"),
    pytest.param('He said "Stop." Then left.', ['He said "Stop."', "Then left."], id="closing-quote-kept"),
    pytest.param("It works (really.) Next.", ["It works (really.)", "Next."], id="closing-bracket-kept"),
    pytest.param("It costs 2.5 times more. fine", ["It costs 2.5 times more. fine"], id="no-split-before-lowercase"),
    pytest.param("The pay is good... Really good.", ["The pay is good...", "Really good."], id="ellipsis"),
    pytest.param("No full stop at the end", ["No full stop at the end"], id="one-sentence"),
    pytest.param("- Scheduling patient visits", ["Scheduling patient visits"], id="dash-bullet"),
    pytest.param(
        "- Nurses: Provide direct patient care. Nurses need more schooling.",
        ["Nurses: Provide direct patient care. Nurses need more schooling."],
        id="bullet-is-one-sentence",
    ),
    pytest.param("1. Start with a program. Then certify.", ["Start with a program. Then certify."], id="numbered"),
    pytest.param("2) Earn the CMA", ["Earn the CMA"], id="numbered-paren"),
    pytest.param("• Round bullet", ["Round bullet"], id="round-bullet"),
    pytest.param("* Star bullet", ["Star bullet"], id="star-bullet"),
]


@pytest.mark.parametrize("line, sentences", SENTENCE_CASES)
def test_split_sentences(line, sentences):
    assert split_sentences(line) == sentences


def guide_lines() -> list[str]:
    document = parse_document(GUIDE.read_text(encoding="utf-8"), source=GUIDE.name)
    return [line for section in document.sections for line in section.lines]


def test_guide_sentences_rejoin_into_their_lines():
    """No character of the guide's prose is lost or moved by sentence splitting."""
    for line in guide_lines():
        sentences = split_sentences(line)
        if BULLET.match(line):
            assert sentences == [BULLET.sub("", line)]
        else:
            assert " ".join(sentences) == " ".join(line.split())


def test_guide_abbreviations_do_not_end_sentences():
    sentences = [s for line in guide_lines() for s in split_sentences(line)]
    assert not [s for s in sentences if s.endswith(("U.S.", "i.e.", "i.e.,", "vs."))]
    assert "Healthcare in the U.S. moves quickly and demands teamwork." in sentences
    assert any(
        s.startswith("Medical assistants hold a unique spot") and "i.e., clinical and administrative" in s for s in sentences
    )


def doc(source: str, *sections: tuple[tuple[str, ...], tuple[str, ...]], title: str = "Guide") -> Document:
    return Document(title=title, source=source, sections=tuple(Section(path, lines) for path, lines in sections))


def test_passages_carry_title_source_section_position_and_sentences():
    documents = [
        doc(
            "a.md", (("Intro",), ("Hello there. Welcome.",)), (("Pay", "Range"), ("It varies.", "- $30,000 to start")), title="A"
        ),
        doc("b.md", (("Hours",), ("Long days.",)), title="B"),
    ]
    assert chunk_documents(documents) == [
        Passage(0, "A", "a.md", ("Intro",), "Hello there. Welcome.", 0, ("Hello there.", "Welcome.")),
        Passage(1, "A", "a.md", ("Pay", "Range"), "It varies.\n- $30,000 to start", 1, ("It varies.", "$30,000 to start")),
        Passage(2, "B", "b.md", ("Hours",), "Long days.", 0, ("Long days.",)),
    ]


def test_passage_heading_and_dict_round_trip():
    passage = chunk_documents([doc("a.md", (("Pay", "Range"), ("It varies.",)))])[0]
    assert passage.heading == "Pay › Range"
    assert Passage.from_dict(passage.to_dict()) == passage


def test_a_passage_never_spans_two_sub_sections():
    """Tiny limit: many passages, yet each holds lines of one sub-section only, in order."""
    document = parse_document(GUIDE.read_text(encoding="utf-8"), source=GUIDE.name)
    passages = chunk_documents([document], max_chars=120)
    for section in document.sections:
        own = [p for p in passages if p.section == section.path]
        assert "\n".join(p.text for p in own) == "\n".join(section.lines)
    assert [p.position for p in passages] == list(range(len(passages)))
    assert [p.id for p in passages] == list(range(len(passages)))


SPLIT_CASES = [
    pytest.param(
        ["a" * 50, "b" * 50, "c" * 20],
        80,
        [["a" * 50], ["b" * 50, "c" * 20]],
        id="split-at-line-boundaries",
    ),
    pytest.param(
        ["a" * 50, "They include:", "- one", "- two", "- three", "After the list."],
        80,
        [["a" * 50, "They include:", "- one", "- two", "- three"], ["After the list."]],
        id="list-stays-with-lead-in-over-the-limit",
    ),
    pytest.param(
        ["a" * 70, "They include:", "- one", "- two"],
        80,
        [["a" * 70], ["They include:", "- one", "- two"]],
        id="lead-in-moves-with-its-list",
    ),
    pytest.param(
        ["Duties:", "- " + "x" * 60, "- " + "y" * 60, "- " + "z" * 60],
        80,
        [["Duties:", "- " + "x" * 60, "- " + "y" * 60, "- " + "z" * 60]],
        id="a-list-is-never-cut",
    ),
    pytest.param(["q" * 200, "short"], 80, [["q" * 200], ["short"]], id="over-long-line-stands-alone"),
]


@pytest.mark.parametrize("lines, limit, pieces", SPLIT_CASES)
def test_long_sections_split_at_line_boundaries(lines, limit, pieces):
    passages = chunk_documents([doc("a.md", (("S",), tuple(lines)))], max_chars=limit)
    assert [p.text.split("\n") for p in passages] == pieces
    assert {p.section for p in passages} == {("S",)}


def test_real_guide_passages_fit_the_limit_unless_holding_a_list():
    passages = chunk_documents([parse_document(GUIDE.read_text(encoding="utf-8"), source=GUIDE.name)])
    for passage in passages:
        assert len(passage.text) <= MAX_PASSAGE_CHARS or any(BULLET.match(line) for line in passage.text.split("\n"))
    assert all(p.sentences and p.title == "Medical assistant guide" and p.source == GUIDE.name for p in passages)
