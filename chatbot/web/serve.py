"""`python -m chatbot serve`: load (or build) the index, start the chat window, stop cleanly.

SIGTERM and Ctrl-C both stop the server within a second or so, however many questions are
waiting: the queue takes no more, answers being computed finish, event streams still open get
half a second (`limits.SHUTDOWN_GRACE_SECONDS`) and are then ended, the feedback queue is written and the file closed.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from ..errors import ChatbotError
from ..settings import Settings
from . import serve_edges as edges
from .signin import check_admin_password
from .sizing import CONCURRENCY, QUEUE_SIZE

if TYPE_CHECKING:
    from .metrics import Metrics

SECRET_FILE = ".browser-secret"
ADMIN_PASSWORD = "CHATBOT_ADMIN_PASSWORD"  # set: the review page is served at /admin


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the `serve` subcommand to the CLI."""
    parser = commands.add_parser("serve", parents=[common], help="start the chat window (a local web app)")
    parser.add_argument(
        "--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, help="port (env GRADIO_SERVER_PORT; default 7860, or the next free one)")
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder (env CHATBOT_CORPUS_DIR; default ./corpus)")
    parser.add_argument(
        "--feedback-db",
        metavar="PATH|URL",
        help="where questions and votes are kept: a file, or a postgresql:// URL shared by replicas (env CHATBOT_FEEDBACK_DB)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=CONCURRENCY, metavar="N", help=f"questions answered at once (default {CONCURRENCY})"
    )
    parser.add_argument(
        "--queue-size", type=int, default=QUEUE_SIZE, metavar="N", help=f"questions waiting at most (default {QUEUE_SIZE})"
    )
    parser.add_argument("--log-json", action="store_true", help="log one JSON object a line (for a log collector)")
    edges.add_arguments(parser)
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace, settings: Settings) -> NoReturn:
    """Run the chat window until SIGTERM or Ctrl-C, then end the process (exit code 0)."""
    from ..answering.assistant import Assistant
    from ..answering.live import LiveAssistant
    from ..feedback.review import Review
    from ..feedback.store import FeedbackStore
    from .app import build_app, launch
    from .chat import ChatApp
    from .health import Health
    from .logs import use_json_lines
    from .metrics import Metrics
    from .routes import server_routes
    from .throttle import limiter, trust_forwarded

    settings = edges.apply(args, settings.with_overrides(feedback_db=args.feedback_db))
    password = os.environ.get(ADMIN_PASSWORD, "")
    check_admin_password(password, variable=ADMIN_PASSWORD)
    if args.port is not None:
        _check_port(args.host, args.port)
    logging.getLogger("uvicorn.error").addFilter(_QuietCancel())
    if args.log_json:
        use_json_lines()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # even when started in the background with SIGINT ignored
    store = demo = None
    try:
        _say(f"Loading the guide index from {settings.index_dir} (building it first if needed)…")
        assistant = Assistant.load(settings, build=True, progress=True)
        assistant.warm_up()
        live = LiveAssistant(settings, assistant)  # follows rebuilds of the index folder, by anyone
        store = FeedbackStore(settings.feedback_db, retention_days=settings.retention_days)
        review = (Review(live, store), password) if password else None
        metrics = Metrics()
        throttle = limiter(settings.rate_limit, settings.rate_burst)
        chat = ChatApp(live, store, metrics, throttle)
        demo = build_app(chat, concurrency=args.concurrency, secret=browser_secret(settings.index_dir), review=review)
        health = Health(settings.index_dir, live, store_check=store.ping)
        routes, lean = server_routes(
            chat, health=health, metrics=metrics, concurrency=args.concurrency, queue_size=args.queue_size, throttle=throttle
        )
        watch(metrics, live, demo, lean)
        trust_forwarded(settings.trusted_proxies)
        url = launch(
            demo, host=args.host, port=args.port, queue_size=args.queue_size, concurrency=args.concurrency, routes=routes
        )
        if args.log_json:
            use_json_lines()  # uvicorn set up its own handlers as it started
        _say(f"Chat window running at {url}  (feedback: {store.database}; Ctrl-C to stop)")
        if review is not None:
            _say(f"Review page at {url.rstrip('/')}/admin")
        threading.Event().wait()
    except KeyboardInterrupt:
        _say("Stopping…")
    finally:
        signal.signal(signal.SIGTERM, _exit_now)  # a second signal while stopping ends at once
        signal.signal(signal.SIGINT, _exit_now)
        if demo is not None:
            demo.close(verbose=False)
        if store is not None:
            store.close()
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    _exit_at_once(0)


def watch(metrics: Metrics, live, demo, lean) -> None:
    """What `/metrics` reads at each scrape: the queues, the live build and its query vectors."""
    from .gradio_internals import waiting

    metrics.watch(
        queue_depth=lambda: {"gradio": waiting(demo), "v1": lean.waiting},
        build=lambda: build_labels(live),
        vectors=lambda: (live.assistant.vectors.hits, live.assistant.vectors.misses),
    )


def build_labels(live) -> dict:
    """The index build answering now, as the labels of `/metrics`' chatbot_index_build_info."""
    manifest = live.index.manifest
    return {"build": live.status().build, "model": manifest.model, "built_at": manifest.built_at}


def browser_secret(folder: Path) -> str | None:
    """The key that encrypts the conversations browsers keep across reloads, kept in the index
    folder so they survive a restart; None (a new key per start) when it cannot be kept there."""
    path = Path(folder) / SECRET_FILE
    try:
        if not path.is_file():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(24))
        return path.read_text().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def _say(text: str) -> None:
    """Print a status line; a terminal that has gone away must not stop a clean shutdown."""
    try:
        print(text, flush=True)
    except OSError:
        pass


def _check_port(host: str, port: int) -> None:
    """Fail at once, before loading anything, when the port is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ChatbotError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --port") from None


def _exit_at_once(code: int) -> NoReturn:
    """End the process now that everything is written and closed: the interpreter's own teardown
    (freeing the model, the index and Gradio) would add ~1 s to every stop."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


class _QuietCancel(logging.Filter):
    """Uvicorn's line for the event streams still open when the server stops: expected, not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Cancel %s running task(s)")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _exit_now(signum, frame) -> None:
    os._exit(128 + signum)
