"""What people asked and how they rated the answers, in a local SQLite file.

Every question is logged with how it was handled (`in_scope`, `reason`) and the sections it
cited; thumbs up/down attach to a logged question. `summarize` and `read_log` read the file back
for whoever maintains the guide (`python -m chatbot feedback`, `chatbot/report.py`).
"""

from __future__ import annotations

import json
import logging
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .answer import EMPTY, GREETING, THANKS, Answer
from .errors import ChatbotError
from .render import plain

log = logging.getLogger(__name__)

STORED_QUESTION_CHARS = 2000
STORED_COMMENT_CHARS = 500
# The writer thread: how long it retries a batch while another process holds the file's lock,
# how long one try waits for the lock, how many rows go in one transaction and wait in the
# queue at most, and how long `close` waits for the queue to be written.
RETRY_SECONDS = 120.0
BUSY_SECONDS = 1.0
BATCH_ROWS = 100
QUEUE_ROWS = 10_000
CLOSE_SECONDS = 2.0
# Replies that are not a failure of the guide: small talk and empty messages.
NOT_DECLINED = (EMPTY, GREETING, THANKS)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    interpreted_as TEXT NOT NULL,
    in_scope INTEGER NOT NULL,
    reason TEXT NOT NULL,
    answer TEXT NOT NULL,
    sections TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    question_id INTEGER PRIMARY KEY REFERENCES questions(id),
    voted_at TEXT NOT NULL,
    liked INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS questions_declined ON questions(in_scope, reason);
