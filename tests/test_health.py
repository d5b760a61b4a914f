"""`/healthz` follows the index folder (503 while the live build is missing or damaged, 200 again
after a rebuild), `/metrics` counts what the store refused, and `serve --log-json` logs JSON lines."""

from __future__ import annotations

import json
import logging
import shutil

import httpx
import pytest

from chatbot.answering.live import LiveAssistant
from chatbot.feedback.store import FeedbackStore
from chatbot.index.build import build_index
from chatbot.index.load import CURRENT, live_folder
from chatbot.web.chat import ChatApp
from chatbot.web.logs import JsonLines
from chatbot.web.metrics import Metrics
from helpers.app_server import running_app


def healthz(url: str) -> tuple[int, dict]:
    response = httpx.get(url.rstrip("/") + "/healthz", timeout=30)
    return response.status_code, response.json()


@pytest.fixture
def served(tiny_index, tmp_path):
    with running_app(LiveAssistant(tiny_index), tmp_path) as running:
        yield running[0], tiny_index


@pytest.mark.server
def test_healthz_is_503_while_an_index_file_is_damaged_and_200_again_after_a_rebuild(served):
    url, settings = served
    status, data = healthz(url)
    first = live_folder(settings.index_dir).name
    assert (status, data["status"], data["build"], data["serving"]) == (200, "ok", first, first)
    assert data["model"] and data["store_reachable"] is True and data["error"] == ""

    damaged = live_folder(settings.index_dir) / "passages.faiss"
    content = bytearray(damaged.read_bytes())
    content[-1] ^= 0xFF  # same size, other bytes: only the sha256 tells
    damaged.write_bytes(bytes(content))
    status, data = healthz(url)
    assert status == 503 and data["status"] == "unavailable" and data["build"] == first
    assert "passages.faiss is missing or damaged" in data["error"]
    assert healthz(url)[0] == 503  # still, from the remembered check

    build_index(settings, force=True)
    status, data = healthz(url)
    assert status == 200 and data["build"] != first and data["error"] == ""


@pytest.mark.server
def test_healthz_is_503_while_the_index_is_missing(served):
    url, settings = served
    pointer = settings.index_dir / CURRENT
    shutil.move(pointer, settings.index_dir / "CURRENT.away")
    status, data = healthz(url)
    assert status == 503 and "no index" in data["error"] and data["build"] == ""
    shutil.move(settings.index_dir / "CURRENT.away", pointer)
    assert healthz(url)[0] == 200


def test_rows_the_store_refuses_are_counted_as_dropped(tiny_index, tmp_path):
    from chatbot.answering.assistant import Assistant

    metrics = Metrics()
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    chat = ChatApp(Assistant.load(tiny_index), store, metrics)
    chat.answer("how much do sorters earn", channel="v1")
    store.close()
    chat.answer("how much do sorters earn", channel="v1")
    scrape = metrics.scrape().decode()
    assert 'chatbot_feedback_rows_total{kind="question",outcome="saved"} 1.0' in scrape
    assert 'chatbot_feedback_rows_total{kind="question",outcome="dropped"} 1.0' in scrape
    assert 'chatbot_answer_seconds_count{channel="v1"} 2.0' in scrape


def test_json_lines_are_one_object_a_line():
    record = logging.LogRecord("chatbot.web.routes", logging.WARNING, __file__, 1, "bad request to /v1/ask: %s", ("a\nb",), None)
    line = JsonLines().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert (data["level"], data["logger"], data["message"]) == ("WARNING", "chatbot.web.routes", "bad request to /v1/ask: a\nb")
    assert data["time"].endswith("Z")
