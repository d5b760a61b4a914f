"""Feedback under a locked file: another process holds the feedback file's write lock for
`--hold` seconds while questions are logged; prints how long `log_question` took at most and
whether every row was written once the lock went.

    .venv/bin/python scripts/feedback_lock.py              # a 15 s lock, 300 questions
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The other process: takes the write lock, says so, holds it, lets go.
HOLD = (
    "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None);"
    " db.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(float(sys.argv[2])); db.execute('COMMIT')"
)


def main(argv: list[str] | None = None) -> int:
    from chatbot.answering.answer import Answer
    from chatbot.feedback.store import FeedbackStore, summarize

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold", type=float, default=15.0, help="seconds the other process holds the lock (default 15)")
    parser.add_argument("--questions", type=int, default=300, help="questions logged while it does (default 300)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="feedback-lock-") as folder:
        store = FeedbackStore(Path(folder) / "feedback.sqlite3")
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(store.path), str(args.hold)], stdout=subprocess.PIPE, text=True
        )
        holder.stdout.readline()  # "locked"
        started = time.perf_counter()
        slowest = 0.0
        for n in range(args.questions):
            answer = Answer(question=f"question {n}", answer="an answer", in_scope=True, reason="answered")
            before = time.perf_counter()
            question_id = store.log_question(answer, channel="api")
            store.vote(question_id, n % 2 == 0)
            slowest = max(slowest, time.perf_counter() - before)
            time.sleep(args.hold / args.questions / 2)  # spread over the first half of the lock
        logged_in = time.perf_counter() - started
        holder.wait()
        store.flush(timeout=60)
        written_after = time.perf_counter() - started
        summary = summarize(store.path)
        store.close()
    print(f"lock held by another process   {args.hold:g} s")
    print(f"questions and votes logged     {args.questions} + {args.questions} in {logged_in:.1f} s")
    print(f"slowest log_question + vote    {slowest * 1000:.2f} ms")
    print(f"all written                    {written_after:.1f} s after the first")
    print(f"rows in the file               {summary.questions} questions, {summary.likes + summary.dislikes} votes")
    print(f"rows lost                      {store.lost}")
    return 0 if summary.questions == args.questions and not store.lost else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
