"""The server's own HTTP routes beside Gradio's: `GET /healthz`, `GET /metrics`, `POST /v1/ask`.

`POST /v1/ask` is the lean route for programs: a JSON object `{"question": str, "history": [str]}`
in, the same JSON object as `/ask` (and `python -m chatbot ask --json`) out. It keeps no session:
no Gradio queue, no event stream, nothing remembered between calls. Bad input is a 400 (413 for
a body over the request limit) with `{"error": "…"}` and one log line; when `queue_size`
questions already wait, a 503. At most `concurrency` questions are answered at once.

The routes are handed to Gradio's FastAPI app when it is created (`launch(routes=…)`, through
FastAPI's `routes` argument), so they sit before Gradio's own and behind the same middleware
(the request size limit and its one-line errors, `chatbot/web/limits.py`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from . import api
from .limits import mark_logged
from .throttle import client_of, retry_after

log = logging.getLogger(__name__)

FIELDS = ("question", "history")


@dataclass
class Waiting:
    """Questions on the lean route: taken in (answering or waiting), and the limiter of those answering."""

    limiter: object  # anyio.CapacityLimiter
    taken: int = 0

    @property
    def waiting(self) -> int:
        return max(0, self.taken - int(self.limiter.borrowed_tokens))


def server_routes(chat, *, health, metrics, concurrency: int, queue_size: int, throttle=None) -> tuple[list, Waiting]:
    """The three routes (Starlette routes, for FastAPI's `routes=`) and the lean route's counts;
    `throttle` (a `throttle.RateLimiter`) limits `/v1/ask` per client (429 with `Retry-After`)."""
    import anyio
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from .metrics import CONTENT_TYPE

    limiter = anyio.CapacityLimiter(concurrency)
    counts = Waiting(limiter)

    def answer(question: str, history: list[str]) -> bytes:
        data = chat.answer(question, history, channel="v1")[0].to_dict()
        return json.dumps(data, ensure_ascii=False).encode()

    async def ask(request):
        wait = throttle.wait(client_of(request)) if throttle is not None else 0.0
        if wait:
            mark_logged()  # counted in /metrics, not one log line each: a flood must not flood the log
            if metrics is not None:
                metrics.rate_limited("v1")
            return JSONResponse(
                {"error": f"too many questions from your address; ask again in {retry_after(wait)} s"},
                status_code=429,
                headers={"Retry-After": str(retry_after(wait))},
            )
        try:
            question, history = _read_ask(await request.body())
        except api.BadRequest as exc:
            log.warning("bad request to /v1/ask: %s", exc)
            mark_logged()
            return JSONResponse({"error": str(exc)}, status_code=400)
        if counts.taken >= concurrency + queue_size:
            log.warning("refused /v1/ask: %d questions already waiting", counts.waiting)
            mark_logged()
            return JSONResponse({"error": "the server is busy; ask again in a moment"}, status_code=503)
        counts.taken += 1
        try:
            body = await anyio.to_thread.run_sync(answer, question, history, limiter=limiter)
        finally:
            counts.taken -= 1
        return Response(body, media_type="application/json")

    async def healthz(request):
        report = await anyio.to_thread.run_sync(health.check)
        return JSONResponse(report.to_dict(), status_code=200 if report.ok else 503)

    async def scrape(request):
        return Response(metrics.scrape(), media_type=CONTENT_TYPE)

    routes = [
        Route("/v1/ask", ask, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/metrics", scrape, methods=["GET"]),
    ]
    return routes, counts


def _read_ask(body: bytes) -> tuple[str, list[str]]:
    """The question and history of a `/v1/ask` body, or BadRequest."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise api.BadRequest(f"the body must be a JSON object ({exc})") from None
    if not isinstance(data, dict):
        raise api.BadRequest('the body must be a JSON object: {"question": "…", "history": ["…"]}')
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise api.BadRequest(f"unknown field {unknown[0]!r}; the body takes question and history")
    if "question" not in data:
        raise api.BadRequest("question is missing")
    return api.checked_ask(data["question"], data.get("history"))
