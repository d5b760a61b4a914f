"""Two `serve` processes on one index folder (replicas behind a load balancer) both pick up a
rebuild made by a third process, without a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from test_serve import ask

from helpers.serve_process import ENV, ROOT, free_port, start
from helpers.tiny_bank import BANK, NEW_LINE, write_bank

pytestmark = pytest.mark.server


def nearest_answered(url: str, question: str) -> str:
    decision = ask(url, question)[0]["decision"] or {}
    near = decision.get("answered_near") or [{}]
    return near[0].get("question", "")


def test_two_servers_on_one_index_both_pick_up_a_rebuild(banked, tmp_path):
    model = ["--model", banked.model]
    servers = [start(banked, tmp_path / f"feedback-{n}.sqlite3", "--port", str(free_port()), *model) for n in range(2)]
    try:
        for _, url, _ in servers:
            assert nearest_answered(url, NEW_LINE["question"]) != NEW_LINE["question"]
        write_bank(banked.corpus_dir, [*BANK, NEW_LINE])
        subprocess.run(
            [
                sys.executable,
                "-m",
                "chatbot",
                "build-index",
                "--index",
                str(banked.index_dir),
                "--corpus",
                str(banked.corpus_dir),
                *model,
            ],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 60
        seen = ["", ""]
        while time.monotonic() < deadline and seen != [NEW_LINE["question"]] * 2:
            seen = [nearest_answered(url, NEW_LINE["question"]) for _, url, _ in servers]
            time.sleep(0.5)
        assert seen == [NEW_LINE["question"]] * 2
    finally:
        for process, _, _ in servers:
            process.send_signal(signal.SIGTERM)
        for process, _, _ in servers:
            process.wait(30)
