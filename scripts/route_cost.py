"""What the lean route costs beside the answer: the real app (`build_app`, `launch`, the server's
routes, middleware and metrics) answering every question with a canned reply, so only the route
is left. Prints, per request:

- the server's CPU (from /proc) over HTTP, loaded by the lean `/v1/ask` client (`http_v1.py`),
  and the client's own CPU (it shares the cores);
- in process, the ASGI stack around the route (uvicorn's proxy headers, FastAPI, Gradio's and
  the server's middleware) against the route called alone.

    .venv/bin/python scripts/route_cost.py                            # uvicorn's defaults (httptools and uvloop when installed)
    .venv/bin/python scripts/route_cost.py --http h11 --loop asyncio  # the pure-Python parser and loop, to compare
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
BODY = json.dumps({"question": "How much do medical assistants earn?", "history": ["What does a medical assistant do?"]})


class CannedAssistant:
    """An Assistant that answers at once with a reply the size of a real one (~4 KB of JSON)."""

    def sections(self) -> list[tuple[str, ...]]:
        return [("Guide",), ("Guide", "Pay")]

    def section_text(self, path) -> str:
        return "text"

    def ask(self, question: str, history=()):
        from chatbot.answering.answer import Answer

        return Answer(question=question, answer="A medical assistant earns… [1]" * 100, in_scope=True, reason="answered")


def app(port: int, *, http: str, loop: str):
    """The chat window's app and its server routes over `CannedAssistant`, serving on `port`."""
    import gradio.http_server
    import uvicorn

    class Config(uvicorn.Config):  # uvicorn's parser and loop, which Gradio leaves on "auto"
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **{**kwargs, "http": http, "loop": loop})

    gradio.http_server.uvicorn.Config = Config
    sys.path.insert(0, str(ROOT))
    from chatbot.web.app import build_app, launch
    from chatbot.web.chat import ChatApp
    from chatbot.web.metrics import Metrics
    from chatbot.web.routes import server_routes

    chat = ChatApp(CannedAssistant(), None, Metrics())
    demo = build_app(chat)
    routes, _ = server_routes(chat, health=None, metrics=chat.metrics, concurrency=2, queue_size=256)
    launch(demo, port=port, routes=routes)
    return demo, routes


def stack_cost(demo, routes, requests: int) -> tuple[float, float]:
    """Milliseconds of CPU a request through the whole ASGI stack, and through the route alone."""
    body = BODY.encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/ask",
        "raw_path": b"/v1/ask",
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"x"), (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        pass

    async def cost(target) -> float:
        for _ in range(requests // 10):
            await target(dict(scope), receive, send)
        started = time.process_time()
        for _ in range(requests):
            await target(dict(scope), receive, send)
        return (time.process_time() - started) * 1000 / requests

    async def both() -> tuple[float, float]:
        return await cost(demo.server.config.loaded_app), await cost(routes[0].app)

    return asyncio.run(both())


def http_cost(port: int, pid: int, sessions: int, requests: int) -> dict:
    """Server and client CPU a request over HTTP, `sessions` kept-alive connections at once."""
    from http_v1 import V1Client

    async def load(count: int) -> None:
        clients = [V1Client(f"http://127.0.0.1:{port}/", 30) for _ in range(sessions)]

        async def session(client: V1Client) -> None:
            for _ in range(count // sessions):
                reply = await client.ask("How much do medical assistants earn?", ["What does a medical assistant do?"])
                assert reply["reason"] == "answered", reply
            await client.close()

        await asyncio.gather(*(session(c) for c in clients))

    asyncio.run(load(requests // 5))  # warm up
    server, client, wall = _cpu(pid), time.process_time(), time.perf_counter()
    asyncio.run(load(requests))
    done = requests // sessions * sessions
    return {
        "server_cpu_ms": round((_cpu(pid) - server) * 1000 / done, 3),
        "client_cpu_ms": round((time.process_time() - client) * 1000 / done, 3),
        "requests_per_s": round(done / (time.perf_counter() - wall), 1),
    }


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--http", default="auto", help="uvicorn's HTTP parser: auto, h11 or httptools (default auto)")
    parser.add_argument("--loop", default="auto", help="uvicorn's event loop: auto, asyncio or uvloop (default auto)")
    parser.add_argument("--requests", type=int, default=4000, help="requests over HTTP (default 4000)")
    parser.add_argument("--sessions", type=int, default=50, help="connections at once (default 50)")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the child that serves
    args = parser.parse_args()
    if args.serve:
        app(args.serve, http=args.http, loop=args.loop)
        print("serving", flush=True)
        threading.Event().wait()
    from load_test import free_port

    demo, routes = app(free_port(), http=args.http, loop=args.loop)
    whole, alone = stack_cost(demo, routes, 2000)
    demo.close(verbose=False)
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(port), "--http", args.http, "--loop", args.loop]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in child.stdout:
            if line.startswith("serving"):
                break
        figures = http_cost(port, child.pid, args.sessions, args.requests)
    finally:
        child.kill()
    load = os.getloadavg()[0]
    print(f"uvicorn --http {args.http} --loop {args.loop}, canned answers, load average {load:.2f}")
    print(f"  over HTTP ({args.sessions} connections): server CPU {figures['server_cpu_ms']} ms a request,")
    print(f"    load generator {figures['client_cpu_ms']} ms, {figures['requests_per_s']} requests/s")
    print(f"  in process: the whole ASGI stack {whole:.3f} ms a request, the route alone {alone:.3f} ms")
    print(f"    (middleware and routing {whole - alone:.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
