"""Safe upgrades: a feedback database a newer release wrote is refused with one line naming both
schema versions, and nothing is written to it (serve exits non-zero)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, update

from chatbot.answering.answer import ANSWERED, Answer
from chatbot.feedback import database as db
from chatbot.feedback.store import FeedbackStore
from helpers.serve_process import ENV, ROOT

CURRENT = len(db.STEPS)


def written_by_a_newer_release(target) -> None:
    store = FeedbackStore(target)
    store.log_question(Answer(question="pay?", answer="$38,270", in_scope=True, reason=ANSWERED), channel="chat")
    store.close()
    engine = db.connect(db.locate(target), busy_seconds=5)
    with engine.begin() as connection:
        connection.execute(update(db.schema_version).values(version=CURRENT + 1))
    engine.dispose()


def contents(target) -> tuple:
    engine = db.connect_read_only(db.locate(target))
    with engine.connect() as connection:
        found = tuple(
            tuple(tuple(row) for row in connection.execute(select(table)).all())
            for table in (db.questions, db.votes, db.decisions, db.counters, db.schema_version)
        )
    engine.dispose()
    return found


def test_a_newer_schema_is_refused_in_one_line_and_left_untouched(feedback_target):
    written_by_a_newer_release(feedback_target)
    before = contents(feedback_target)
    digest = hashlib.sha256(feedback_target.read_bytes()).hexdigest() if not isinstance(feedback_target, str) else None
    with pytest.raises(db.NewerSchema) as refused:
        FeedbackStore(feedback_target)
    message = str(refused.value)
    assert "\n" not in message
    assert f"has schema version {CURRENT + 1}, newer than this release's {CURRENT}" in message
    assert contents(feedback_target) == before  # no id block reserved, nothing upgraded
    if digest is not None:
        assert hashlib.sha256(feedback_target.read_bytes()).hexdigest() == digest


@pytest.mark.server
def test_serve_exits_non_zero_on_a_newer_schema(tiny_index, tmp_path):
    import subprocess
    import sys

    target = tmp_path / "feedback.sqlite3"
    written_by_a_newer_release(target)
    command = [sys.executable, "-m", "chatbot", "serve", "--index", str(tiny_index.index_dir), "--model", tiny_index.model]
    command += ["--corpus", str(tiny_index.corpus_dir), "--feedback-db", str(target)]
    done = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"error: the feedback file {target} has schema version {CURRENT + 1}, newer than this release's {CURRENT}: it was "
        "written by a newer release; run that release, or restore a backup made for this one (README, Backups)"
    ]
    assert "running at" not in done.stdout
