"""The parts of a partly covered reply that need no model: how an outcome is settled, how flagged
words become phrases, the other-language check, broad answers' overviews and the new data files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chatbot.answering.answer import compose
from chatbot.answering.decision import Decision
from chatbot.answering.language import other_language
from chatbot.answering.outcome import MISSING_REPLY, UNSAID_REPLY, settle
from chatbot.answering.selection import Selection, Shortfall
from chatbot.answering.structure import overview
from chatbot.guide.bank import BankError, BankQuestion
from chatbot.guide.chunking import Passage
from chatbot.guide.conversations import ConversationError, load_conversations
from chatbot.guide.reasons import Reason
from chatbot.index.context import ContextModel
from chatbot.index.terms import FEATURES, TermModel, candidates, phrases

PART = ("Skills",)
INTRO = Passage(0, "Guide", "g.md", PART, "MAs need many skills. Here is how:", 0, ("MAs need many skills.", "Here is how:"))
TALK = Passage(1, "Guide", "g.md", (*PART, "Talking"), "- Listen well\n- Speak clearly", 1, ("Listen well", "Speak clearly"))
TERMS_ = Passage(2, "Guide", "g.md", (*PART, "Terms"), "Know medical terms. It helps.", 2, ("Know medical terms.", "It helps."))
PAY = Passage(3, "Guide", "g.md", ("Pay",), "The median is $38,270.", 3, ("The median is $38,270.",))
GUIDE = [INTRO, TALK, TERMS_, PAY]


def decision(reason: Reason) -> Decision:
    return Decision(reason, 0.0, 0.0, (), ())


def selection(quotes=(("MAs need many skills.", INTRO),), shortfall=None) -> Selection:
    return Selection(list(quotes), ranking=None, shortfall=shortfall)


@pytest.mark.parametrize(
    "reason, missing, near, shortfall, expected",
    [
        (Reason.ANSWERED, (), False, None, Reason.ANSWERED),
        (Reason.ANSWERED, ("ambulance",), False, None, Reason.PARTIAL),  # a word the guide never mentions
        (Reason.ANSWERED, (), False, Shortfall.MISSING_FIGURE, Reason.PARTIAL),
        (Reason.NOT_IN_GUIDE, ("hourly",), True, None, Reason.PARTIAL),  # a near miss naming what is missing
        (Reason.NOT_IN_GUIDE, (), True, None, Reason.NOT_IN_GUIDE),  # nothing named: a decline with near sections
        (Reason.NOT_IN_GUIDE, (), False, None, Reason.NOT_IN_GUIDE),  # nothing near: a flat decline
        (Reason.OTHER_TOPIC, (), True, None, Reason.OTHER_TOPIC),
        (Reason.OTHER_TOPIC, ("laptop",), True, None, Reason.OTHER_TOPIC),  # another topic is declined
        (Reason.MEDICAL, ("bp",), True, None, Reason.MEDICAL),
    ],
)
def test_an_outcome_is_settled_from_the_decision_the_quotes_and_the_missing_words(reason, missing, near, shortfall, expected):
    outcome = settle(decision(reason), selection(shortfall=shortfall), missing, near=near)
    assert outcome.reason is expected
    assert outcome.missing == (missing if expected is Reason.PARTIAL else ())


def test_a_partial_reply_says_first_what_the_guide_does_not_mention_in_the_questions_words():
    outcome = settle(decision(Reason.ANSWERED), selection(), ("purple ribbon", "badge"), near=True)
    assert outcome.caveat == MISSING_REPLY.format(terms="“purple ribbon” or “badge”")
    assert settle(decision(Reason.ANSWERED), selection(shortfall=Shortfall.NO_QUOTE), (), near=True).caveat == UNSAID_REPLY
    figure = settle(decision(Reason.ANSWERED), selection(shortfall=Shortfall.MISSING_FIGURE), (), near=True, figure="how long")
    assert (figure.caveat, figure.missing) == ("The guide gives no figure for “how long”.", ("how long",))


def test_nothing_to_quote_is_a_decline_even_when_the_bank_says_the_guide_answers():
    assert settle(decision(Reason.ANSWERED), selection(quotes=()), (), near=True).reason is Reason.NOT_IN_GUIDE


def test_flagged_words_are_joined_into_the_phrases_they_stand_in():
    text = "what is the purple ribbon credential and the blorbix badge"
    assert phrases(text, {"purple", "ribbon", "blorbix", "badge"}) == ("purple ribbon", "blorbix badge")
    assert phrases(text, set()) == ()


def test_candidates_are_content_words_whose_stem_the_guide_never_uses():
    guide = frozenset({"work", "hospit", "ambul"} - {"ambul"})
    assert candidates("Can MAs work in ambulances or hospitals?", guide) == ["mas", "ambulances"]


def test_an_unfitted_term_model_flags_nothing():
    model = TermModel(guide_stems=frozenset())
    assert model.missing("the blorbix badge", lambda texts: np.ones((len(texts), 4), dtype=np.float32)) == ()


def test_a_fitted_term_model_flags_words_above_its_threshold():
    vectors = {"blorbix": [1, 0], "badge": [0.6, 0.8], "the blorbix badge": [0.8, 0.6]}
    encode = lambda texts: np.array([vectors[t] for t in texts], dtype=np.float32)  # noqa: E731
    # weight only centrality (cosine with the question): blorbix 0.8, badge 0.96
    weights = tuple(10.0 if name == "centrality" else 0.0 for name in FEATURES)
    model = TermModel(coefficients=weights, intercept=-9.0, threshold=0.5, vectors=np.zeros((0, 2)))
    assert model.missing("the blorbix badge", encode) == ("badge",)


def test_a_term_model_fitted_on_other_features_is_refused_on_load(tmp_path):
    TermModel(coefficients=(1.0,) * len(FEATURES), vectors=np.zeros((1, 2))).save(tmp_path)
    data = json.loads((tmp_path / "terms.json").read_text())
    data["coefficients"] = data["coefficients"][:-1]
    (tmp_path / "terms.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="features"):
        TermModel.load(tmp_path)


@pytest.mark.parametrize(
    "text, language",
    [
        ("¿Cuánto gana un asistente médico en California?", "es"),
        ("Wie viel verdient ein medizinischer Assistent?", "de"),
        ("医疗助理的工资是多少？", "zh"),
        ("how much do MAs make in cali", None),
        ("ob gyn ma", None),  # shorthand langid alone calls Welsh
        ("ma interview questions", None),
        ("salary?", None),
    ],
)
def test_another_language_is_told_from_english_and_its_shorthand(text, language):
    assert other_language(text) == language


def test_a_broad_answer_lists_the_parts_sub_sections_with_their_first_lines():
    items = overview([("MAs need many skills.", INTRO)], GUIDE, "what skills do I need?")
    assert items == [("Listen well", TALK), ("Know medical terms.", TERMS_)]
    text, quotes, citations = compose([("MAs need many skills.", INTRO)], items)
    assert text == "MAs need many skills. [1]\n- Talking: Listen well [2]\n- Terms: Know medical terms. [3]"
    assert [q.heading for q in quotes] == ["", "Talking", "Terms"] and len(citations) == 3


@pytest.mark.parametrize(
    "quotes, question",
    [
        ([("Know medical terms.", TERMS_)], "what terms do I need?"),  # a sub-section answers: no overview
        ([("The median is $38,270.", PAY)], "what do they make?"),  # a part without sub-sections
        ([("MAs need many skills.", INTRO)], "how many skills do I need?"),  # asks for a figure
    ],
)
def test_no_overview_when_the_answer_is_not_a_parts_opening_or_a_figure_is_asked(quotes, question):
    assert overview(quotes, GUIDE, question) == []


def test_a_bank_lines_missing_words_must_come_from_the_question():
    line = {"section": "Pay", "subsection": None, "question": "what do MAs make per hour", "answered": False}
    parsed = BankQuestion.from_dict({**line, "reason": "not_in_guide", "missing": ["per hour"]})
    assert parsed.missing == ("per hour",) and parsed.to_dict()["missing"] == ["per hour"]
    with pytest.raises(BankError, match="not in the question"):
        BankQuestion.from_dict({**line, "reason": "not_in_guide", "missing": ["weekly"]})
    with pytest.raises(BankError, match="answered question has no"):
        BankQuestion.from_dict({**line, "answered": True, "missing": ["per hour"]})


def test_conversations_are_checked_line_by_line(tmp_path):
    good = {"history": ["what do MAs do?"], "message": "and in hospitals?", "leans_on": 0, "voice": "casual"}
    (tmp_path / "g.conversations.jsonl").write_text(json.dumps(good) + "\n", encoding="utf-8")
    [conversation] = load_conversations(tmp_path)
    assert (conversation.history, conversation.leans_on) == (("what do MAs do?",), 0)
    (tmp_path / "g.conversations.jsonl").write_text(json.dumps({**good, "leans_on": 1}) + "\n", encoding="utf-8")
    with pytest.raises(ConversationError, match=r"g.conversations.jsonl:1: \"leans_on\""):
        load_conversations(tmp_path)


def test_an_unfitted_context_model_reads_every_message_alone():
    assert ContextModel().leans_on("and in hospitals?", ["what do MAs do?"], lambda texts: np.eye(len(texts), 3)) is None