"""


@dataclass(frozen=True)
class Summary:
    """Counts, the most-asked declined questions and the disliked answers."""

    path: Path
    questions: int
    answered: int
    declined: int
    likes: int
    dislikes: int
    top_declined: list[dict]
    disliked: list[dict]

    def to_dict(self) -> dict:
        return {
            "feedback_db": str(self.path),
            "questions": self.questions,
            "answered": self.answered,
            "declined": self.declined,
            "likes": self.likes,
            "dislikes": self.dislikes,
            "top_declined": self.top_declined,
            "disliked": self.disliked,
        }


class FeedbackStore:
    """A log of questions and votes that never makes an answer wait.

    `log_question` and `vote` put the row on a queue and return at once; one background thread
    writes the queue to SQLite in order, retrying while another process holds the file's lock
    (for up to `RETRY_SECONDS`). A question's id is allocated in memory, so a vote can refer to
    it before it is written. A feedback file deleted while serving is recreated with a warning;
    rows that are finally lost are counted in one log line. `close` writes what is queued.
    """

    def __init__(self, path: str | Path, *, retry_seconds: float = RETRY_SECONDS) -> None:
        self.path = Path(path)
        self.retry_seconds = retry_seconds
        self.lost = 0  # rows that could not be written
        self._queue: queue.Queue[_Row | None] = queue.Queue(QUEUE_ROWS)
        self._overflow = 0  # rows dropped since the queue was last accepting
        self._ids = threading.Lock()
        self._renumbered: dict[int, int] = {}  # an allocated id taken by another writer -> the row's id
        self._deadline: float | None = None  # set by close(): give up retrying after it
        self._abandoned = 0  # rows given up at close
        self._closed = False
        self._db = self._open()
        self._identity = _identity(self.path)
        self._next_id = (self._db.execute("SELECT MAX(id) FROM questions").fetchone()[0] or 0) + 1
        self._writer = threading.Thread(target=self._write_queue, name="feedback-writer", daemon=True)
        self._writer.start()

    def log_question(self, answer: Answer, *, channel: str) -> int | None:
        """Queue a handled question; its id (for votes), or None once the store is closed."""
        row = (
            _now(),
            channel,
            plain(answer.question)[:STORED_QUESTION_CHARS],
            plain(answer.interpreted_as)[:STORED_QUESTION_CHARS],
            int(answer.in_scope),
            answer.reason,
            plain(answer.answer),
            json.dumps([c.heading for c in answer.citations], ensure_ascii=False),
        )
        with self._ids:
            question_id = self._next_id
            if not self._enqueue(_Row(_QUESTION, (question_id, *row))):
                return None
            self._next_id += 1
        return question_id

    def vote(self, question_id: int, liked: bool | None, comment: str = "") -> None:
        """Thumbs up (True) or down (False) on a logged answer, with an optional "what was wrong?";
        None withdraws the vote. A later vote replaces the earlier one."""
        if liked is None:
            row = _Row(_UNVOTE, (question_id,))
        else:
            comment = " ".join(plain(comment).split())[:STORED_COMMENT_CHARS]
            row = _Row(_VOTE, (question_id, _now(), int(liked), comment))
        with self._ids:
            self._enqueue(row)

    def _enqueue(self, row: _Row) -> bool:
        """Queue a row (under `self._ids`); False when it is dropped."""
        if self._closed:
            log.warning("feedback not saved to %s: the store is closed", self.path)
            return False
        try:
            self._queue.put_nowait(row)
        except queue.Full:  # the file has stayed locked for long: count what is dropped
            self._overflow += 1
            self.lost += 1
            return False
        if self._overflow:
            log.warning("feedback: %d rows lost, the write queue to %s was full", self._overflow, self.path)
            self._overflow = 0
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait (at most `timeout` seconds) until every queued row is written or given up."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline and self._writer.is_alive():
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout` seconds), then close the file.

        Later writes are dropped with a warning; rows still unwritten are counted as lost.
        """
        with self._ids:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + timeout
        self._queue.put(None)  # waits for room when full: the writer gives up on a locked file by the deadline
        self._writer.join(timeout + 0.5)
        if self._writer.is_alive():  # stuck in SQLite: what is still queued is lost
            unwritten = self._queue.unfinished_tasks - 1
            self.lost += unwritten
            log.warning("feedback: %d rows lost, %s stayed locked past shutdown", unwritten, self.path)
            return
        try:
            self._db.close()
        except sqlite3.Error:
            pass

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=BUSY_SECONDS)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            _add_missing_columns(db)
        except (OSError, sqlite3.Error) as exc:
            raise ChatbotError(f"cannot open the feedback file {self.path} ({exc}); pass --feedback-db PATH") from None
        return db

    def _write_queue(self) -> None:
        """The writer thread: rows in the order they came, a batch to a transaction."""
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH_ROWS and not self._queue.empty():
                batch.append(self._queue.get())
            rows = [row for row in batch if row is not None]
            if rows:
                self._write_with_retry(rows)
            for _ in batch:
                self._queue.task_done()
            if len(rows) < len(batch):  # close() was called
                if self._abandoned:
                    log.warning("feedback: %d rows lost, %s stayed locked past shutdown", self._abandoned, self.path)
                return

    def _write_with_retry(self, rows: list[_Row]) -> None:
        give_up = time.monotonic() + self.retry_seconds
        pause = 0.05
        while not self._abandoned:
            try:
                self._reopen_if_gone()
                with self._db:
                    for row in rows:
                        self._apply(row)
                return
            except (sqlite3.Error, ChatbotError) as exc:
                error = exc
            if not _retryable(error) or time.monotonic() + pause > give_up:
                self.lost += len(rows)
                log.warning("feedback: %d rows lost, not written to %s (%s)", len(rows), self.path, error)
                return
            if self._deadline is not None and time.monotonic() + pause > self._deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        self._abandoned += len(rows)  # closing, and the file is still locked: counted in one line at the end
        self.lost += len(rows)

    def _reopen_if_gone(self) -> None:
        """A feedback file deleted (or replaced) while serving is recreated, with a warning."""
        identity = _identity(self.path)
        if identity == self._identity:
            return
        log.warning("feedback file %s was removed while serving; recreating it", self.path)
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        self._db = self._open()
        self._identity = _identity(self.path)

    def _apply(self, row: _Row) -> None:
        if row.kind == _QUESTION:
            question_id, *values = row.values
            columns = "asked_at, channel, question, interpreted_as, in_scope, reason, answer, sections"
            try:
                self._db.execute(f"INSERT INTO questions (id, {columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row.values)
            except sqlite3.IntegrityError:  # another process took the id: the row gets the next free one
                cursor = self._db.execute(f"INSERT INTO questions ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", values)
                self._renumbered[question_id] = cursor.lastrowid
        elif row.kind == _VOTE:
            question_id, *values = row.values
            self._db.execute(
                "INSERT INTO votes (question_id, voted_at, liked, comment) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(question_id) DO UPDATE SET"
                " voted_at = excluded.voted_at, liked = excluded.liked, comment = excluded.comment",
                (self._renumbered.get(question_id, question_id), *values),
            )
        else:
            question_id = row.values[0]
            self._db.execute("DELETE FROM votes WHERE question_id = ?", (self._renumbered.get(question_id, question_id),))


@dataclass(frozen=True)
class _Row:
    """One queued write: a question, a vote or a withdrawn vote, with its values."""

    kind: str
    values: tuple


_QUESTION, _VOTE, _UNVOTE = "question", "vote", "unvote"


def _identity(path: Path) -> tuple[int, int] | None:
    """What tells a file from its replacement: (device, inode), or None when it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _retryable(error: Exception) -> bool:
    """A lock held by another writer passes; anything else (a full disk, a bad file) is final."""
    return isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error))


def _add_missing_columns(db: sqlite3.Connection) -> None:
    """Bring a feedback file written by an older version up to the current schema."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(votes)")}
    if "comment" not in columns:
        with db:
            db.execute("ALTER TABLE votes ADD COLUMN comment TEXT NOT NULL DEFAULT ''")


