"""Peak resident memory of `ask` (from the cold starts) and of `serve` answering over its API."""

from __future__ import annotations

import logging
import os
import resource
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from chatbot.settings import ROOT, Settings

from .options import QUESTIONS, BenchOptions
from .processes import chatbot_command
from .stats import MIB

log = logging.getLogger(__name__)


def memory(settings: Settings, options: BenchOptions, results: dict) -> dict:
    """Peak resident memory (ru_maxrss) of `ask` and `serve` (after answering through its API)."""
    figures = {
        "ask_peak_mib": results["cold_start"]["ask_peak_mib"],
        "baseline_onnx_peak_mib": results["cold_start"]["baseline_onnx_peak_mib"],
        "baseline_st_peak_mib": results["cold_start"]["baseline_st_peak_mib"],
        "serve_peak_mib": None,
        "serve": "not measured (--no-serve)",
        "bench_peak_mib_at_spawn": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MIB,  # must stay below the others
    }
    if options.serve:
        try:
            figures.update(serve_memory(settings, options))
        except (RuntimeError, OSError, ImportError) as exc:
            figures["serve"] = f"not measured: {exc}"
    return figures


def serve_memory(settings: Settings, options: BenchOptions) -> dict:
    """Start `python -m chatbot serve`, ask it a few questions over its API, stop it, read its peak RSS."""
    from gradio_client import Client

    if not (ROOT / "chatbot" / "web" / "app.py").is_file():
        raise RuntimeError("chatbot/web/app.py (the serve command) does not exist yet")
    log.info("starting `serve` to measure its memory")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = chatbot_command(
        options.python, "serve", settings, "--host", "127.0.0.1", "--port", str(port), "--feedback-db", str(settings.feedback_db)
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    timer = threading.Timer(300, process.kill)
    timer.start()
    try:
        url = ""
        for line in process.stdout:
            if "running at " in line:
                url = line.split("running at ", 1)[1].split()[0]
                break
        if not url:
            raise RuntimeError("serve exited before it was ready")
        ready = time.perf_counter() - start
        log.info("serve is ready; asking it questions")
        client = Client(url, verbose=False, download_files=False)
        for question in QUESTIONS[:5]:
            client.predict(question, [], api_name="/ask")
        high_water = _status_kib(process.pid, "VmHWM") / MIB
    finally:
        process.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(process.pid, 0)
        process.returncode = 0
        timer.cancel()
        process.stdout.close()
    return {
        "serve_peak_mib": high_water,
        "serve_ru_maxrss_mib": usage.ru_maxrss / MIB,
        "serve_ready_s": ready,
        "serve": "VmHWM after 5 questions over its API",
    }


def _status_kib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return 0.0
