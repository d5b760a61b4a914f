"""What a question asks for and what a sentence holds, read from word tables (no model)."""

from __future__ import annotations

import pytest

from chatbot.answering.question_kinds import (
    Figure,
    asks_list,
    asks_ranking,
    asks_reasons,
    asks_rules,
    continues,
    counted,
    figure_asked,
    holds_figure,
    is_comparison,
    is_numeric,
    label_of,
    makes_ranking,
    quotable,
)


@pytest.mark.parametrize(
    "question, figure",
    [
        ("What percentage of MAs are certified?", Figure.PERCENT),
        ("how many percent more do they make", Figure.PERCENT),
        ("How long is an MA program?", Figure.DURATION),
        ("how many months does training take", Figure.DURATION),
        ("How much do medical assistants earn?", Figure.AMOUNT),
        ("how much does the CMA exam cost", Figure.AMOUNT),
        ("how much money will I make", Figure.AMOUNT),
        ("How many certifications are there?", Figure.COUNT),
        ("What affects how much they earn?", None),  # reasons, not a figure
        ("Why do some MAs earn more?", None),
        ("how much empathy does the job need", None),  # "how much" without an amount word
        ("What does a medical assistant do?", None),
    ],
)
def test_the_kind_of_figure_a_question_asks_for(question, figure):
    assert figure_asked(question) is figure


@pytest.mark.parametrize(
    "figure, text, holds",
    [
        (Figure.PERCENT, "jobs to grow by 14% from 2022 to 2032", True),
        (Figure.PERCENT, "growth is much faster than average", False),
        (Figure.DURATION, "programs usually take 9 months to 2 years", True),
        (Figure.DURATION, "programs take months", False),
        (Figure.AMOUNT, "about $38,270 in 2022", True),
        (Figure.AMOUNT, "pay is often higher", False),
        (Figure.COUNT, "two certifications", True),
        (Figure.COUNT, "one of the most recognized", False),
    ],
)
def test_what_kind_of_figure_a_sentence_holds(figure, text, holds):
    assert holds_figure(figure, text) is holds


@pytest.mark.parametrize(
    "question, expected",
    [
        ("CMA or RMA, which one is better?", True),
        ("which certification is more respected", True),
        ("Is a hospital job better than a clinic job?", True),
        ("should I get the CMA or the RMA", True),
        ("What is the best way to learn medical terms?", False),
        ("Which certifications can I get?", False),
        ("should I get certified?", False),
    ],
)
def test_questions_asking_to_rank_options(question, expected):
    assert asks_ranking(question) is expected


def test_question_and_sentence_words():
    assert counted("How many certifications are there for MAs?") == ("certifications", "are", "there")
    assert counted("What certifications are there?") == ()
    assert asks_reasons("What factors affect salary?") and asks_reasons("it depends on what?")
    assert not asks_reasons("How much do MAs make?")
    assert is_numeric("whats the avg salary") and is_numeric("pay in 2022") and not is_numeric("What does an MA do?")
    assert not is_numeric("What determines pay?")  # reasons
    assert (
        is_comparison("MA vs. CNA")
        and is_comparison("how do nurses differ from MAs")
        and is_comparison("is an MA closer to a nurse")
    )
    assert not is_comparison("What does an MA do?")
    assert makes_ranking("certified medical assistants often have better job security") and not makes_ranking("CMA and RMA")
    assert label_of("Nurses: Provide direct patient care.") == "Nurses"
    assert label_of("Physician Assistants (PAs): Diagnose, prescribe.") == "Physician Assistants (PAs)"
    assert label_of("The most recognized certifications are:") is None and label_of("note: lower case") is None
    assert continues("They shorten wait times.") and continues("Their primary focus is…") and not continues("Nurses do.")


@pytest.mark.parametrize(
    "question, rules",
    [
        ("Are MAs allowed to give shots in Texas?", True),
        ("Is certification required in Florida?", True),
        ("do you need a license in Ohio", True),
        ("what is the scope of practice in Utah", True),
        ("How much do MAs make in Texas?", False),
        ("can an MA become a lawyer", False),
    ],
)
def test_questions_about_a_states_rules(question, rules):
    assert asks_rules(question) is rules


@pytest.mark.parametrize(
    "question, listed",
    [
        ("What are the duties of a medical assistant?", True),
        ("which certifications can I get", True),
        ("list the skills an MA needs", True),
        ("what tasks do MAs do at the front desk", True),
        ("How much do medical assistants earn?", False),
        ("Is certification required?", False),
    ],
)
def test_questions_answered_by_a_list(question, listed):
    assert asks_list(question) is listed


@pytest.mark.parametrize(
    "sentence, ok",
    [
        ("This raises a common question: What does a medical assistant really do?", False),
        ("Their everyday clinical duties include:", False),
        ("Medical assistant programs usually take 9 months to 2 years.", True),
        ("We will need more MAs as the population ages.", True),
    ],
)
def test_rhetorical_questions_and_lead_ins_are_not_quotable(sentence, ok):
    assert quotable(sentence) is ok
