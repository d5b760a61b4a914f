"""The feedback store: questions and votes logged safely from many threads, summarised for
maintainers, on a SQLite file and on a PostgreSQL server alike (`feedback_target`)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from chatbot.answering.answer import ANSWERED, GREETING, MEDICAL_ADVICE, NOT_IN_GUIDE, Answer, Citation
from chatbot.cli.commands import main
from chatbot.errors import ChatbotError
from chatbot.feedback import writer
from chatbot.feedback.database import locate
from chatbot.feedback.store import FeedbackStore, format_summary, summarize
from chatbot.guide.chunking import Passage

SALARY = Passage(7, "Guide", "guide.md", ("Career Outlook", "Salary Range"), "MAs earn $38,270.", 0, ("MAs earn $38,270.",))


def answered(question: str) -> Answer:
    return Answer(
        question=question, answer="MAs earn $38,270. [1]", in_scope=True, reason=ANSWERED, citations=(Citation(1, SALARY),)
    )


def declined(question: str, reason: str = NOT_IN_GUIDE) -> Answer:
    return Answer(question=question, answer="The guide doesn't cover this.", in_scope=False, reason=reason)


@pytest.fixture()
def store(feedback_target):
    store = FeedbackStore(feedback_target)
    yield store
    store.close()


def rows(target, sql: str) -> list[tuple]:
    """Rows of a query on a feedback database, read directly (not through the code under test)."""
    engine = create_engine(locate(target).url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def test_questions_and_votes_are_stored_with_answer_and_cited_sections(store):
    qid = store.log_question(answered("How much do MAs earn?"), channel="chat")
    store.vote(qid, False)
    store.flush()
    [row] = rows(
        store.path,
        "SELECT q.channel, q.question, q.in_scope, q.reason, q.answer, q.sections, v.liked "
        "FROM questions q JOIN votes v ON v.question_id = q.id",
    )
    assert row == ("chat", "How much do MAs earn?", 1, ANSWERED, "MAs earn $38,270. [1]", '["Career Outlook › Salary Range"]', 0)


def test_summary_ranks_declined_questions_and_lists_disliked_answers(store):
    for question in ("What is the capital of France?", "what is the capital of france? ", "What is the capital of France?"):
        store.log_question(declined(question), channel="chat")
    store.log_question(declined("Should I take my pills?", MEDICAL_ADVICE), channel="api")
    store.log_question(declined("hi", GREETING), channel="chat")
    liked = store.log_question(answered("How much do MAs earn?"), channel="chat")
    disliked = store.log_question(answered("pay in Texas?"), channel="chat")
    store.vote(liked, True)
    store.vote(disliked, True)
    store.vote(disliked, False)  # changed their mind: one vote per answer, the latest counts

    store.flush()
    summary = summarize(store.path)
    assert (summary.questions, summary.answered, summary.declined) == (7, 2, 4)
    assert (summary.likes, summary.dislikes) == (1, 1)
    assert [(r["question"], r["reason"], r["count"]) for r in summary.top_declined] == [
        ("what is the capital of france?", NOT_IN_GUIDE, 3),
        ("should i take my pills?", MEDICAL_ADVICE, 1),
    ]
    assert [(r["question"], r["sections"]) for r in summary.disliked] == [("pay in Texas?", ["Career Outlook › Salary Range"])]
    text = format_summary(summary)
    assert "7 questions (2 answered, 4 declined)" in text
    assert "   3  not_in_guide    what is the capital of france?" in text
    assert "pay in Texas?" in text and "cited:  Career Outlook › Salary Range" in text


def test_writes_from_many_threads_are_all_kept(store):
    def ask(n: int) -> None:
        for i in range(40):
            qid = store.log_question(answered(f"question {n}-{i}"), channel="api")
            store.vote(qid, i % 2 == 0)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.flush()
    summary = summarize(store.path)
    assert (summary.questions, summary.likes, summary.dislikes) == (320, 160, 160)


def test_odd_text_is_stored_without_failing(store):
    question = "what\x00 is\ud800 a CMA? " + "x" * 50_000
    qid = store.log_question(declined(question), channel="api")
    assert qid is not None
    store.flush()
    [(stored,)] = rows(store.path, "SELECT question FROM questions")
    assert stored.startswith("what is\ufffd a CMA?") and len(stored) == 2000


def test_writes_after_close_are_dropped_with_a_warning(store, caplog):
    store.close()
    assert store.log_question(answered("late"), channel="chat") is None
    assert "feedback not saved" in caplog.text


def test_an_unusable_path_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ChatbotError, match="cannot open the feedback file .*--feedback-db"):
        FeedbackStore(blocker / "feedback.sqlite3")


def test_cli_prints_the_summary_as_text_and_json(store, capsys):
    store.log_question(declined("What is the capital of France?"), channel="chat")
    store.vote(store.log_question(answered("pay?"), channel="chat"), False)

    store.flush()
    assert main(["feedback", "--feedback-db", str(store.path)]) == 0
    text = capsys.readouterr().out
    assert "Most-asked declined questions:" in text and "what is the capital of france?" in text

    assert main(["feedback", "--feedback-db", str(store.path), "--json", "--limit", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 2 and data["dislikes"] == 1
    assert data["top_declined"][0]["question"] == "what is the capital of france?"
    assert data["disliked"][0]["question"] == "pay?"


def test_cli_on_a_missing_file_says_so_and_creates_nothing(tmp_path, capsys, monkeypatch):
    path = tmp_path / "none.sqlite3"
    monkeypatch.setenv("CHATBOT_FEEDBACK_DB", str(path))
    assert main(["feedback"]) == 0
    assert f"No questions recorded yet in {path}" in capsys.readouterr().out
    assert not path.exists()


def test_a_dislike_keeps_what_was_wrong_and_the_summary_shows_it(store):
    qid = store.log_question(answered("pay in Texas?"), channel="chat")
    store.vote(qid, False, "It gave the national figure,\n not Texas " + "x" * 900)
    store.flush()
    summary = summarize(store.path)
    comment = summary.disliked[0]["comment"]
    assert comment.startswith("It gave the national figure, not Texas x") and len(comment) == 500
    assert "wrong:  It gave the national figure" in format_summary(summary)
    store.vote(qid, False)  # a later vote without words replaces the earlier comment
    store.flush()
    assert summarize(store.path).disliked[0]["comment"] == ""


def test_a_feedback_file_from_before_comments_is_upgraded_and_still_summarised(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE questions (id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, channel TEXT NOT NULL,"
        " question TEXT NOT NULL, interpreted_as TEXT NOT NULL, in_scope INTEGER NOT NULL, reason TEXT NOT NULL,"
        " answer TEXT NOT NULL, sections TEXT NOT NULL);"
        "CREATE TABLE votes (question_id INTEGER PRIMARY KEY, voted_at TEXT NOT NULL, liked INTEGER NOT NULL);"
        "INSERT INTO questions VALUES (1, '2026-01-01', 'chat', 'q', 'q', 1, 'answered', 'a', '[]');"
        "INSERT INTO votes VALUES (1, '2026-01-01', 0);"
    )
    db.commit()
    db.close()
    assert summarize(path).disliked[0]["comment"] == ""  # read-only: the old file is read as it is
    store = FeedbackStore(path)
    store.vote(1, False, "wrong section")
    store.close()
    assert summarize(path).disliked[0]["comment"] == "wrong section"


@pytest.fixture()
def quick_retry(monkeypatch):
    """One try at the file's lock waits 0.1 s instead of 1 s (as many tries, in less time)."""
    monkeypatch.setattr(writer, "BUSY_SECONDS", 0.1)