def summarize(path: str | Path, *, limit: int = 10) -> Summary:
    """Read a feedback file (without creating it) into a Summary."""
    path = Path(path)
    if not path.is_file():
        return Summary(path, 0, 0, 0, 0, 0, [], [])
    db = _open_read_only(path)
    try:
        db.row_factory = sqlite3.Row
        placeholders = ", ".join("?" for _ in NOT_DECLINED)
        totals = db.execute(
            f"SELECT COUNT(*) AS questions, COALESCE(SUM(in_scope), 0) AS answered,"
            f" COALESCE(SUM(in_scope = 0 AND reason NOT IN ({placeholders})), 0) AS declined FROM questions",
            NOT_DECLINED,
        ).fetchone()
        votes = db.execute(
            "SELECT COALESCE(SUM(liked), 0) AS likes, COALESCE(SUM(1 - liked), 0) AS dislikes FROM votes"
        ).fetchone()
        top = db.execute(
            f"SELECT LOWER(TRIM(question)) AS question, reason, COUNT(*) AS count, MAX(asked_at) AS last_asked"
            f" FROM questions WHERE in_scope = 0 AND reason NOT IN ({placeholders})"
            f" GROUP BY LOWER(TRIM(question)), reason ORDER BY count DESC, last_asked DESC LIMIT ?",
            (*NOT_DECLINED, limit),
        ).fetchall()
        comment = "v.comment" if _has_comments(db) else "'' AS comment"  # a file written before comments existed
        disliked = db.execute(
            f"SELECT q.question, q.interpreted_as, q.reason, q.answer, q.sections, v.voted_at, {comment}"
            " FROM votes v JOIN questions q ON q.id = v.question_id WHERE v.liked = 0"
            " ORDER BY v.voted_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
    except sqlite3.Error as exc:
        raise ChatbotError(f"cannot read the feedback file {path} ({exc})") from None
    finally:
        db.close()
    return Summary(
        path=path,
        questions=totals["questions"],
        answered=totals["answered"],
        declined=totals["declined"],
        likes=votes["likes"],
        dislikes=votes["dislikes"],
        top_declined=[dict(row) for row in top],
        disliked=[{**dict(row), "sections": json.loads(row["sections"])} for row in disliked],
    )


def format_summary(summary: Summary) -> str:
    """The summary as a maintainer reads it in a terminal."""
    if not summary.questions:
        return f"No questions recorded yet in {summary.path}."
    lines = [
        f"{summary.path}: {summary.questions} questions ({summary.answered} answered, {summary.declined} declined); "
        f"{summary.likes} thumbs up, {summary.dislikes} thumbs down",
        "",
        "Most-asked declined questions:",
    ]
    lines += [f"  {row['count']:>4}  {row['reason']:<14}  {_short(row['question'])}" for row in summary.top_declined] or [
        "  (none)"
    ]
    lines += ["", "Disliked answers (latest first):"]
    for row in summary.disliked:
        lines.append(f"  {row['voted_at']}  {_short(row['question'])}")
        lines.append(f"      answer: {_short(row['answer'], 100)}")
        if row["sections"]:
            lines.append(f"      cited:  {'; '.join(row['sections'])}")
        if row["comment"]:
            lines.append(f"      wrong:  {_short(row['comment'], 100)}")
    if not summary.disliked:
        lines.append("  (none)")
    return "\n".join(lines)


@dataclass(frozen=True)
class LoggedQuestion:
    """One logged question with its vote, as the weekly report and the bank suggestions read it."""

    asked_at: datetime
    question: str
    interpreted_as: str
    in_scope: bool
    reason: str
    sections: tuple[str, ...]
    liked: bool | None  # None: no vote
    comment: str = ""

    @property
    def declined(self) -> bool:
        """Declined as a failure of the guide (small talk and empty messages are not)."""
        return not self.in_scope and self.reason not in NOT_DECLINED

    @property
    def disliked(self) -> bool:
        return self.liked is False


def read_log(path: str | Path) -> list[LoggedQuestion]:
    """Every logged question of a feedback file with its vote, oldest first ([] when there is no file)."""
    path = Path(path)
    if not path.is_file():
        return []
    db = _open_read_only(path)
    try:
        comment = "v.comment" if _has_comments(db) else "''"
        rows = db.execute(
            "SELECT q.asked_at, q.question, q.interpreted_as, q.in_scope, q.reason, q.sections, v.liked,"
            f" COALESCE({comment}, '') FROM questions q LEFT JOIN votes v ON v.question_id = q.id ORDER BY q.id"
        ).fetchall()
    except sqlite3.Error as exc:
        raise ChatbotError(f"cannot read the feedback file {path} ({exc})") from None
    finally:
        db.close()
    return [
        LoggedQuestion(
            _parse_time(asked_at, path),
            question,
            interpreted_as,
            bool(in_scope),
            reason,
            tuple(json.loads(sections)),
            None if liked is None else bool(liked),
            comment,
        )
        for asked_at, question, interpreted_as, in_scope, reason, sections, liked, comment in rows
    ]


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: reading a summary never creates or changes the file."""
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise ChatbotError(f"cannot read the feedback file {path} ({exc})") from None


def _has_comments(db: sqlite3.Connection) -> bool:
    """Whether the votes table has the comment column (a file written before comments existed has not)."""
    return any(row[1] == "comment" for row in db.execute("PRAGMA table_info(votes)"))


def _parse_time(text: str, path: Path) -> datetime:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ChatbotError(f"the feedback file {path} holds a question dated {text!r}, not an ISO time") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
