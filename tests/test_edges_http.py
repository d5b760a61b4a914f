"""The edges a public server needs, over HTTP on the tiny index: per-client rate limits (429 with
Retry-After on /v1/ask, an error on /ask, a polite line in the chat), the forwarded address trusted
only from the balancer, security headers on every page and route, the review page's sign-in."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from chatbot.answering.live import LiveAssistant
from chatbot.feedback.review import Review
from chatbot.feedback.store import FeedbackStore
from chatbot.web.app import ChatApp, ChatState, build_app, launch
from chatbot.web.health import Health
from chatbot.web.metrics import Metrics
from chatbot.web.routes import server_routes
from chatbot.web.signin import SignIn
from chatbot.web.throttle import RateLimiter, slow_down, trust_forwarded
from helpers.app_server import free_port
from helpers.serve_process import ENV, ROOT

QUESTION = "how much do sorters earn"
PASSWORD = "a long enough admin password"


@contextmanager
def serving(settings, folder, *, throttle=None, trusted=("127.0.0.1",)) -> Iterator[tuple[str, FeedbackStore, Metrics]]:
    """The app as `serve` builds it (review page included), trusting X-Forwarded-For from `trusted`."""
    before = os.environ.get("FORWARDED_ALLOW_IPS")
    trust_forwarded(trusted)
    live = LiveAssistant(settings)
    store = FeedbackStore(folder / "feedback.sqlite3")
    metrics = Metrics()
    chat = ChatApp(live, store, metrics, throttle)
    demo = build_app(chat, review=(Review(live, store), PASSWORD))
    health = Health(settings.index_dir, live, store_check=store.ping)
    routes, _ = server_routes(chat, health=health, metrics=metrics, concurrency=2, queue_size=256, throttle=throttle)
    url = launch(demo, host="127.0.0.1", port=free_port(), routes=routes)
    try:
        yield url.rstrip("/"), store, metrics
    finally:
        demo.close(verbose=False)
        store.close()
        os.environ.pop("FORWARDED_ALLOW_IPS", None)
        if before is not None:
            os.environ["FORWARDED_ALLOW_IPS"] = before


def v1(url: str, client: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, headers={"X-Forwarded-For": client}, timeout=60)


def test_the_token_bucket_refuses_past_the_burst_and_refills_at_the_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=30, burst=3, clock=lambda: now[0])
    assert [limiter.wait("a") for _ in range(4)] == [0.0, 0.0, 0.0, 2.0]  # 30 a minute: one every 2 s
    assert limiter.wait("b") == 0.0  # another client has its own bucket
    now[0] = 1.0
    assert limiter.wait("a") == pytest.approx(1.0)  # refused questions cost nothing
    now[0] = 2.0
    assert limiter.wait("a") == 0.0 and limiter.wait("a") == pytest.approx(2.0)
    now[0] = 1000.0
    assert [limiter.wait("a") for _ in range(4)] == [0.0, 0.0, 0.0, 2.0]  # refilled to the burst, no more


def test_the_least_recently_used_clients_are_forgotten():
    limiter = RateLimiter(per_minute=1, burst=1, clients=2, clock=lambda: 0.0)
    assert [limiter.wait(c) for c in ("a", "b", "a", "c")] == [0.0, 0.0, 60.0, 0.0]
    assert limiter.wait("b") == 0.0 and limiter.wait("c") == 60.0  # b was dropped (a full bucket again), c kept


@pytest.mark.server
def test_a_burst_past_the_limit_gets_429_with_retry_after_and_only_that_client_waits(tiny_index, tmp_path):
    with serving(tiny_index, tmp_path, throttle=RateLimiter(per_minute=6, burst=3)) as (url, store, metrics):
        answers = [v1(url, "203.0.113.7") for _ in range(3)]
        assert [r.status_code for r in answers] == [200, 200, 200]
        refused = v1(url, "203.0.113.7")
        assert refused.status_code == 429 and refused.headers["Retry-After"] in {"9", "10"}  # one every 10 s
        assert "too many questions" in refused.json()["error"]
        other = v1(url, "198.51.100.2")
        assert other.status_code == 200 and other.json() == answers[0].json()  # another client is not slowed
        assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200
        scrape = httpx.get(f"{url}/metrics", timeout=30).text
        assert 'chatbot_rate_limited_total{channel="v1"} 1.0' in scrape
        assert 'chatbot_questions_total{channel="v1",reason="answered"} 4.0' in scrape
    assert len(store_rows(tmp_path)) == 4  # the refused question was neither answered nor logged


@pytest.mark.server
def test_the_forwarded_address_is_ignored_unless_the_connection_is_a_trusted_balancer(tiny_index, tmp_path):
    with serving(tiny_index, tmp_path, throttle=RateLimiter(per_minute=6, burst=2), trusted=()) as (url, _, _):
        assert [v1(url, f"192.0.2.{n}").status_code for n in range(3)] == [200, 200, 429]  # all one client: 127.0.0.1


@pytest.mark.server
def test_the_ask_api_is_limited_per_client_too(tiny_index, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with serving(tiny_index, tmp_path, throttle=RateLimiter(per_minute=6, burst=2)) as (url, _, metrics):
        client = Client(url, verbose=False, headers={"X-Forwarded-For": "203.0.113.9"})
        try:
            for _ in range(2):
                assert client.predict(QUESTION, [], api_name="/ask")["reason"] == "answered"
            with pytest.raises(AppError, match="faster than I can keep up"):
                client.predict(QUESTION, [], api_name="/ask")
        finally:
            client.close()
        assert 'chatbot_rate_limited_total{channel="api"} 1.0' in metrics.scrape().decode()


def test_the_chat_window_answers_a_client_over_its_limit_with_a_polite_line(tiny_index, tmp_path):
    from chatbot.answering.assistant import Assistant

    metrics = Metrics()
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    chat = ChatApp(Assistant.load(tiny_index), store, metrics, RateLimiter(per_minute=1, burst=1, clock=lambda: 0.0))
    state, turn = chat.respond(QUESTION, ChatState(), client="203.0.113.7")
    assert turn is not None and len(state.messages) == 2
    state, turn = chat.respond(QUESTION, state, client="203.0.113.7")
    assert turn is None and state.messages[-1] == {"role": "assistant", "content": slow_down(60.0)}
    assert "wait 60 seconds" in state.messages[-1]["content"] and len(state.votes) == 1
    assert chat.respond(QUESTION, ChatState(), client="198.51.100.2")[1] is not None  # another window is answered
    store.close()
    assert len(store_rows(tmp_path)) == 2
    assert 'chatbot_rate_limited_total{channel="chat"} 1.0' in metrics.scrape().decode()


def trigger(url: str, session: str, elem_id: str, event: str, data: list, client: str) -> list:
    """Fire `event` of the component `elem_id` as the browser does (Gradio's queue); the outputs."""
    import json

    config = httpx.get(f"{url}/config", timeout=30).json()
    component = next(c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id)
    fn_index = next(d["id"] for d in config["dependencies"] if [component, event] in d["targets"])
    payload = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
    with httpx.Client(timeout=60, headers={"X-Forwarded-For": client}) as http:
        joined = http.post(f"{url}/gradio_api/queue/join", json=payload).json()["event_id"]
        with http.stream("GET", f"{url}/gradio_api/queue/data", params={"session_hash": session}) as stream:
            for line in stream.iter_lines():
                message = json.loads(line[5:]) if line.startswith("data:") else {}
                if message.get("event_id") == joined and message.get("msg") == "process_completed":
                    assert message["success"], message
                    return message["output"]["data"]
    raise AssertionError("the event stream ended without a result")


def chat_submit(url: str, session: str, message: str, client: str) -> list[dict]:
    """The chat window's Ask; the chat's messages after it."""
    return trigger(url, session, "question", "submit", [message, None], client)[0]


@pytest.mark.server
def test_the_chat_window_limits_by_the_browser_address(tiny_index, tmp_path):
    import uuid

    with serving(tiny_index, tmp_path, throttle=RateLimiter(per_minute=1, burst=1)) as (url, _, metrics):
        window = uuid.uuid4().hex
        assert len(chat_submit(url, window, QUESTION, "203.0.113.7")) == 2
        messages = chat_submit(url, window, QUESTION, "203.0.113.7")
        assert len(messages) == 4 and "faster than I can keep up" in str(messages[-1]["content"])
        assert len(chat_submit(url, uuid.uuid4().hex, QUESTION, "198.51.100.2")) == 2  # another browser is answered
        assert 'chatbot_rate_limited_total{channel="chat"} 1.0' in metrics.scrape().decode()


def store_rows(folder) -> list:
    from chatbot.feedback.store import read_log

    return read_log(folder / "feedback.sqlite3")


SECURITY = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.mark.server
def test_security_headers_are_on_every_page_and_route(tiny_index, tmp_path):
    with serving(tiny_index, tmp_path) as (url, _, _):
        responses = {
            "/": httpx.get(f"{url}/", timeout=30),
            "/admin": httpx.get(f"{url}/admin", timeout=30),
            "/v1/ask": httpx.post(f"{url}/v1/ask", json={"question": QUESTION}, timeout=60),
            "/v1/ask 400": httpx.post(f"{url}/v1/ask", json={"question": 5}, timeout=30),
            "/v1/ask 413": httpx.post(f"{url}/v1/ask", content=b"x" * 300_000, timeout=30),
            "/healthz": httpx.get(f"{url}/healthz", timeout=30),
            "/metrics": httpx.get(f"{url}/metrics", timeout=30),
            "/config": httpx.get(f"{url}/config", timeout=30),
        }
        statuses = {name: r.status_code for name, r in responses.items()}
        assert statuses == {
            "/": 200,
            "/admin": 200,
            "/v1/ask": 200,
            "/v1/ask 400": 400,
            "/v1/ask 413": 413,
            "/healthz": 200,
            "/metrics": 200,
            "/config": 200,
        }
        for name, response in responses.items():
            assert {k: response.headers.get(k) for k in SECURITY} == SECURITY, name
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"], name


def test_cookies_the_server_sets_are_httponly_and_samesite():
    from chatbot.web.headers import harden_cookie

    assert harden_cookie(b"a=1; Path=/") == b"a=1; Path=/; HttpOnly; SameSite=Lax"
    assert harden_cookie(b"a=1; httponly; SameSite=Strict") == b"a=1; httponly; SameSite=Strict"


def test_wrong_passwords_make_a_client_wait_longer_each_time_even_with_the_right_one(caplog):
    caplog.set_level(logging.WARNING, logger="chatbot.web.signin")
    now = [0.0]
    sign_in = SignIn(PASSWORD, free_tries=3, first_delay=2.0, clock=lambda: now[0])
    outcomes = [sign_in.attempt("guess", "203.0.113.7") for _ in range(3)]
    assert [(a.outcome, a.wait) for a in outcomes] == [("wrong", 0.0), ("wrong", 0.0), ("wrong", 2.0)]
    now[0] = 1.0
    refused = sign_in.attempt(PASSWORD, "203.0.113.7")  # the right one, within the delay
    assert (refused.outcome, refused.wait) == ("refused", 1.0) and "Try again in 1 s" in refused.message()
    assert sign_in.attempt(PASSWORD, "198.51.100.2").accepted  # another client is not held up
    now[0] = 2.5
    assert (sign_in.attempt("guess", "203.0.113.7").wait, sign_in.attempt("x", "203.0.113.7").outcome) == (4.0, "refused")
    now[0] = 6.5
    assert sign_in.attempt("guess", "203.0.113.7").wait == 8.0  # doubling
    now[0] = 14.5
    assert sign_in.attempt(PASSWORD, "203.0.113.7").accepted  # after the delay: in, and the count cleared
    assert sign_in.attempt("guess", "203.0.113.7").wait == 0.0
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [
        "review page: sign-in from 203.0.113.7 refused for 1 s more (3 wrong passwords)",
        "review page: sign-in from 203.0.113.7 refused for 4 s more (4 wrong passwords)",
    ]


@pytest.mark.server
def test_the_review_page_refuses_a_guessing_client_until_its_delay_has_passed(tiny_index, tmp_path, caplog):
    import time
    import uuid

    caplog.set_level(logging.WARNING, logger="chatbot.web.signin")
    with serving(tiny_index, tmp_path) as (url, _, _):
        window = uuid.uuid4().hex

        def sign_in(password: str, client: str = "203.0.113.7") -> tuple[str, bool]:
            outputs = trigger(url, window, "admin-sign-in", "click", [password], client)
            return outputs[3], outputs[2] == {"visible": True, "__type__": "update"}  # the alert, the main column shown

        assert sign_in("guess") == ("<p role='alert'>Wrong password.</p>", False)
        assert sign_in("guess")[0] == "<p role='alert'>Wrong password.</p>"
        assert sign_in("guess")[0] == "<p role='alert'>Too many wrong passwords. Try again in 2 s.</p>"
        started = time.monotonic()
        refused, shown = sign_in(PASSWORD)  # the right one, within the delay
        assert "Too many wrong passwords" in refused and not shown
        assert sign_in(PASSWORD, "198.51.100.2") == ("", True)  # another client signs in
        time.sleep(max(0.0, 2.1 - (time.monotonic() - started)))
        assert sign_in(PASSWORD) == ("", True)  # after the delay: accepted
    refusals = [r.getMessage() for r in caplog.records if "refused for" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].startswith("review page: sign-in from 203.0.113.7 refused for ")


@pytest.mark.server
def test_serve_refuses_to_start_with_a_short_admin_password(tiny_index, tmp_path):
    command = [sys.executable, "-m", "chatbot", "serve", "--index", str(tiny_index.index_dir), "--model", tiny_index.model]
    command += ["--feedback-db", str(tmp_path / "feedback.sqlite3")]
    done = subprocess.run(
        command, cwd=ROOT, env=dict(ENV, CHATBOT_ADMIN_PASSWORD="short-pass1"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: CHATBOT_ADMIN_PASSWORD has 11 characters; the review page needs at least 12 "
        "(choose a longer one, or unset it to serve without the review page)"
    ]
    assert not (tmp_path / "feedback.sqlite3").exists()


@pytest.mark.server
@pytest.mark.parametrize(
    ("args", "env", "said"),
    [
        (["--rate-limit", "-1"], {}, "--rate-limit (CHATBOT_RATE_LIMIT) must be 0 (no limit) or more"),
        ([], {"CHATBOT_RATE_BURST": "0"}, "--rate-burst (CHATBOT_RATE_BURST) must be at least 1"),
        (["--retention-days", "0"], {}, "--retention-days (CHATBOT_RETENTION_DAYS) must be more than 0"),
    ],
)
def test_serve_refuses_limits_out_of_range_in_one_line(args, env, said, tmp_path):
    from helpers.cli import assert_one_error_line, cli_env, run_cli

    done = run_cli("serve", "--feedback-db", tmp_path / "f.sqlite3", *args, env=cli_env(**env))
    assert assert_one_error_line(done) == f"error: {said}"
