"""The chat app on a free loopback port, for tests that talk to it over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatbot.app import ChatApp, build_app, launch
from chatbot.feedback import FeedbackStore


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_app(assistant, folder: Path) -> Iterator[tuple[str, FeedbackStore, object]]:
    """Serve `assistant` with a feedback store in `folder`; yield (url, store, Gradio Blocks), then stop both."""
    store = FeedbackStore(folder / "feedback.sqlite3")
    demo = build_app(ChatApp(assistant, store))
    url = launch(demo, host="127.0.0.1", port=free_port())
    try:
        yield url, store, demo
    finally:
        demo.close(verbose=False)
        store.close()
