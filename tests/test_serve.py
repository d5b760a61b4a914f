"""`python -m chatbot serve` as a real process: starts, answers many users, stops cleanly on signals."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading

import pytest

from chatbot.feedback.store import summarize
from helpers.serve_process import ENV, ROOT, free_port, start

pytestmark = pytest.mark.server

STOP_WITHIN = 10  # seconds; the server normally stops in 1-3 s


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ask(url: str, *questions: str) -> list[dict]:
    from gradio_client import Client

    client = Client(url, verbose=False, download_files=False, analytics_enabled=False)
    try:
        history: list[str] = []
        answers = []
        for question in questions:
            answers.append(client.predict(question, history, api_name="/ask"))
            history.append(question)
        return answers
    finally:
        client.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_serve_stops_on_a_signal_releasing_the_port_with_feedback_saved(real_settings, tmp_path, signum, request):
    port = free_port()
    if signum == signal.SIGTERM:
        feedback_db = tmp_path / "feedback.sqlite3"
        process, url, lines = start(real_settings, feedback_db, "--port", str(port))
    else:  # also: GRADIO_SERVER_PORT is honoured when --port is not given, and the feedback goes to PostgreSQL
        feedback_db = request.getfixturevalue("postgres").url().replace("chatbot@", "chatbot:s3cret@")
        process, url, lines = start(real_settings, feedback_db, env=dict(ENV, GRADIO_SERVER_PORT=str(port)))
        assert "feedback: postgresql://chatbot:***@/" in lines[-1]
    try:
        assert url == f"http://127.0.0.1:{port}/"
        answers = ask(
            url,
            "What certifications can a medical assistant get?",
            "and how much do they earn?",
            "What is the capital of France?",
        )
        assert not port_is_free(port)
        process.send_signal(signum)
        code = process.wait(timeout=STOP_WITHIN)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve still running {STOP_WITHIN}s after {signum.name}")
    finally:
        if process.poll() is None:  # a failed step must not leave the server running
            process.kill()
            process.wait()
    output = process.stdout.read()
    assert [answers[0]["reason"], answers[2]["reason"]] == ["answered", "not_in_guide"]
    assert answers[1]["interpreted_as"] == "What certifications can a medical assistant get? and how much do they earn?"
    assert code == 0, output
    assert "Stopping" in output and "Traceback" not in output and "s3cret" not in "".join(lines) + output
    assert port_is_free(port)
    summary = summarize(feedback_db)
    assert (summary.questions, summary.answered) == (3, sum(a["in_scope"] for a in answers))
    assert summary.top_declined[0]["question"] == "what is the capital of france?"


def test_a_taken_port_is_one_clear_error_before_anything_loads(real_settings, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "chatbot",
                "serve",
                "--index",
                str(real_settings.index_dir),
                "--port",
                str(port),
                "--feedback-db",
                str(tmp_path / "feedback.sqlite3"),
            ],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, no traceback
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (tmp_path / "feedback.sqlite3").exists()


def test_load_test_many_sessions_get_correct_answers(real_settings):
    """A small run of scripts/load_test.py: 10 concurrent gradio_client sessions x 5 questions."""
    result = subprocess.run(
        [
            sys.executable,
            "scripts/load_test.py",
            "--sessions",
            "10",
            "--questions",
            "5",
            "--json",
            "--index",
            str(real_settings.index_dir),
            "--corpus",
            str(real_settings.corpus_dir),
        ],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=300,
    )
    data = json.loads(result.stdout)
    print({k: data[k] for k in ("throughput_per_second", "latency_ms", "shutdown_seconds")})  # figures, not assertions
    assert data["requests"] == 50
    assert data["errors"] == 0, data["error_samples"]
    assert data["wrong"] == 0, data["wrong_samples"]
    assert data["inconsistent"] == 0
    assert result.returncode == 0


def test_serve_stops_cleanly_with_40_sessions_waiting(real_settings, tmp_path):
    """SIGTERM while 40 sessions wait on answers: exit 0, no traceback, port free, every answer given is in the feedback file."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from load_test import CONVERSATIONS, QueueSession

    port = free_port()
    feedback_db = tmp_path / "feedback.sqlite3"
    process, url, _ = start(real_settings, feedback_db, "--port", str(port))
    answered: list[dict] = []
    started = threading.Barrier(41)

    def session() -> None:
        client = QueueSession(url)
        started.wait()
        try:
            for question, _ in CONVERSATIONS[0] * 20:
                answered.append(client.ask(question, []))
        except Exception:  # the server has stopped
            pass
        finally:
            client.close()

    threads = [threading.Thread(target=session) for _ in range(40)]
    try:
        for thread in threads:
            thread.start()
        started.wait()
        while len(answered) < 40:  # the load is under way
            threading.Event().wait(0.05)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_WITHIN)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for thread in threads:
            thread.join(timeout=60)
    output = process.stdout.read()
    assert code == 0, output
    assert "Traceback" not in output and "ERROR" not in output, output
    assert port_is_free(port)
    assert summarize(feedback_db).questions >= len(answered) > 0