def hold_lock(path) -> sqlite3.Connection:
    """Another process's writer: a connection holding the file's write lock until it commits."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def test_a_lock_held_past_the_timeout_delays_no_question_and_loses_no_row(tmp_path, quick_retry, caplog):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    holder = hold_lock(store.path)
    ids = [store.log_question(answered(f"pay {n}?"), channel="api") for n in range(5)]
    store.vote(ids[2], False, "too vague")  # a vote on a question not yet written
    time.sleep(0.5)  # the writer tries (and waits 0.1 s for the lock) several times meanwhile
    assert holder.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 0
    holder.execute("COMMIT")
    holder.close()
    assert store.flush()
    summary = summarize(store.path)
    assert ids == list(range(1, 6)) and store.lost == 0 and "lost" not in caplog.text
    assert (summary.questions, summary.dislikes) == (5, 1)
    assert summary.disliked[0]["question"] == "pay 2?" and summary.disliked[0]["comment"] == "too vague"
    store.close()


def test_a_feedback_file_deleted_while_serving_is_recreated_and_keeps_later_rows(tmp_path, caplog):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.log_question(answered("before"), channel="chat")
    assert store.flush()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store.path}{suffix}").unlink(missing_ok=True)
    qid = store.log_question(answered("after"), channel="chat")
    store.vote(qid, True)
    store.log_question(declined("What is the capital of France?"), channel="api")
    assert store.flush()
    summary = summarize(store.path)
    assert (summary.questions, summary.likes, summary.declined) == (2, 1, 1)
    assert "was removed while serving; recreating it" in caplog.text and store.lost == 0
    store.close()


def test_close_writes_what_is_queued(tmp_path, quick_retry):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    holder = hold_lock(store.path)
    for n in range(50):
        store.vote(store.log_question(answered(f"q{n}"), channel="chat"), n % 2 == 0)
    releaser = threading.Timer(0.3, lambda: (holder.execute("COMMIT"), holder.close()))
    releaser.start()
    store.close(timeout=30)  # waits for the lock to go, then writes all 100 rows
    releaser.join()
    summary = summarize(store.path)
    assert (summary.questions, summary.likes, summary.dislikes, store.lost) == (50, 25, 25, 0)


def test_rows_still_locked_at_close_are_lost_in_one_counted_line(tmp_path, quick_retry, caplog):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    holder = hold_lock(store.path)
    for n in range(5):
        store.log_question(answered(f"q{n}"), channel="chat")
    store.close(timeout=0.3)
    holder.execute("COMMIT")
    holder.close()
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert store.lost == 5 and len(lost) == 1 and lost[0].startswith("feedback: 5 rows lost")
    assert summarize(store.path).questions == 0


def test_two_stores_on_one_database_never_share_an_id_and_keep_each_vote_on_its_own_question(feedback_target):
    first, second = FeedbackStore(feedback_target), FeedbackStore(feedback_target)  # two replicas
    one = first.log_question(answered("first's question"), channel="chat")
    two = second.log_question(answered("second's question"), channel="chat")
    assert one != two
    second.vote(two, False)
    assert second.flush()
    first.vote(two, False, "voted through the other replica")  # a later vote, from a browser routed elsewhere
    second.vote(one, True)
    first.close()
    second.close()
    summary = summarize(feedback_target)
    assert summary.questions == 2 and summary.likes == 1
    assert [(r["question"], r["comment"]) for r in summary.disliked] == [("second's question", "voted through the other replica")]
