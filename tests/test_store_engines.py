"""The feedback store's database: an old SQLite file upgraded in place, a PostgreSQL server shared
by replicas, stopped and started again while questions keep coming."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text

from chatbot.answering.answer import ANSWERED, NOT_IN_GUIDE, Answer
from chatbot.cli.commands import main
from chatbot.errors import ChatbotError
from chatbot.feedback import database
from chatbot.feedback.outage import Outage
from chatbot.feedback.store import FeedbackStore, read_log, summarize

# The schema before versions: questions and votes without comments (the first release).
FIRST_SCHEMA = """
CREATE TABLE questions (id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, channel TEXT NOT NULL,
    question TEXT NOT NULL, interpreted_as TEXT NOT NULL, in_scope INTEGER NOT NULL, reason TEXT NOT NULL,
    answer TEXT NOT NULL, sections TEXT NOT NULL);
CREATE TABLE votes (question_id INTEGER PRIMARY KEY REFERENCES questions(id), voted_at TEXT NOT NULL, liked INTEGER NOT NULL);
CREATE INDEX questions_declined ON questions(in_scope, reason);
"""
# The schema just before versions: comments, and the review page's audit table it created itself.
UNVERSIONED_SCHEMA = FIRST_SCHEMA.replace(
    "liked INTEGER NOT NULL)", "liked INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '')"
) + (
    "CREATE TABLE decisions (id INTEGER PRIMARY KEY, decided_at TEXT NOT NULL, question TEXT NOT NULL,"
    " choice TEXT NOT NULL, section TEXT NOT NULL, reason TEXT NOT NULL, replied_before TEXT NOT NULL);"
)


def answered(question: str) -> Answer:
    return Answer(question=question, answer="They earn $38,270.", in_scope=True, reason=ANSWERED)


def declined(question: str) -> Answer:
    return Answer(question=question, answer="The guide doesn't cover this.", in_scope=False, reason=NOT_IN_GUIDE)


def rows(target, sql: str) -> list[tuple]:
    engine = create_engine(database.locate(target).url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


def old_file(path, schema: str, extra: str = "") -> None:
    """A feedback file as an older version wrote it: 30 questions (ids with a gap), 12 votes."""
    db = sqlite3.connect(path)
    db.executescript(schema)
    db.executemany(
        "INSERT INTO questions VALUES (?, ?, 'chat', ?, ?, ?, ?, 'a', '[]')",
        [
            (
                n if n < 20 else n + 5,
                f"2026-01-{1 + n % 28:02d}T10:00:00",
                f"q{n}",
                f"q{n}",
                n % 2,
                ["not_in_guide", "answered"][n % 2],
            )
            for n in range(1, 31)
        ],
    )
    db.executemany(
        "INSERT INTO votes (question_id, voted_at, liked) VALUES (?, '2026-01-02', ?)", [(n, n % 3 == 0) for n in range(1, 13)]
    )
    db.executescript(extra)
    db.commit()
    db.close()


def test_a_file_from_the_first_release_is_upgraded_in_place_and_keeps_every_row(tmp_path):
    path = tmp_path / "old.sqlite3"
    old_file(path, FIRST_SCHEMA)
    questions_before = rows(path, "SELECT * FROM questions ORDER BY id")
    votes_before = rows(path, "SELECT * FROM votes ORDER BY question_id")
    logged_before = read_log(path)  # read-only: the old file is read as it is

    store = FeedbackStore(path)
    new = store.log_question(declined("a new question"), channel="api")
    store.vote(3, False, "wrong section")
    store.record_decision(question="q1", choice="ignore", section="", reason="", replied_before="not_in_guide")
    store.close()

    assert rows(path, "SELECT version FROM schema_version") == [(len(database.STEPS),)]
    assert rows(path, "SELECT * FROM questions WHERE id != :new ORDER BY id".replace(":new", str(new))) == questions_before
    assert rows(path, "SELECT question_id, voted_at, liked FROM votes WHERE question_id != 3 ORDER BY question_id") == [
        v for v in votes_before if v[0] != 3
    ]
    assert rows(path, "SELECT comment FROM votes WHERE question_id = 3") == [("wrong section",)]
    assert new == 35 + 1  # after the largest old id
    unchanged = [r for r in read_log(path) if r.question not in ("q3", "a new question")]
    assert unchanged == [r for r in logged_before if r.question != "q3"] and len(unchanged) == 29
    assert rows(path, "SELECT question, choice FROM decisions") == [("q1", "ignore")]


def test_a_file_from_just_before_versions_keeps_its_decisions(tmp_path):
    path = tmp_path / "old.sqlite3"
    audit = "INSERT INTO decisions VALUES (1, '2026-02-01', 'q2', 'answered', 'Pay', '', 'not_in_guide');"
    old_file(path, UNVERSIONED_SCHEMA, audit)
    store = FeedbackStore(path)
    assert store.decided_questions() == ["q2"]
    store.close()
    assert summarize(path).questions == 30 and rows(path, "SELECT version FROM schema_version") == [(len(database.STEPS),)]


def test_opening_an_up_to_date_database_again_changes_nothing(feedback_target):
    first = FeedbackStore(feedback_target)
    first.vote(first.log_question(answered("pay?"), channel="chat"), True)
    first.close()
    again = FeedbackStore(feedback_target)
    again.close()
    assert rows(feedback_target, "SELECT version FROM schema_version") == [(len(database.STEPS),)]
    assert (summarize(feedback_target).questions, summarize(feedback_target).likes) == (1, 1)


def test_replicas_starting_together_on_an_empty_server_create_the_tables_once(postgres):
    url = postgres.url()
    stores, errors = [], []

    def open_one() -> None:
        try:
            stores.append(FeedbackStore(url))
        except ChatbotError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [store.log_question(answered(f"pay {n}?"), channel="chat") for n, store in enumerate(stores)]
    for store in stores:
        store.close()
    assert errors == [] and len(set(ids)) == 4
    assert summarize(url).questions == 4 and rows(url, "SELECT version FROM schema_version") == [(len(database.STEPS),)]


def warnings(caplog, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and words in r.getMessage()]


def wait_for(condition, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_a_server_stopped_mid_run_loses_nothing_and_says_so_once(postgres, caplog):
    url = postgres.url()
    store = FeedbackStore(url)
    before = [store.log_question(answered(f"before {n}"), channel="chat") for n in range(3)]
    assert store.flush()
    postgres.stop()
    try:
        during = [store.log_question(declined(f"during {n}"), channel="api") for n in range(20)]
        store.vote(during[4], False, "asked while the database was down")
        store.vote(before[0], True)
        assert wait_for(lambda: warnings(caplog, "cannot write to"))
        assert not store.ping() and store.waiting > 0
        more = [store.log_question(declined(f"still down {n}"), channel="api") for n in range(5)]
    finally:
        postgres.start()
    assert store.flush(timeout=60) and store.ping()
    store.close()
    assert all(isinstance(i, int) for i in before + during + more) and len(set(before + during + more)) == 28
    summary = summarize(url)
    assert (summary.questions, summary.declined, summary.likes, summary.dislikes, store.lost) == (28, 25, 1, 1, 0)
    assert summary.disliked[0]["question"] == "during 4" and summary.disliked[0]["comment"] == "asked while the database was down"
    assert len(warnings(caplog, "cannot write to")) == 1 and len(warnings(caplog, "writable again")) == 1
    assert warnings(caplog, "writable again")[0].endswith("every waiting row kept") and not warnings(caplog, "lost")
    assert "chatbot@" in warnings(caplog, "cannot write to")[0]  # names the server


def test_rows_waiting_longer_than_the_retry_window_are_dropped_and_counted_in_one_line(postgres, caplog):
    url = postgres.url()
    store = FeedbackStore(url, retry_seconds=0.5)
    postgres.stop()
    try:
        for n in range(5):
            store.log_question(declined(f"lost {n}"), channel="api")
        assert wait_for(lambda: store.lost == 5)
    finally:
        postgres.start()
    store.log_question(declined("after"), channel="api")
    assert store.flush(timeout=60)
    store.close()
    assert [q.question for q in read_log(url)] == ["after"]
    assert warnings(caplog, "lost") == [warnings(caplog, "writable again")[0]]
    assert warnings(caplog, "lost")[0].endswith("; 5 rows lost meanwhile")


def test_an_outage_is_logged_at_most_once_a_minute():
    clock = [0.0]
    outage = Outage("postgresql://chatbot@db/feedback", 120, every=60, clock=lambda: clock[0])
    said = []
    outage._say = lambda line: (said.append((clock[0], line)), setattr(outage, "said", clock[0]))
    error = RuntimeError("connection refused")
    for moment in (0, 1, 30, 59.9, 60, 61, 119, 121):
        clock[0] = moment
        outage.failed(error, waiting=7)
        if moment == 61:
            outage.dropped(3)
    clock[0] = 130
    outage.over()
    assert [when for when, _ in said] == [0, 60, 121, 130]
    assert said[0][1].startswith("feedback: cannot write to postgresql://chatbot@db/feedback (connection refused)")
    assert said[2][1].endswith("7 rows waiting; 3 rows lost (waited over 120 s)")
    assert said[3][1] == "feedback: postgresql://chatbot@db/feedback is writable again after 130.0 s; 3 rows lost meanwhile"


def test_a_server_that_cannot_be_reached_is_one_clear_line_without_the_password(tmp_path, postgres):
    url = f"postgresql://chatbot:s3cret@/nothing?host={tmp_path}&port={postgres.port}"  # no server on that socket
    with pytest.raises(ChatbotError, match=r"^cannot open the feedback database postgresql://chatbot:\*\*\*@/nothing") as opened:
        FeedbackStore(url)
    with pytest.raises(ChatbotError, match=r"^cannot read the feedback database postgresql://chatbot:\*\*\*@") as read:
        summarize(url)
    assert "s3cret" not in str(opened.value) + str(read.value) and "\n" not in str(opened.value)


@pytest.mark.parametrize("url", ["mysql://db/feedback", "sqlite:///feedback.sqlite3"])
def test_a_url_of_another_kind_is_refused(url):
    with pytest.raises(ChatbotError, match="must be a file path or a postgresql:// URL"):
        FeedbackStore(url)


def test_the_report_reads_a_server_named_in_the_environment(postgres, monkeypatch, capsys):
    url = postgres.url().replace("chatbot@", "chatbot:s3cret@")  # trust authentication: the password is not checked
    store = FeedbackStore(url)
    store.vote(store.log_question(answered("pay in Texas?"), channel="chat"), False, "national figure")
    store.close()
    monkeypatch.setenv("CHATBOT_FEEDBACK_DB", url)
    assert main(["feedback", "--index", "no-index"]) == 0
    out = capsys.readouterr().out
    assert "1 questions (1 answered, 0 declined)" in out and "wrong:  national figure" in out
    assert "s3cret" not in out and "postgresql://chatbot:***@" in out


def test_questions_from_several_replicas_are_read_in_the_order_they_were_asked(feedback_target):
    first, second = FeedbackStore(feedback_target), FeedbackStore(feedback_target)
    for n, store in enumerate((first, second, first, second)):
        store.log_question(answered(f"question {n}"), channel="chat")
        time.sleep(0.005)  # distinct times (to the millisecond) for the order to be checked
    first.close()
    second.close()
    assert [q.question for q in read_log(feedback_target)] == [f"question {n}" for n in range(4)]
