"""What people asked and how they rated the answers, in a local SQLite file.

Every question is logged with how it was handled (`in_scope`, `reason`) and the sections it
cited; thumbs up/down attach to a logged question. `summarize` and `read_log` read the file back
for whoever maintains the guide (`python -m chatbot feedback`, `chatbot/report.py`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .answer import EMPTY, GREETING, THANKS, Answer
from .errors import ChatbotError
from .render import plain

log = logging.getLogger(__name__)

STORED_QUESTION_CHARS = 2000
STORED_COMMENT_CHARS = 500
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
    """A thread-safe log of questions and votes; every write is committed at once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            _add_missing_columns(self._db)
        except (OSError, sqlite3.Error) as exc:
            raise ChatbotError(f"cannot open the feedback file {self.path} ({exc}); pass --feedback-db PATH") from None

    def log_question(self, answer: Answer, *, channel: str) -> int | None:
        """Record a handled question; its row id (for votes), or None when the write failed."""
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
        return self._write(
            "INSERT INTO questions (asked_at, channel, question, interpreted_as, in_scope, reason, answer, sections)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    def vote(self, question_id: int, liked: bool | None, comment: str = "") -> None:
        """Thumbs up (True) or down (False) on a logged answer, with an optional "what was wrong?";
        None withdraws the vote. A later vote replaces the earlier one."""
        if liked is None:
            self._write("DELETE FROM votes WHERE question_id = ?", (question_id,))
        else:
            comment = " ".join(plain(comment).split())[:STORED_COMMENT_CHARS]
            self._write(
                "INSERT INTO votes (question_id, voted_at, liked, comment) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(question_id) DO UPDATE SET"
                " voted_at = excluded.voted_at, liked = excluded.liked, comment = excluded.comment",
                (question_id, _now(), int(liked), comment),
            )

    def _write(self, sql: str, params: tuple) -> int | None:
        try:
            with self._lock, self._db:
                return self._db.execute(sql, params).lastrowid
        except sqlite3.Error as exc:
            log.warning("feedback not saved to %s: %s", self.path, exc)
            return None

    def close(self) -> None:
        """Commit and close; later writes are dropped with a warning."""
        with self._lock:
            try:
                self._db.commit()
                self._db.close()
            except sqlite3.Error:
                pass


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
