"""The server stays bounded whatever clients send: a request size limit, no copy of a question
kept in its session, and one log line (never a traceback) for every bad request."""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx
import pytest

from chatbot.web.limits import MAX_REQUEST_BYTES
from helpers.app_server import running_app
from helpers.serve_process import start, stop

pytestmark = pytest.mark.server

JSON = {"content-type": "application/json"}
TWO_MB = 2 * 1024 * 1024


def oversized_body(fn_index: int | None = None) -> bytes:
    body = {"data": ["x" * TWO_MB, []]}
    if fn_index is not None:
        body |= {"fn_index": fn_index, "session_hash": uuid.uuid4().hex}
    return json.dumps(body).encode()


def ask(http: httpx.Client, url: str, question, history=None, *, api: str = "ask") -> tuple[str, object]:
    """One call through the simple API: ("complete", result) or ("error", message)."""
    posted = http.post(f"{url}gradio_api/call/{api}", json={"data": [question, history if history is not None else []]})
    posted.raise_for_status()
    with http.stream("GET", f"{url}gradio_api/call/{api}/{posted.json()['event_id']}") as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                return event, json.loads(line[5:])
    raise AssertionError("the event stream ended without a result")


def join(http: httpx.Client, url: str, fn_index: int, data: list) -> dict:
    """One event through the queue as the browser sends it; the final message."""
    session = uuid.uuid4().hex
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    joined = http.post(f"{url}gradio_api/queue/join", json=body)
    joined.raise_for_status()
    with http.stream("GET", f"{url}gradio_api/queue/data", params={"session_hash": session}) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the event stream ended without a result")


@pytest.fixture(scope="module")
def served(real_settings, tmp_path_factory):
    """`serve` as a process, its output collected line by line as it is written."""
    process, url, lines = start(real_settings, tmp_path_factory.mktemp("limits") / "feedback.sqlite3")

    def collect() -> None:
        for line in process.stdout:
            lines.append(line)

    threading.Thread(target=collect, daemon=True).start()
    try:
        with httpx.Client(timeout=60) as http:
            config = http.get(f"{url}config").json()
            fn_index = {d.get("api_name"): d["id"] for d in config["dependencies"]}
            yield url, lines, http, fn_index
    finally:
        stop(process)


def log_after(lines: list[str], start: int, sentinel: str) -> list[str]:
    """The server's lines from `start` up to the one naming `sentinel` (waiting for it to appear)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        written = lines[start:]
        for n, line in enumerate(written):
            if sentinel in line:
                return written[:n]
        time.sleep(0.05)
    raise AssertionError(f"{sentinel!r} never logged; the server wrote:\n{''.join(lines[start:])}")


def test_a_2mb_request_gets_413_with_one_line_and_the_server_still_answers(served):
    url, lines, http, fn_index = served
    refused = [
        http.post(f"{url}gradio_api/call/ask", content=oversized_body(), headers=JSON),
        http.post(f"{url}gradio_api/queue/join", content=oversized_body(fn_index["ask"]), headers=JSON),
        http.post(f"{url}gradio_api/run/ask", content=oversized_body(), headers=JSON),
        # no Content-Length: refused once the body has grown past the limit
        http.post(f"{url}gradio_api/call/ask", content=iter([oversized_body()]), headers=JSON),
    ]
    assert [r.status_code for r in refused] == [413] * 4
    assert {r.json()["error"] for r in refused} == {
        f"request too large: at most {MAX_REQUEST_BYTES:,} bytes (a question is read up to 1,000 characters)"
    }
    event, answer = ask(http, url, "How much do medical assistants earn?")
    assert event == "complete" and answer[0]["reason"] == "answered"


BAD_REQUESTS = [
    ("unknown API name", "post", "call/no_such_api", {"data": ["x"]}, 404),
    ("unknown API name, direct", "post", "run/no_such_api", {"data": ["x"]}, 404),
    ("unknown function index", "post", "queue/join", {"data": [], "fn_index": 999, "session_hash": "s1"}, 404),
    ("not JSON", "post", "call/ask", "garbage", 422),
    ("question and history as numbers, direct", "post", "run/ask", {"data": [5, 5]}, 500),
    ("section path as a number, direct", "post", "run/section", {"data": [5]}, 500),
    ("no such section, direct", "post", "run/section", {"data": [["Nope"]]}, 500),
]


@pytest.mark.parametrize(("name", "method", "route", "body", "status"), BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_a_bad_request_is_one_log_line_and_a_one_line_error(served, name, method, route, body, status):
    url, lines, http, _ = served
    start = len(lines)
    content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response = http.post(f"{url}gradio_api/{route}", content=content, headers=JSON)
    http.post(f"{url}gradio_api/run/end_of_{name.replace(' ', '_').replace(',', '')}", json={"data": []})
    logged = log_after(lines, start, "end_of_")
    assert response.status_code == status
    assert len(logged) == 1, "".join(logged)
    assert route in logged[0] or route.split("/")[1] in logged[0]


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("question and history as numbers", lambda http, url, fn: ask(http, url, 5, 5)),
        ("section path as a number", lambda http, url, fn: ask(http, url, 5, api="section")),
        ("malformed history", lambda http, url, fn: ask(http, url, "what is a CMA?", [{"role": 5}] * 3)),
        (
            "2,000 malformed chat messages",
            lambda http, url, fn: join(http, url, fn["submit"], ["hi", [{"role": "user", "content": 5, "x": [1]}] * 2000, {}]),
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_a_bad_event_in_the_queue_is_one_log_line(served, name, call):
    url, lines, http, fn_index = served
    start = len(lines)
    result = call(http, url, fn_index)
    http.post(f"{url}gradio_api/run/end_of_queue_case", json={"data": []})
    logged = log_after(lines, start, "end_of_queue_case")
    assert len(logged) <= 1, "".join(logged)  # a history that is not a list of strings may be read as none
    assert not any("Traceback" in line for line in logged)
    if logged:
        assert ("bad request to /" in logged[0] or "refused /" in logged[0]) and len(logged[0]) < 300
        failed = result[0] == "error" if isinstance(result, tuple) else not result["success"]
        assert failed


def test_nothing_of_a_question_stays_in_its_session(assistant, tmp_path):
    question = "q" * 19_000 + " What does a medical assistant do?"  # under the API's 20,000 characters, read from its end
    with running_app(assistant, tmp_path) as (url, _, demo), httpx.Client(timeout=60) as http:
        event, answer = ask(http, url, question)
        assert event == "complete" and answer[0]["reason"] == "answered"
        sessions = demo.server_app.state_holder.session_data
        assert sessions  # the call had a session; what it kept is checked below
        kept = repr([(s.config_values, s.state_data, s.blocks_config.blocks) for s in sessions.values()])
    assert "q" * 1000 not in kept
