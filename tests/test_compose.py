"""How the quoted sentences become the answer's text: markers, list items, blocks."""

from __future__ import annotations

from chatbot.answering.answer import blocks, compose
from chatbot.guide.chunking import Passage

DUTIES_TEXT = "MAs work with patients. Their duties include:\n- Taking vital signs\n- Giving injections\nThese duties help."
DUTIES = Passage(
    3,
    "Guide",
    "guide.md",
    ("Core Role", "Clinical"),
    DUTIES_TEXT,
    0,
    ("MAs work with patients.", "Their duties include:", "Taking vital signs", "Giving injections", "These duties help."),
)
PAY_TEXT = "The median is $38,270.\n- Juniors start at $30,000\n- Seniors earn $45,000"
PAY = Passage(
    7,
    "Guide",
    "guide.md",
    ("Outlook", "Salary"),
    PAY_TEXT,
    1,
    ("The median is $38,270.", "Juniors start at $30,000", "Seniors earn $45,000"),
)


def test_sentences_of_one_passage_share_one_marker_and_a_second_passage_gets_the_next():
    text, quotes, citations = compose(
        [("MAs work with patients.", DUTIES), ("These duties help.", DUTIES), ("The median is $38,270.", PAY)]
    )
    assert text == "MAs work with patients. These duties help. [1] The median is $38,270. [2]"
    assert [c.passage for c in citations] == [DUTIES, PAY]
    assert [(q.marker, q.cited, q.item) for q in quotes] == [(1, False, False), (1, True, False), (2, True, False)]


def test_items_introduced_by_their_lead_in_are_a_list_under_its_marker():
    quoted = [(s, DUTIES) for s in DUTIES.sentences[:4]]
    text, quotes, _ = compose(quoted)
    assert text == "MAs work with patients. Their duties include: [1]\n- Taking vital signs\n- Giving injections"
    assert [q.item for q in quotes] == [False, False, True, True]
    assert [len(b) for b in blocks(quotes)] == [2, 2]


def test_a_headline_figure_then_its_range_and_items_alone_carry_their_marker_at_the_end():
    text, _, _ = compose([(s, PAY) for s in PAY.sentences])
    assert text == "The median is $38,270. [1]\n- Juniors start at $30,000\n- Seniors earn $45,000"
    text, _, _ = compose([("Juniors start at $30,000", PAY), ("Seniors earn $45,000", PAY), ("MAs work with patients.", DUTIES)])
    assert text == "- Juniors start at $30,000\n- Seniors earn $45,000 [1]\nMAs work with patients. [2]"


def test_lists_of_two_passages_are_two_blocks():
    text, quotes, _ = compose([("Taking vital signs", DUTIES), ("Juniors start at $30,000", PAY)])
    assert [len(b) for b in blocks(quotes)] == [1, 1]
    assert text == "- Taking vital signs [1]\n- Juniors start at $30,000 [2]"
