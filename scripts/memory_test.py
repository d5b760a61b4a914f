"""Bounded server memory: start `python -m chatbot serve`, measure its warm RSS, send oversized
requests to the API and queue routes, and print how much the server grew.

    .venv/bin/python scripts/memory_test.py                  # 200 x 2 MB, 20 x 50 MB, 2,000 + 3,000 sessions
    .venv/bin/python scripts/memory_test.py --json
    .venv/bin/python scripts/memory_test.py --large 0 --sessions 0   # only the 2 MB requests

Three rounds, RSS (VmRSS) after each: `--medium` requests of 2 MB and `--large` of 50 MB, spread
over `/gradio_api/call/ask`, `/gradio_api/queue/join` and `/gradio_api/run/ask` (each a question
of that size, as a hostile client would send); then `--sessions` new API sessions, each asking a
question just under the request limit (the most a legitimate client can make the server keep);
then `--unknown` calls to an API name that does not exist, each naming a new session (which
Gradio creates before it looks the name up).
Each oversized request's HTTP status is counted, and the server must still answer afterwards.
The exit code is 0 when the growth after the oversized requests is within `--budget-mb` and the
server still answers; the session rounds show what the session cap bounds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from load_test import ROOT, start_server, stop_server

MB = 1024 * 1024
JSON = {"content-type": "application/json"}
ROUTES = ("call/ask", "queue/join", "run/ask")
WARM_QUESTIONS = (
    "What does a medical assistant do?",
    "How long is a medical assistant program?",
    "How much do medical assistants earn?",
    "Where do medical assistants work?",
)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def ask(http, url: str, question: str, history: list[str] | None = None) -> dict:
    """One /ask call through the simple API (POST then read the event stream)."""
    posted = http.post(f"{url}gradio_api/call/ask", json={"data": [question, history or []]})
    posted.raise_for_status()
    event_id = posted.json()["event_id"]
    with http.stream("GET", f"{url}gradio_api/call/ask/{event_id}") as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(line[5:].strip()[:200])
                return json.loads(line[5:])[0]
    raise RuntimeError("the event stream ended without a result")


def oversized(http, url: str, route: str, size: int, fn_index: int) -> str:
    """POST one question of `size` bytes to a route; the HTTP status (or the client's error)."""
    question = "x" * size
    if route == "queue/join":
        body = {"data": [question, []], "fn_index": fn_index, "session_hash": uuid.uuid4().hex}
    else:
        body = {"data": [question, []]}
    try:
        return str(http.post(f"{url}gradio_api/{route}", content=json.dumps(body).encode(), headers=JSON).status_code)
    except Exception as exc:  # a server that closes the connection early is an answer too
        return type(exc).__name__


def settle(pid: int, seconds: float = 2.0) -> float:
    """RSS after the server has had a moment to finish what it was doing."""
    time.sleep(seconds)
    return rss_mb(pid)


def main(argv: list[str] | None = None) -> int:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--medium", type=int, default=200, help="requests of 2 MB (default 200)")
    parser.add_argument("--large", type=int, default=20, help="requests of 50 MB (default 20)")
    parser.add_argument("--sessions", type=int, default=2000, help="sessions asking a question just under the limit")
    parser.add_argument("--unknown", type=int, default=3000, help="calls to an API name that does not exist (default 3000)")
    parser.add_argument("--budget-mb", type=float, default=50, help="allowed growth over the warm RSS (default 50)")
    parser.add_argument("--index", help="index folder for the started app")
    parser.add_argument("--corpus", help="corpus folder for the started app")
    parser.add_argument("--model", help="model for the started app")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines")
    args = parser.parse_args(argv)
    args.port, args.concurrency, args.queue_size, args.start_timeout = None, 2, 256, 300

    from chatbot.web.limits import MAX_REQUEST_BYTES

    figures: dict = {"max_request_bytes": MAX_REQUEST_BYTES}
    with tempfile.TemporaryDirectory(prefix="memory-test-") as folder:
        process, url = start_server(args, Path(folder) / "feedback.sqlite3")
        try:
            with httpx.Client(timeout=120) as http:
                config = http.get(f"{url}config").json()
                fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
                for question in WARM_QUESTIONS * 5:
                    ask(http, url, question)
                figures["warm_rss_mb"] = warm = round(settle(process.pid), 1)
                for name, count, size in (("medium", args.medium, 2 * MB), ("large", args.large, 50 * MB)):
                    started = time.perf_counter()
                    statuses = Counter(oversized(http, url, ROUTES[i % len(ROUTES)], size, fn_index) for i in range(count))
                    figures[name] = {
                        "requests": count,
                        "bytes_each": size,
                        "statuses": dict(statuses),
                        "seconds": round(time.perf_counter() - started, 1),
                        "rss_mb": round(settle(process.pid), 1),
                    }
                question = "What does a medical assistant do? " + "x" * (MAX_REQUEST_BYTES - 200)
                started = time.perf_counter()
                failures = 0
                for _ in range(args.sessions):
                    try:
                        ask(http, url, question)
                    except Exception:
                        failures += 1
                figures["near_limit_sessions"] = {
                    "sessions": args.sessions,
                    "question_bytes": len(question),
                    "failures": failures,
                    "seconds": round(time.perf_counter() - started, 1),
                    "rss_mb": round(settle(process.pid), 1),
                }
                started = time.perf_counter()
                statuses = Counter(
                    str(
                        http.post(
                            f"{url}gradio_api/run/no_such_api", json={"data": ["x" * 1000], "session_hash": uuid.uuid4().hex}
                        ).status_code
                    )
                    for _ in range(args.unknown)
                )
                figures["unknown_api"] = {
                    "requests": args.unknown,
                    "statuses": dict(statuses),
                    "seconds": round(time.perf_counter() - started, 1),
                    "rss_mb": round(settle(process.pid), 1),
                }
                after = ask(http, url, "How much do medical assistants earn?")
                figures["answers_afterwards"] = after.get("reason") == "answered"
                figures["final_rss_mb"] = final = round(rss_mb(process.pid), 1)
                figures["oversized_growth_mb"] = round(figures["large"]["rss_mb"] - warm, 1)
                figures["growth_mb"] = round(final - warm, 1)
        finally:
            stop_server(process)
    figures["within_budget"] = figures["oversized_growth_mb"] <= args.budget_mb and figures["answers_afterwards"]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"request limit        {MAX_REQUEST_BYTES:,} bytes")
        print(f"warm RSS             {figures['warm_rss_mb']} MiB")
        for name in ("medium", "large"):
            row = figures[name]
            print(
                f"{row['requests']:>4} x {row['bytes_each'] // MB:>2} MB        "
                f"RSS {row['rss_mb']} MiB, statuses {row['statuses']}, {row['seconds']} s"
            )
        row = figures["near_limit_sessions"]
        print(
            f"{row['sessions']:>4} sessions x {row['question_bytes'] // 1024} KB  "
            f"RSS {row['rss_mb']} MiB, {row['failures']} failures, {row['seconds']} s"
        )
        row = figures["unknown_api"]
        print(f"{row['requests']:>4} unknown API    RSS {row['rss_mb']} MiB, statuses {row['statuses']}, {row['seconds']} s")
        print(f"growth over warm     {figures['oversized_growth_mb']} MiB after the oversized ones (budget {args.budget_mb:g})")
        print(f"                     {figures['growth_mb']} MiB after every round (sessions capped, see chatbot/web/limits.py)")
        print(f"answers afterwards   {figures['answers_afterwards']}")
    return 0 if figures["within_budget"] else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
