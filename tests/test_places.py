"""Naming U.S. states in a question."""

from chatbot.guide.places import US_STATES, states_named


def test_states_are_found_in_any_case_in_order_of_mention_once_each():
    assert states_named("pay in texas vs FLORIDA, and Texas again?") == ["Texas", "Florida"]


def test_the_longest_name_wins():
    assert states_named("West Virginia or Virginia; New York; District of Columbia") == [
        "West Virginia",
        "Virginia",
        "New York",
        "District of Columbia",
    ]


def test_words_that_merely_contain_a_state_are_not_states():
    assert states_named("Utahn main Maineville texasish medical assistant") == []


def test_all_fifty_states_and_dc():
    assert len(US_STATES) == 51 and all(states_named(s) == [s] for s in US_STATES)
