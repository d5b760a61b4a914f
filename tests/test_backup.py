"""Backups: `backup DIR` then `restore DIR` gives back every row (questions, votes, decisions, the id
counter) and the bank byte for byte, on SQLite and on PostgreSQL, taken while a server keeps
answering and logging; a damaged or newer backup and a non-empty target are refused in one line."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading

import httpx
import pytest
from sqlalchemy import select

from chatbot.answering.live import LiveAssistant
from chatbot.errors import ChatbotError
from chatbot.feedback import database as db
from chatbot.feedback.backup import backup, restore
from chatbot.feedback.store import FeedbackStore
from chatbot.web.app import ChatApp, build_app, launch
from chatbot.web.health import Health
from chatbot.web.metrics import Metrics
from chatbot.web.routes import server_routes
from helpers.app_server import free_port
from helpers.cli import assert_one_error_line, cli_env, run_cli
from helpers.tiny_bank import BANK, write_bank

QUESTION = "how much do sorters earn"
TABLES = (db.questions, db.votes, db.decisions, db.counters, db.schema_version)


def contents(target) -> dict[str, list[tuple]]:
    """Every row of every table, in key order, as the driver returns it."""
    engine = db.connect_read_only(db.locate(target))
    with engine.connect() as connection:
        found = {t.name: [tuple(r) for r in connection.execute(select(t).order_by(*t.primary_key or t.c))] for t in TABLES}
    engine.dispose()
    return found


def another_target(source, tmp_path, name: str, request):
    if isinstance(source, str):
        return request.getfixturevalue("postgres").url()
    return tmp_path / f"{name}.sqlite3"


def seeded(store: FeedbackStore, chat: ChatApp) -> None:
    """Questions (one in every shape a row takes), votes with comments, decisions."""
    for number in range(25):
        _, question_id = chat.answer(f"{QUESTION} in café nº{number} — “quoted” ✓", channel="chat")
        if number % 3:
            store.vote(question_id, number % 2 == 0, "wrong: 'x' \\ \"y\" ✗" if number % 2 else "")
    chat.answer("hello", channel="v1")
    store.record_decision(question="is CPR taught?", choice="answered", section="A › B", reason="", replied_before="x")
    store.record_decision(question="dog grooming?", choice="not_answered", section="", reason="other_topic", replied_before="y")
    assert store.flush()


@pytest.mark.server
def test_a_backup_taken_while_a_server_answers_restores_every_row_and_the_bank(tiny_index, feedback_target, tmp_path, request):
    corpus = tmp_path / "corpus-with-bank"
    shutil.copytree(tiny_index.corpus_dir, corpus)
    write_bank(corpus, BANK)
    bank = {p.name: p.read_bytes() for p in corpus.glob("*.questions.jsonl")}
    live = LiveAssistant(tiny_index)
    store = FeedbackStore(feedback_target)
    metrics = Metrics()
    chat = ChatApp(live, store, metrics)
    seeded(store, chat)
    demo = build_app(chat)
    routes, _ = server_routes(chat, health=Health(tiny_index.index_dir, live), metrics=metrics, concurrency=2, queue_size=256)
    url = launch(demo, host="127.0.0.1", port=free_port(), routes=routes).rstrip("/")
    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            statuses.append(httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60).status_code)

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        while len(statuses) < 5:
            stop.wait(0.05)
        before = len(statuses)
        made = backup(feedback_target, corpus, tmp_path / "backup")
        while len(statuses) < before + 5:  # still answering after the backup
            stop.wait(0.05)
    finally:
        stop.set()
        asking.join(60)
        demo.close(verbose=False)
        store.close()
    assert set(statuses) == {200} and len(statuses) >= 10
    assert made.rows["questions"] >= 26 + 5 and made.rows["votes"] == 16 and made.rows["decisions"] == 2

    source = contents(feedback_target)
    restored_target = another_target(feedback_target, tmp_path, "restored", request)
    restored_corpus = tmp_path / "restored-corpus"
    done = restore(tmp_path / "backup", restored_target, restored_corpus)
    assert done.rows == made.rows
    restored = contents(restored_target)
    snapshot_ids = {row[0] for row in restored["questions"]}
    assert restored["questions"] == [row for row in source["questions"] if row[0] in snapshot_ids]  # the snapshot, as it was
    assert restored["votes"] == source["votes"] and restored["decisions"] == source["decisions"]
    assert restored["schema_version"] == source["schema_version"]
    assert {p.name: p.read_bytes() for p in restored_corpus.glob("*.questions.jsonl")} == bank

    # once the server has stopped, a second backup restored over the first gives the source exactly
    backup(feedback_target, corpus, tmp_path / "backup-2")
    restore(tmp_path / "backup-2", restored_target, restored_corpus, replace=True)
    assert contents(restored_target) == source
    again = FeedbackStore(restored_target)  # a store on the restored database hands out fresh ids and decisions
    question_id = again.log_question(chat.answer(QUESTION, channel="chat")[0], channel="chat")
    again.record_decision(question="new?", choice="ignore", section="", reason="", replied_before="")
    again.close()
    assert question_id not in {row[0] for row in source["questions"]}
    assert len(read_questions(restored_target)) == len(source["questions"]) + 1


def read_questions(target) -> list:
    return contents(target)["questions"]


def test_restore_refuses_a_damaged_or_newer_backup_and_a_non_empty_target(tmp_path, tiny_settings):
    store = FeedbackStore(tmp_path / "source.sqlite3")
    store.record_decision(question="q", choice="ignore", section="", reason="", replied_before="")
    store.close()
    backup(tmp_path / "source.sqlite3", tiny_settings.corpus_dir, tmp_path / "b")
    with pytest.raises(ChatbotError, match="already holds 0 questions, 0 votes and 1 decisions; restore into an empty one"):
        restore(tmp_path / "b", tmp_path / "source.sqlite3", tmp_path / "corpus")
    with pytest.raises(ChatbotError, match="already exists and is not empty"):
        backup(tmp_path / "source.sqlite3", tiny_settings.corpus_dir, tmp_path / "b")

    (tmp_path / "b" / "decisions.jsonl").write_text('{"id": 2}\n')
    with pytest.raises(ChatbotError, match="decisions.jsonl differs from the backup's manifest; the backup is damaged"):
        restore(tmp_path / "b", tmp_path / "fresh.sqlite3", tmp_path / "corpus")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    manifest["schema_version"] = len(db.STEPS) + 1
    (tmp_path / "b" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(db.NewerSchema, match=f"schema version {len(db.STEPS) + 1}, newer than this release's {len(db.STEPS)}"):
        restore(tmp_path / "b", tmp_path / "fresh.sqlite3", tmp_path / "corpus")
    assert not (tmp_path / "fresh.sqlite3").exists()


@pytest.mark.server
def test_backup_and_restore_from_the_command_line(tmp_path, tiny_settings):
    write_bank(tiny_settings.corpus_dir, BANK)
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record_decision(question="q", choice="ignore", section="", reason="", replied_before="")
    store.close()
    env = cli_env(CHATBOT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite3"), CHATBOT_CORPUS_DIR=str(tiny_settings.corpus_dir))
    made = run_cli("backup", tmp_path / "b", env=env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"backed up {tmp_path / 'feedback.sqlite3'} (0 questions, 0 votes, 1 decisions, 1 counters;")
    refused = run_cli("restore", tmp_path / "b", env=env)
    assert_one_error_line(refused, "already holds 0 questions, 0 votes and 1 decisions", "--replace")
    target = tmp_path / "new-folder" / "restored.sqlite3"
    done = run_cli("restore", tmp_path / "b", "--feedback-db", target, "--corpus", tmp_path / "c", env=env)
    assert done.returncode == 0, done.stderr
    assert "run `python -m chatbot build-index`" in done.stdout
    assert contents(target) == contents(tmp_path / "feedback.sqlite3")
    bank = tiny_settings.corpus_dir / "alpha.questions.jsonl"
    assert hashlib.sha256((tmp_path / "c" / bank.name).read_bytes()).digest() == hashlib.sha256(bank.read_bytes()).digest()
