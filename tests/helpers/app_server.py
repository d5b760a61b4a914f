"""The chat app on a free loopback port, for tests that talk to it over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatbot.answering.live import LiveAssistant
from chatbot.feedback.store import FeedbackStore
from chatbot.settings import Settings
from chatbot.web.app import build_app, launch
from chatbot.web.chat import ChatApp
from chatbot.web.health import Health
from chatbot.web.metrics import Metrics
from chatbot.web.routes import server_routes
from chatbot.web.serve import watch


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(assistant, folder: Path) -> Iterator[tuple[str, FeedbackStore, object]]:
    """Serve `assistant` (an Assistant or a LiveAssistant) as `serve` does, with its /healthz,
    /metrics and /v1/ask and a feedback store in `folder`; yield (url, store, Gradio Blocks),
    then stop both."""
    if not isinstance(assistant, LiveAssistant):
        assistant = LiveAssistant(Settings(index_dir=assistant.index.folder.parent), assistant)
    store = FeedbackStore(folder / "feedback.sqlite3")
    metrics = Metrics()
    chat = ChatApp(assistant, store, metrics)
    demo = build_app(chat)
    health = Health(assistant.settings.index_dir, assistant, store_check=store.ping)  # as serve does
    routes, lean = server_routes(chat, health=health, metrics=metrics, concurrency=2, queue_size=256)
    watch(metrics, assistant, demo, lean)  # as serve does
    url = launch(demo, host="127.0.0.1", port=free_port(), routes=routes)
    try:
        yield url, store, demo
    finally:
        demo.close(verbose=False)
        store.close()
