"""The server's live index: rebuilds picked up without a restart, questions never failing meanwhile,
and incremental rebuilds that keep the fine-tuned model."""

from __future__ import annotations

import threading

from chatbot.answering.assistant import Assistant
from chatbot.answering.live import LiveAssistant
from chatbot.index.build import build_index
from chatbot.index.load import live_folder
from chatbot.index.manifest import read_manifest
from helpers.tiny_bank import BANK, NEW_LINE, write_bank


def test_an_incremental_rebuild_keeps_the_fine_tuned_model_and_a_full_one_tunes_again(banked):
    before = read_manifest(live_folder(banked.index_dir))
    assert before.fine_tuned and before.model_bank
    write_bank(banked.corpus_dir, [*BANK, NEW_LINE])
    build_index(banked, retune=False)
    kept = read_manifest(live_folder(banked.index_dir))
    assert (kept.model_sha256, kept.model_bank) == (before.model_sha256, before.model_bank)
    assert kept.corpus != before.corpus  # the new bank line is in
    assert "bike shop jobs" in [q.question for q in Assistant.load(banked).index.bank.questions]
    build_index(banked, force=True)  # a normal build fine-tunes on the whole bank again
    again = read_manifest(live_folder(banked.index_dir))
    assert again.model_sha256 != before.model_sha256 and again.model_bank != before.model_bank


def test_a_rebuild_is_picked_up_without_a_restart_and_no_question_fails_meanwhile(banked, monkeypatch):
    import chatbot.answering.live

    monkeypatch.setattr(chatbot.answering.live, "CHECK_EVERY", 0.0)
    live = LiveAssistant(banked)
    other = LiveAssistant(banked)  # a second server on the same index folder
    first = live.status().build
    failures: list[Exception] = []
    stop = threading.Event()

    def keep_asking():
        while not stop.is_set():
            try:
                assert live.ask("how much do sorters earn").answer
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                failures.append(exc)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    write_bank(banked.corpus_dir, [*BANK, NEW_LINE])
    live.rebuild()
    live.wait(60)
    stop.set()
    asker.join()
    assert failures == []
    assert live.status().build != first and not live.status().rebuilding
    assert "live since" in live.status().line()
    assert "bike shop jobs" in [q.question for q in live.index.bank.questions]
    other.refresh(wait=True)
    assert other.status().build == live.status().build
    assert "bike shop jobs" in [q.question for q in other.index.bank.questions]


def test_a_failed_rebuild_keeps_the_live_build_answering_and_says_why(banked):
    def broken(settings):
        raise RuntimeError("the bank has a bad line")

    live = LiveAssistant(banked, builder=broken)
    build = live.status().build
    live.rebuild()
    live.wait(30)
    assert live.status().build == build and "bad line" in live.status().line()
    assert live.ask("how much do sorters earn").answer
