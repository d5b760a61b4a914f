"""The feedback store on each engine: how fast questions and votes are written to a SQLite file and
to a PostgreSQL server (a throwaway one with PostgreSQL's default durability,
`scripts/throwaway_postgres.py`), and how long after a stopped server comes back every waiting row
is written. Rows/s count from the first question logged to the last row written (this process
both logs and writes, on the same cores).

    .venv/bin/python scripts/store_bench.py                      # 5,000 questions + 5,000 votes per engine
    .venv/bin/python scripts/store_bench.py --rows 20000 --down 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from throwaway_postgres import PostgresServer, unavailable  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="questions logged per engine, each with a vote (default 5000)")
    parser.add_argument("--down", type=float, default=5.0, help="seconds the server stays stopped (default 5)")
    args = parser.parse_args(argv)
    reason = unavailable()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    server = PostgresServer(durable=True)  # commits reach the disk, as on a real server
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="store-bench-") as folder:
            for name, target in (("sqlite", Path(folder) / "feedback.sqlite3"), ("postgresql", server.url())):
                seconds, slowest, lost = write_throughput(target, args.rows)
                print(
                    f"{name:<11} {args.rows} questions + {args.rows} votes written in {seconds:.2f} s "
                    f"({2 * args.rows / seconds:,.0f} rows/s); slowest log_question + vote {slowest * 1000:.2f} ms; lost {lost}"
                )
        recovery(server, args.down)
    finally:
        server.destroy()
    return 0


def write_throughput(target, rows: int) -> tuple[float, float, int]:
    """Seconds from the first question logged to every row written, the slowest call, rows lost."""
    from chatbot.feedback.store import FeedbackStore

    store = FeedbackStore(target)
    slowest = 0.0
    started = time.perf_counter()
    for n in range(rows):
        before = time.perf_counter()
        store.vote(store.log_question(answer(n), channel="api"), n % 2 == 0)
        slowest = max(slowest, time.perf_counter() - before)
    store.flush(timeout=600)
    seconds = time.perf_counter() - started
    store.close()
    return seconds, slowest, store.lost


def recovery(server: PostgresServer, down: float) -> None:
    """Stop the server, keep logging for `down` seconds, start it: how long until every row is written."""
    from chatbot.feedback.store import FeedbackStore, summarize

    url = server.url()
    store = FeedbackStore(url)
    server.stop()
    stopped = time.perf_counter()
    logged, slowest = 0, 0.0
    while time.perf_counter() - stopped < down:
        before = time.perf_counter()
        store.log_question(answer(logged), channel="chat")
        slowest = max(slowest, time.perf_counter() - before)
        logged += 1
        time.sleep(0.01)
    server.start()
    back = time.perf_counter()
    store.flush(timeout=600)
    caught_up = time.perf_counter() - back
    store.close()
    print(
        f"postgresql  stopped {down:g} s while {logged} questions were logged (slowest log_question {slowest * 1000:.2f} ms); "
        f"all written {caught_up:.2f} s after it was back; rows in the database {summarize(url).questions}, lost {store.lost}"
    )


def answer(n: int):
    from chatbot.answering.answer import Answer

    return Answer(
        question=f"how much do medical assistants earn in state {n}?", answer="About $38,270.", in_scope=True, reason="answered"
    )


if __name__ == "__main__":
    sys.exit(main())
