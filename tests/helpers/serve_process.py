"""`python -m chatbot serve` as a real process, for tests that need its whole output."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
# The per-client rate limit is off for servers the tests load (tests/test_edges_http.py and
# tests/test_cluster_limits.py test it).
ENV = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1", CHATBOT_RATE_LIMIT="0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(settings, feedback_db: Path, *args: str, env: dict | None = None) -> tuple[subprocess.Popen, str, list[str]]:
    """Start serve on the settings' index and corpus; (process, URL, output lines so far)."""
    command = [
        sys.executable,
        "-m",
        "chatbot",
        "serve",
        "--index",
        str(settings.index_dir),
        "--corpus",
        str(settings.corpus_dir),
        "--feedback-db",
        str(feedback_db),
        *args,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env or ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    timer = threading.Timer(180, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            lines.append(line)
            if "running at " in line:
                return process, line.split("running at ", 1)[1].split()[0], lines
    finally:
        timer.cancel()
    process.kill()
    pytest.fail("serve did not start:\n" + "".join(lines))


def stop(process: subprocess.Popen) -> None:
    """Kill a server a failed test left running."""
    if process.poll() is None:
        process.kill()
        process.wait()
