"""What people asked and how they rated the answers, in a local SQLite file or a shared PostgreSQL
database (`chatbot/feedback/database.py`).

Every question is logged with how it was handled (`in_scope`, `reason`) and the sections it
cited; thumbs up/down attach to a logged question; the review page's decisions are audited in
the same database. Rows are written by a background thread (`chatbot/feedback/writer.py`).
`summarize` and `read_log` (`chatbot/feedback/reading.py`) read it back for whoever maintains the
guide (`python -m chatbot feedback`, `chatbot/feedback/report.py`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from ..answering.answer import Answer
from ..answering.render import plain
from . import database as db
from .privacy import MARGIN, scrubbed
from .reading import NOT_DECLINED, LoggedQuestion, Summary, format_summary, read_log, summarize
from .retention import Retention
from .writer import CLOSE_SECONDS, RETRY_SECONDS, Row, Writer

__all__ = [
    "NOT_DECLINED",
    "FeedbackStore",
    "LoggedQuestion",
    "Summary",
    "format_summary",
    "read_log",
    "summarize",
]

STORED_QUESTION_CHARS = 2000
STORED_COMMENT_CHARS = 500


class FeedbackStore:
    """A log of questions and votes that never makes an answer wait.

    `log_question` and `vote` put the row on a queue and return at once; one background thread
    writes the queue in order. While the database is down, unreachable or locked by another
    writer, rows are retried for up to `retry_seconds` (one warning a minute at most; rows waiting
    longer are dropped and counted). A question's id comes from a block reserved in the database,
    so replicas sharing it never collide and a vote can refer to a question before it is written.
    A feedback file deleted while serving is recreated with a warning. `close` writes what is queued.
    """

    def __init__(self, path: str | Path, *, retry_seconds: float = RETRY_SECONDS, retention_days: float | None = None) -> None:
        self.database = db.locate(path)
        self.path: Path | str = self.database.path or str(path)  # what `summarize` and `read_log` take
        retention = Retention(retention_days) if retention_days else None  # purges old questions (retention.py)
        self._writer = Writer(self.database, retry_seconds=retry_seconds, retention=retention, prepare=_private)

    def log_question(self, answer: Answer, *, channel: str) -> int | None:
        """Queue a handled question; its id (for votes), or None once the store is closed."""
        return self._writer.add_question(
            (
                _now(),
                channel,
                plain(answer.question)[: STORED_QUESTION_CHARS + MARGIN],  # scrubbed and cut by the writer (`_private`)
                plain(answer.interpreted_as)[: STORED_QUESTION_CHARS + MARGIN],
                int(answer.in_scope),
                answer.reason,
                plain(answer.answer),
                json.dumps([c.heading for c in answer.citations], ensure_ascii=False),
            )
        )

    def vote(self, question_id: int, liked: bool | None, comment: str = "") -> None:
        """Thumbs up (True) or down (False) on a logged answer, with an optional "what was wrong?";
        None withdraws the vote. A later vote replaces the earlier one."""
        if liked is None:
            self._writer.add(db.UNVOTE, (question_id,))
        else:
            comment = scrubbed(" ".join(plain(comment).split()), STORED_COMMENT_CHARS)
            self._writer.add(db.VOTE, (question_id, _now(), int(liked), comment))

    def record_decision(self, *, question: str, choice: str, section: str, reason: str, replied_before: str) -> None:
        """Write one audit row of the review page now (the owner waits for it; ChatbotError when it
        cannot be written within `writer.DECISION_SECONDS`)."""
        values = dict(
            decided_at=_now("seconds"),
            question=question,
            choice=choice,
            section=section,
            reason=reason,
            replied_before=replied_before,
        )
        self._writer.now_or_never("record the decision in", lambda c: c.execute(db.decisions.insert().values(**values)))

    def decided_questions(self) -> list[str]:
        """Every question the review page has a decision for, oldest first."""
        query = select(db.decisions.c.question).order_by(db.decisions.c.id)
        return self._writer.now_or_never("read the decisions in", lambda c: list(c.execute(query).scalars()))

    def ping(self) -> bool:
        """Whether the database answers now (a health check; waits `database.CONNECT_SECONDS` at most)."""
        return self._writer.ping()

    @property
    def lost(self) -> int:
        """Rows that could not be written."""
        return self._writer.lost

    @property
    def written(self) -> int:
        """Rows written."""
        return self._writer.written

    @property
    def waiting(self) -> int:
        """Rows queued and not yet written or given up."""
        return self._writer.waiting

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait (at most `timeout` seconds) until every queued row is written or given up."""
        return self._writer.flush(timeout)

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout` seconds), then close the database.

        Later writes are dropped with a warning; rows still unwritten are counted as lost.
        """
        self._writer.close(timeout)


def _private(row: Row) -> Row:
    """A question row with personal details out of its question, reading and reply (`privacy.py`),
    done on the writer thread so no answer waits for it."""
    if row.kind != db.QUESTION:
        return row
    question_id, asked_at, channel, question, interpreted_as, in_scope, reason, reply, sections = row.values
    question, interpreted_as = scrubbed(question, STORED_QUESTION_CHARS), scrubbed(interpreted_as, STORED_QUESTION_CHARS)
    values = (question_id, asked_at, channel, question, interpreted_as, in_scope, reason, scrubbed(reply), sections)
    return Row(row.kind, values, row.queued)


def _now(timespec: str = "milliseconds") -> str:
    return datetime.now(UTC).isoformat(timespec=timespec)
