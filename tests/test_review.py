"""The owner's review: the list of what needs a decision, and a decision turned into a bank line,
an audit row and a live rebuild (plain Python, over the tiny banked corpus)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from chatbot.answering.answer import Answer
from chatbot.answering.live import LiveAssistant
from chatbot.errors import ChatbotError
from chatbot.feedback.database import locate
from chatbot.feedback.review import Choice, Review
from chatbot.feedback.store import FeedbackStore
from chatbot.guide.reasons import Reason
from helpers.tiny_bank import PAY


def reply(question: str, reason: Reason) -> Answer:
    return Answer(question=question, answer="…", in_scope=reason is Reason.ANSWERED, reason=reason)


@pytest.fixture
def review_target(request, banked):
    """The feedback store's SQLite file, or a PostgreSQL database for a test parametrized with it."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return request.getfixturevalue("postgres").url()
    return banked.feedback_db


both_engines = pytest.mark.parametrize(
    "review_target", ["sqlite", pytest.param("postgresql", marks=pytest.mark.server)], indirect=True
)


@pytest.fixture
def review(banked, review_target):
    live = LiveAssistant(banked)
    store = FeedbackStore(review_target)
    declined = reply("what is a good bike to buy", Reason.NOT_IN_GUIDE)
    for _ in range(2):
        store.log_question(declined, channel="chat")
    store.vote(
        store.log_question(reply("night shift pay for sorters", Reason.ANSWERED), channel="chat"), False, "wanted the night rate"
    )
    store.log_question(reply("how much do sorters earn", Reason.NOT_IN_GUIDE), channel="api")
    assert store.flush()
    yield Review(live, store)
    store.close()


@both_engines
def test_the_list_holds_declined_and_disliked_questions_but_not_the_banks(review):
    items = {i.question: i for i in review.queue()}
    assert items["what is a good bike to buy"].kind == "declined" and items["what is a good bike to buy"].asked == 2
    assert items["night shift pay for sorters"].kind == "thumbs down"
    assert items["night shift pay for sorters"].comments == ("wanted the night rate",)
    assert "how much do sorters earn" not in items  # already a bank question


@both_engines
def test_answered_by_a_section_appends_a_bank_line_audits_it_and_goes_live(review, banked):
    bank = banked.corpus_dir / "alpha.questions.jsonl"
    lines = bank.read_text().count("\n")
    done = review.decide("what is a good bike to buy", Choice.ANSWERED, section=(PAY,), voice="plain")
    assert done.bank_line["answered"] is True and done.bank_line["section"] == PAY
    assert bank.read_text().count("\n") == lines + 1
    review.live.wait(60)
    assert "what is a good bike to buy" in [q.question for q in review.live.index.bank.questions]
    assert "what is a good bike to buy" not in [i.question for i in review.queue()]
    engine = create_engine(locate(review.store.path).url)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT question, choice, section, replied_before FROM decisions")).one()
    engine.dispose()
    assert row[:3] == ("what is a good bike to buy", "answered", PAY) and row[3]


def test_ignore_writes_no_bank_line_and_takes_the_question_off_the_list(review, banked):
    bank = banked.corpus_dir / "alpha.questions.jsonl"
    before = bank.read_bytes()
    done = review.decide("what is a good bike to buy", Choice.IGNORE)
    assert done.bank_line is None and bank.read_bytes() == before
    assert "what is a good bike to buy" not in [i.question for i in review.queue()]


@pytest.mark.parametrize(
    ("choice", "options", "message"),
    [
        (Choice.ANSWERED, {}, "pick the section"),
        (Choice.NOT_IN_GUIDE, {"reason": "boring"}, "reason must be one of"),
        (Choice.ANSWERED, {"section": ("No Such Part",)}, "no section"),
    ],
)
def test_a_bad_decision_is_one_clear_error_and_the_bank_is_unchanged(review, banked, choice, options, message):
    bank = banked.corpus_dir / "alpha.questions.jsonl"
    before = bank.read_bytes()
    with pytest.raises(ChatbotError, match=message):
        review.decide("what is a good bike to buy", choice, **options)
    assert bank.read_bytes() == before


def test_not_in_the_guide_is_a_labeled_near_miss(review, banked):
    done = review.decide("what is a good bike to buy", Choice.NOT_IN_GUIDE, section=(PAY,), reason="not_in_guide")
    assert done.bank_line == {
        "section": PAY,
        "subsection": None,
        "question": "what is a good bike to buy",
        "answered": False,
        "voice": "plain",
        "reason": "not_in_guide",
    }
    review.live.wait(60)


def test_a_label_saved_through_one_replica_is_served_by_the_other_after_one_rebuild(review, banked, monkeypatch):
    import chatbot.answering.live

    monkeypatch.setattr(chatbot.answering.live, "CHECK_EVERY", 0.0)
    other = LiveAssistant(banked)  # a second replica on the same index folder
    rebuilds = []
    other._build = lambda settings: rebuilds.append(settings)  # it must never rebuild for the label
    review.decide("what is a good bike to buy", Choice.ANSWERED, section=(PAY,), voice="plain")
    review.live.wait(60)
    other.ask("what is a good bike to buy")  # a question makes it look at CURRENT
    other.wait(60)
    assert other.status().build == review.live.status().build
    assert "what is a good bike to buy" in [q.question for q in other.index.bank.questions]
    assert rebuilds == []
