"""Private questions: personal details scrubbed before a question is stored (the answer still
computed from the text as typed), and questions older than the retention period purged by the
store's writer and by `feedback --purge`, on both engines."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from chatbot.answering.answer import ANSWERED, Answer
from chatbot.feedback import database as db
from chatbot.feedback.privacy import scrub, scrubbed
from chatbot.feedback.retention import Retention, cutoff
from chatbot.feedback.store import FeedbackStore, read_log
from chatbot.web.app import ChatApp
from helpers.cli import cli_env, run_cli

SCRUBBED = [
    ("write to jane.doe+ma@mail.example.co.uk please", "write to [email] please"),
    ("my number is (555) 123-4567", "my number is [phone]"),
    ("555.123.4567, +44 20 7946 0958 or +1-555-123-4567", "[phone], [phone] or [phone]"),
    ("call 555-1234 after 5", "call [phone] after 5"),
    ("my ssn is 123-45-6789", "my ssn is [number]"),
    ("member id 123456789", "member id [number]"),
    ("card 4111 1111 1111 1111 expired", "card [number] expired"),
    ("5551234567", "[phone]"),
    # what the guide's questions need, and which names no one, is left alone
    ("my BP was 173/91, is that bad?", "my BP was 173/91, is that bad?"),
    ("do MAs earn $38,270 in 2024 with 20 hours a week", "do MAs earn $38,270 in 2024 with 20 hours a week"),
    ("programs from 2019-2024 take 10-12 months and 1,200 hours", "programs from 2019-2024 take 10-12 months and 1,200 hours"),
    ("jobs in zip 90210 starting 2023-09-15", "jobs in zip 90210 starting 2023-09-15"),
    ("is the CMA (AAMA) exam 200 questions?", "is the CMA (AAMA) exam 200 questions?"),
]
PRIVATE = "how much do sorters earn? I am jane@example.org, 555-867-5309, member 123456789"


@pytest.mark.parametrize(("typed", "stored"), SCRUBBED)
def test_personal_details_are_replaced_by_placeholders(typed, stored):
    assert scrub(typed) == stored


def test_a_cut_never_leaves_part_of_an_address_unscrubbed():
    typed = "x" * 1990 + " jane.doe@example.org and 555-867-5309"
    assert scrubbed(typed, 2000) == "x" * 1990 + " [email] a"  # scrubbed, then cut to 2,000
    assert typed[:2000].endswith("jane.doe@") and scrub(typed[:2000]).endswith("jane.doe@")  # what cutting first would keep


def test_a_question_is_stored_scrubbed_and_answered_as_typed(tiny_index, feedback_target):
    from chatbot.answering.assistant import Assistant

    assistant = Assistant.load(tiny_index)
    store = FeedbackStore(feedback_target)
    answer, _ = ChatApp(assistant, store).answer(PRIVATE, channel="v1")
    store.close()
    assert answer == assistant.ask(PRIVATE)  # computed from the original text
    assert answer.reason == "answered" and "jane@example.org" in answer.question
    [row] = read_log(feedback_target)
    assert row.question == "how much do sorters earn? I am [email], [phone], member [number]"
    assert "jane" not in row.interpreted_as and "5309" not in row.interpreted_as


def test_a_comment_is_stored_scrubbed(feedback_target):
    store = FeedbackStore(feedback_target)
    question_id = store.log_question(Answer(question="pay?", answer="$38,270", in_scope=True, reason=ANSWERED), channel="chat")
    store.vote(question_id, False, "wrong, mail me at joe@example.com")
    store.close()
    [row] = read_log(feedback_target)
    assert row.comment == "wrong, mail me at [email]"


def old_rows(target, ages_days: list[float]) -> None:
    """Questions asked `ages_days` ago, each with a vote, written directly."""
    store = FeedbackStore(target)
    store.close()
    engine = db.connect(db.locate(target), busy_seconds=5)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        for number, age in enumerate(ages_days, 1):
            asked = (now - timedelta(days=age)).isoformat(timespec="milliseconds")
            connection.execute(
                db.questions.insert().values(
                    id=number * 1000,
                    asked_at=asked,
                    channel="chat",
                    question=f"q{age}",
                    interpreted_as=f"q{age}",
                    in_scope=1,
                    reason="answered",
                    answer="a",
                    sections="[]",
                )
            )
            connection.execute(db.votes.insert().values(question_id=number * 1000, voted_at=asked, liked=1, comment=""))
    engine.dispose()


def kept(target) -> tuple[list[str], int]:
    engine = db.connect_read_only(db.locate(target))
    with engine.connect() as connection:
        questions = list(connection.execute(select(db.questions.c.question).order_by(db.questions.c.id)).scalars())
        votes = len(connection.execute(select(db.votes.c.question_id)).all())
    engine.dispose()
    return questions, votes


def test_the_writer_purges_questions_older_than_the_retention_period(feedback_target, caplog):
    caplog.set_level(logging.INFO, logger="chatbot.feedback.retention")
    old_rows(feedback_target, [400, 181, 179, 1])
    store = FeedbackStore(feedback_target, retention_days=180)
    store.log_question(Answer(question="new", answer="a", in_scope=True, reason=ANSWERED), channel="chat")
    store.close()
    assert kept(feedback_target) == (["q179", "q1", "new"], 2)  # the new question has no vote
    lines = [r.getMessage() for r in caplog.records if "purged" in r.getMessage()]
    assert len(lines) == 1 and lines[0].startswith("feedback: purged 2 questions and 2 votes older than 180 days from ")


def test_the_writer_purges_again_once_the_period_is_due():
    now = [0.0]
    retention = Retention(180, every=3600, clock=lambda: now[0])
    calls = []
    import chatbot.feedback.retention as module

    real, module.purge_now = module.purge_now, lambda engine, days, where: calls.append(days)
    try:
        retention.maybe(None, "db")
        now[0] = 3599
        retention.maybe(None, "db")
        now[0] = 3600
        retention.maybe(None, "db")
    finally:
        module.purge_now = real
    assert calls == [180, 180]


@pytest.mark.server
def test_feedback_purge_deletes_old_questions_now(feedback_target):
    old_rows(feedback_target, [40, 20])
    done = run_cli("feedback", "--purge", "--retention-days", "30", "--feedback-db", feedback_target, env=cli_env())
    assert done.returncode == 0, done.stderr
    line = f"feedback: purged 1 questions and 1 votes older than 30 days from {_shown(feedback_target)}"
    assert done.stdout.splitlines() == [line]
    assert kept(feedback_target) == (["q20"], 1)


@pytest.mark.server
def test_feedback_purge_creates_no_file(tmp_path):
    done = run_cli("feedback", "--purge", "--feedback-db", tmp_path / "none.sqlite3")
    assert done.returncode == 1 and done.stderr.startswith("error: no feedback file at ")
    assert not (tmp_path / "none.sqlite3").exists()


def test_the_cutoff_is_written_as_the_store_writes_times():
    now = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert cutoff(180, now) == "2026-06-08T08:00:00.000+00:00"


def _shown(target) -> str:
    return str(db.locate(target))
