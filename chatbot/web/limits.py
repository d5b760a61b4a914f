"""What keeps `serve` bounded whatever clients send: request size, session memory, log lines.

- A request body over `MAX_REQUEST_BYTES` is refused with HTTP 413 and a one-line reason before
  Gradio parses it: at once when its Content-Length says so, else as soon as it has grown past.
- Gradio keeps, for every session, a copy of the whole page's configuration with the last
  inputs and outputs of each event (only to serve deep links, which this app does not offer).
  `guard` drops that copy after each event, so a session keeps nothing of what it sent, and at
  most `SESSIONS` sessions are kept (the least recently used are dropped first).
- A request Gradio cannot handle (an unknown API name, wrong types, a malformed chat history)
  is one log line and a one-line error to its caller, never a traceback.

Gradio is imported inside the functions that need it; this module is imported by `launch`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextvars import ContextVar

from starlette.exceptions import HTTPException

from .gradio_internals import forget_page, is_unknown_function, wrap_events

log = logging.getLogger(__name__)

# The largest legitimate request is the chat window's: it sends the whole conversation, about
# 2.3 KB an exchange (the answers' HTML included), so 256 KiB holds ~100 exchanges. An API call
# is a question (read up to 1,000 characters) and its earlier questions: a few KB.
MAX_REQUEST_BYTES = 256 * 1024
# Sessions kept in memory: one per open chat window and one per API call, the least recently
# used dropped first (a dropped window keeps its chat; thumbs on its earlier answers are not
# recorded). Gradio creates a session of ~28 KB for any request naming a new one, even before it
# fails, so 1,000 sessions cost at most ~30 MB.
SESSIONS = 1000
REASON_CHARS = 200
# On shutdown, how long open connections (event streams waiting for an answer) may take to end.
SHUTDOWN_GRACE_SECONDS = 0.5
# Whether the request being handled has had its log line (an event that failed inside it).
_logged: ContextVar[bool] = ContextVar("logged", default=False)


def app_kwargs(routes: Sequence = ()) -> dict:
    """Settings for Gradio's FastAPI app: security headers (`chatbot/headers.py`), the request log
    and size limit, the limit's reply, and the server's own `routes` (placed before Gradio's)."""
    from starlette.middleware import Middleware

    from .headers import SecurityHeaders

    return {
        "exception_handlers": {TooLarge: _too_large},
        "middleware": [Middleware(SecurityHeaders), Middleware(OneLineErrors)],  # the first wraps the rest
        "routes": list(routes),
    }


def mark_logged() -> None:
    """Say that the request being handled has had its log line (the middleware adds none)."""
    _logged.set(True)


def guard(demo) -> None:
    """Make every event of `demo` log one line when it fails and keep no copy of its data."""
    import gradio as gr

    def wrap(process_api):
        async def guarded(block_fn, inputs, state=None, *args, **kwargs):
            try:
                return await process_api(block_fn, inputs, state, *args, **kwargs)
            except gr.Error as exc:  # the app's own one-line error (e.g. "No such section")
                if not getattr(exc, "logged", False):
                    log.warning("refused %s: %s", _name(block_fn), one_line(exc.message))
                _logged.set(True)
                exc.print_exception = False
                raise
            except Exception as exc:
                log.warning("bad request to %s: %s", _name(block_fn), one_line(exc))
                _logged.set(True)
                log.debug("bad request to %s", _name(block_fn), exc_info=True)
                raise gr.Error(f"Could not handle this request: {one_line(exc)}", print_exception=False) from None
            finally:
                forget_page(state)  # the page as this session last saw it (deep links only)

        return guarded

    wrap_events(demo, wrap)


def one_line(exc: BaseException | str) -> str:
    """The first line of an exception's message, short enough for a log line."""
    text = str(exc).strip().splitlines()
    line = " ".join(text[0].split()) if text else type(exc).__name__
    return line if len(line) <= REASON_CHARS else line[: REASON_CHARS - 1] + "…"


class OneLineErrors:
    """ASGI middleware: the size limit, and one log line (never a traceback) for a request that
    fails or is refused. A request still open when the server stops is ended quietly.

    An exception that escapes Gradio's routes (an unknown API name, an unknown function index)
    becomes a JSON error (404 for a name or index that does not exist, 400 otherwise).
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = f"{scope.get('method', '')} {scope.get('path', '')}"
        if _content_length(scope) > MAX_REQUEST_BYTES:  # refused before a byte of it is read
            log.warning("refused %s: HTTP 413, %s bytes", where, f"{_content_length(scope):,}")
            await _too_large_response()(scope, receive, send)
            return
        started = finished = False
        received = 0
        _logged.set(False)

        async def receiving():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_REQUEST_BYTES:
                raise TooLarge  # FastAPI passes an HTTPException on to `_too_large` as it is
            return message

        async def sending(message) -> None:
            nonlocal started, finished
            finished = message["type"] == "http.response.body" and not message.get("more_body", False)
            if message["type"] == "http.response.start":
                started = True
                if message["status"] >= 400 and scope.get("method") != "GET" and not _logged.get():
                    log.warning("refused %s: HTTP %d", where, message["status"])
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except asyncio.CancelledError:  # the server is stopping and this request's time is up
            if finished:
                raise
            if started:  # an event stream still waiting for an answer: end it
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            else:
                await _shutting_down()(scope, receive, send)
        except Exception as exc:
            if started:
                log.warning("failed %s: %s", where, one_line(exc))
                return
            from starlette.responses import JSONResponse

            status = 404 if _is_lookup(exc) else 400
            log.warning("refused %s: HTTP %d, %s", where, status, one_line(exc))
            await JSONResponse({"error": one_line(exc)}, status_code=status)(scope, receive, send)


class TooLarge(HTTPException):
    """A request body that grew past `MAX_REQUEST_BYTES` while it was read."""

    def __init__(self) -> None:
        super().__init__(413)


async def _too_large(request, exc):
    """The reply to a body that grew past the limit while it was read (no Content-Length)."""
    return _too_large_response()


def _too_large_response():
    from starlette.responses import JSONResponse

    return JSONResponse(
        {"error": f"request too large: at most {MAX_REQUEST_BYTES:,} bytes (a question is read up to 1,000 characters)"},
        status_code=413,
    )


def _shutting_down():
    from starlette.responses import JSONResponse

    return JSONResponse({"error": "the server is shutting down; ask again in a moment"}, status_code=503)


def _content_length(scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _is_lookup(exc: Exception) -> bool:
    return isinstance(exc, LookupError) or is_unknown_function(exc)


def _name(block_fn) -> str:
    name = getattr(block_fn, "api_name", None) or getattr(block_fn, "name", None)
    return f"/{name}" if name else f"function {block_fn}"
