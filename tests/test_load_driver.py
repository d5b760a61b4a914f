"""The load test's lean `/v1/ask` driver (`scripts/http_v1.py`) against a scripted HTTP server in
this process: replies by length and in chunks, errors, a kept-alive connection the server closed,
and the load test still checking every answer it gets."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from http_v1 import V1Client
from load_test import CONVERSATIONS, distinct_questions, run_sessions, turns


def reply(status: int, data: dict, *, chunked: bool = False, close: bool = False) -> bytes:
    body = json.dumps(data).encode()
    head = f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
    head += "connection: close\r\n" if close else ""
    if chunked:
        middle = len(body) // 2
        parts = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:middle], body[middle:]))
        return (head + "transfer-encoding: chunked\r\n\r\n").encode() + parts + b"0\r\n\r\n"
    return (head + f"content-length: {len(body)}\r\n\r\n").encode() + body


class Scripted:
    """An HTTP server answering each request with `answer(request_number, body)`; it closes a
    connection after the replies listed in `close_after` (without saying so)."""

    def __init__(self, answer, close_after: tuple[int, ...] = ()) -> None:
        self.answer = answer
        self.close_after = close_after
        self.requests: list[dict] = []
        self.connections = 0
        self.handlers: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.handlers.add(asyncio.current_task())
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
                )
                body = json.loads(await reader.readexactly(length))
                number = len(self.requests)
                self.requests.append(body)
                writer.write(self.answer(number, body))
                await writer.drain()
                if number in self.close_after:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    async def url(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"

    async def stop(self) -> None:
        self.server.close()
        await asyncio.gather(*self.handlers)


def test_replies_by_length_in_chunks_and_errors_on_one_connection():
    async def run():
        answers = [reply(200, {"n": 0}), reply(200, {"n": 1}, chunked=True), reply(400, {"error": "question is missing"})]
        server = Scripted(lambda number, body: answers[number])
        client = V1Client(await server.url(), timeout=5)
        first = await client.ask("hello", [])
        second = await client.ask("and then?", ["hello"])
        with pytest.raises(RuntimeError, match="HTTP 400: .*question is missing"):
            await client.ask("", [])
        await client.close()
        return first, second, server

    first, second, server = asyncio.run(run())
    assert (first, second) == ({"n": 0}, {"n": 1})
    assert server.requests == [
        {"question": "hello", "history": []},
        {"question": "and then?", "history": ["hello"]},
        {"question": "", "history": []},
    ]
    assert server.connections == 1


@pytest.mark.parametrize("says_so", [True, False])
def test_a_closed_connection_is_replaced(says_so):
    async def run():
        server = Scripted(lambda number, body: reply(200, {"n": number}, close=says_so and number == 0), close_after=(0,))
        client = V1Client(await server.url(), timeout=5)
        replies = [await client.ask("a", []), await client.ask("b", [])]
        await client.close()
        return replies, server

    replies, server = asyncio.run(run())
    assert replies == [{"n": 0}, {"n": 1}]
    assert server.connections == 2


def test_a_reply_that_never_comes_times_out():
    async def run():
        async def silent(reader, writer):
            await reader.read()

        listening = await asyncio.start_server(silent, "127.0.0.1", 0)
        client = V1Client(f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}/", timeout=0.2)
        with pytest.raises(TimeoutError):
            await client.ask("a", [])
        listening.close()

    asyncio.run(run())


def test_the_load_test_checks_the_answers_the_v1_driver_gets():
    """A reply that cites nothing and reads no follow-up is counted wrong, never just timed."""
    sessions, questions = 2, len(CONVERSATIONS[0])
    loop = asyncio.new_event_loop()
    server = Scripted(
        lambda number, body: reply(200, {"answer": "x", "reason": "answered", "citations": [], "interpreted_as": "x"})
    )
    url = loop.run_until_complete(server.url())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        results, wall = run_sessions(url, sessions, questions, driver="v1", timeout=5)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
    assert len(results) == sessions * questions and wall > 0
    assert not any(r.error for r in results)
    wrong = {r.question: r.wrong for r in results if r.session == 0}
    assert wrong["What certifications can a medical assistant get?"].startswith("cited []")
    assert wrong["and how long does it take?"].startswith("read as 'x'")
    assert wrong["thanks"] == "reason 'answered', expected 'thanks'"
    assert {tuple(r.history) for r in results if r.question == "and how long does it take?"} == {
        ("What certifications can a medical assistant get?",)
    }


def test_a_distinct_load_asks_each_bank_question_once_as_conversations(tmp_path):
    bank = [{"question": f"question {n}?", "answered": n % 3 > 0} for n in range(30)] + [{"question": "question 4?"}]
    (tmp_path / "guide.questions.jsonl").write_text("\n".join(json.dumps(line) for line in bank) + "\n", encoding="utf-8")
    (tmp_path / "guide.conversations.jsonl").write_text(json.dumps({"message": "not asked"}) + "\n", encoding="utf-8")
    pool = distinct_questions(tmp_path)
    assert sorted(pool) == sorted(f"question {n}?" for n in range(30))  # answered or not, each once
    assert pool == distinct_questions(tmp_path) and pool != sorted(pool)  # shuffled, the same every run
    asked = [question for number in range(3) for question, _ in turns(number, 10, pool)]
    assert asked == pool and all(expected is None for number in range(3) for _, expected in turns(number, 10, pool))
    assert turns(1, 3) == [CONVERSATIONS[1][i] for i in range(3)]  # without a pool: the conversations


@pytest.mark.server
def test_route_cost_reports_the_route_and_the_stack_with_canned_answers():
    """scripts/route_cost.py serves the real app over canned answers (its client asserts each one)."""
    import re
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "scripts/route_cost.py", "--requests", "100", "--sessions", "5", "--http", "h11"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "uvicorn --http h11 --loop auto" in result.stdout
    figures = re.findall(r"(server CPU|load generator|the whole ASGI stack|the route alone) ([\d.]+) ms", result.stdout)
    assert [name for name, _ in figures] == ["server CPU", "load generator", "the whole ASGI stack", "the route alone"]
    assert all(float(value) > 0 for _, value in figures)
