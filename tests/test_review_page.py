"""The owner's loop end to end through the real app: a declined question labeled on the review
page is answered from the chosen section through the API within a minute, while a load test runs
with no error; the label survives a restart; the page exists only with a password."""

from __future__ import annotations

import logging
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS

from chatbot.answering.live import LiveAssistant
from chatbot.feedback.review import Review
from chatbot.feedback.store import FeedbackStore
from chatbot.web.app import build_app, launch
from chatbot.web.chat import ChatApp
from helpers.app_server import free_port

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="needs Debian's chromium (make browser)"),
]

PASSWORD = "correct horse battery staple"
QUESTION = "is the nha ccma one of the big certifications"  # the guide names only the CMA and the RMA
CERTIFICATION = ("Education and Training Path For Becoming a Medical Assistant", "Certification Options")


@pytest.fixture(scope="module")
def owned(real_settings, tmp_path_factory):
    """A private copy of the real corpus and index: the review page writes to the bank."""
    base = tmp_path_factory.mktemp("owned")
    shutil.copytree(real_settings.corpus_dir, base / "corpus")
    shutil.copytree(real_settings.index_dir, base / "index", symlinks=True)
    return replace(real_settings, corpus_dir=base / "corpus", index_dir=base / "index", feedback_db=base / "feedback.sqlite3")


@contextmanager
def serving(settings, password: str | None) -> Iterator[tuple[str, LiveAssistant]]:
    live = LiveAssistant(settings)
    store = FeedbackStore(settings.feedback_db)
    review = (Review(live, store), password) if password else None
    demo = build_app(ChatApp(live, store), review=review)
    url = launch(demo, host="127.0.0.1", port=free_port())
    try:
        yield url, live
    finally:
        live.wait(60)
        demo.close(verbose=False)
        store.close()


def ask(url: str, question: str) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    try:
        return client.predict(question=question, api_name="/ask")
    finally:
        client.close()


def test_without_a_password_there_is_no_review_page(owned):
    with serving(owned, None) as (url, _):
        page = urllib.request.urlopen(url.rstrip("/") + "/config").read().decode()
        assert '"admin"' not in page and "Review questions" not in page


def test_a_declined_question_labeled_on_the_review_page_is_answered_live(owned, caplog):
    from load_test import run_sessions
    from playwright.sync_api import sync_playwright

    caplog.set_level(logging.WARNING)
    with serving(owned, PASSWORD) as (url, live):
        config = urllib.request.urlopen(url.rstrip("/") + "/config").read().decode()
        assert '"admin"' in config and "Review questions" in config  # what the test without a password looks for
        assert ask(url, QUESTION)["reason"] != "answered"
        load: list = []
        stop = threading.Event()

        def keep_loading():
            while not stop.is_set():
                load.extend(run_sessions(url, 4, 6, driver="queue")[0])

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(url.rstrip("/") + "/admin")
            page.fill("#admin-password input", "wrong")
            page.click("#admin-sign-in")
            page.wait_for_function("document.querySelector('#admin-refused').innerText.includes('Wrong password')")
            refused = [r for r in caplog.records if "wrong admin password" in r.getMessage()]
            assert len(refused) == 1 and refused[0].exc_info is None
            assert not page.locator("#admin-queue").is_visible()

            page.fill("#admin-password input", PASSWORD)
            page.click("#admin-sign-in")
            page.locator("#admin-queue label", has_text=QUESTION).first.click()
            page.wait_for_function("document.querySelector('#admin-picked').innerText.includes('asked')")
            assert page.locator("#admin-section input").input_value() == " › ".join(CERTIFICATION)
            assert "recognized certifications" in page.locator("#admin-preview").inner_text()

            loader = threading.Thread(target=keep_loading)
            loader.start()
            started = time.monotonic()
            page.click("#admin-save")
            page.wait_for_function("document.querySelector('#admin-result').innerText.includes('Added to the question bank')")
            answer = ask(url, QUESTION)
            while answer["reason"] != "answered" and time.monotonic() - started < 60:
                time.sleep(1)
                answer = ask(url, QUESTION)
            took = time.monotonic() - started
            page.wait_for_function("document.querySelector('#admin-status').innerText.includes('live since')", timeout=30_000)
            assert QUESTION not in page.locator("#admin-queue").inner_text()
            stop.set()
            loader.join()
            browser.close()
        assert answer["reason"] == "answered" and tuple(answer["citations"][0]["section"]) == CERTIFICATION, took
        assert load and [r.error for r in load if r.error] == [] and [r.wrong for r in load if r.wrong] == []

    with serving(owned, PASSWORD) as (url, _):  # a restart: the label is in the bank and the index
        answer = ask(url, QUESTION)
        assert answer["reason"] == "answered" and tuple(answer["citations"][0]["section"]) == CERTIFICATION
