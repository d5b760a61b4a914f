"""Follow-up questions offered after an answer: questions the bank says the neighbouring sections answer."""

from __future__ import annotations

from chatbot.answering.followups import follow_ups
from chatbot.guide.bank import BankQuestion
from chatbot.guide.reasons import Reason

SECTIONS = [("Intro",), ("Pay",), ("Pay", "Median"), ("Pay", "Regions"), ("Pay", "Growth"), ("Training",), ("Training", "Length")]
BANK = [
    BankQuestion("What do medical assistants earn in the middle of the range?", Reason.ANSWERED, ("Pay", "Median"), "plain"),
    BankQuestion("Which states pay more?", Reason.ANSWERED, ("Pay", "Regions"), "plain"),
    BankQuestion("Which states pay medical assistants more than others?", Reason.ANSWERED, ("Pay", "Regions"), "plain"),
    BankQuestion("wich states pay more", Reason.ANSWERED, ("Pay", "Regions"), "typo"),
    BankQuestion("Will there be more jobs?", Reason.ANSWERED, ("Pay", "Growth"), "plain"),
    BankQuestion("What is the hourly pay?", Reason.NOT_IN_GUIDE, ("Pay", "Growth"), "plain"),
    BankQuestion("How long is training?", Reason.ANSWERED, ("Training",), "plain"),
    BankQuestion("What is an MA?", Reason.ANSWERED, ("Intro",), "plain"),
]


def test_the_next_and_previous_sub_sections_come_first_then_the_next_part():
    assert follow_ups([("Pay", "Regions")], SECTIONS, BANK) == (
        "Will there be more jobs?",  # next sibling
        "What do medical assistants earn in the middle of the range?",  # previous sibling
        "How long is training?",  # the next part of the guide
    )


def test_only_plain_answered_questions_are_offered_the_shortest_of_a_section_and_never_the_one_asked():
    offered = follow_ups([("Pay", "Median")], SECTIONS, BANK, asked="which STATES pay more?")
    assert "Which states pay more?" not in offered and "Which states pay medical assistants more than others?" in offered
    assert "wich states pay more" not in offered and "What is the hourly pay?" not in offered


def test_cited_sections_are_not_offered_and_nothing_without_a_citation():
    assert "Will there be more jobs?" not in follow_ups([("Pay", "Regions"), ("Pay", "Growth")], SECTIONS, BANK)
    assert follow_ups([], SECTIONS, BANK) == ()
    assert follow_ups([("Nowhere",)], SECTIONS, BANK) == ()
