"""What people asked and how they rated the answers, in a local SQLite file or a shared PostgreSQL
database (`chatbot/feedback/database.py`).

Every question is logged with how it was handled (`in_scope`, `reason`) and the sections it
cited; thumbs up/down attach to a logged question; the review page's decisions are audited in
the same database. `summarize` and `read_log` (`chatbot/feedback/reading.py`) read it back for
whoever maintains the guide (`python -m chatbot feedback`, `chatbot/feedback/report.py`).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..answering.answer import Answer
from ..answering.render import plain
from ..errors import ChatbotError
from . import database as db
from .privacy import MARGIN, scrubbed
from .reading import NOT_DECLINED, LoggedQuestion, Summary, format_summary, read_log, summarize
from .retention import Retention

__all__ = [
    "NOT_DECLINED",
    "FeedbackStore",
    "LoggedQuestion",
    "Summary",
    "format_summary",
    "read_log",
    "summarize",
]

log = logging.getLogger(__name__)

STORED_QUESTION_CHARS = 2000
STORED_COMMENT_CHARS = 500
# The writer thread: how long a row waits for a database that is down or locked before it is
# dropped, how long one try waits for a SQLite file's lock, how many rows go in one transaction
# and wait in the queue at most, how long `close` waits for the queue to be written, how often
# an outage is logged, and how many question ids are reserved at a time.
RETRY_SECONDS = 120.0
BUSY_SECONDS = 1.0
BATCH_ROWS = 100
QUEUE_ROWS = 10_000
CLOSE_SECONDS = 2.0
LOG_EVERY = 60.0
ID_BLOCK = 100
DECISION_SECONDS = 10.0  # the owner waits this long at most for an audit row


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
        self.retry_seconds = retry_seconds
        self.lost = 0  # rows that could not be written
        self.written = 0  # rows written
        self._queue: queue.Queue[_Row | None] = queue.Queue(QUEUE_ROWS)
        self._overflow = 0  # rows dropped since the queue was last accepting
        self._ids = threading.Lock()
        self._free: list[range] = []  # reserved question ids not handed out yet
        self._provisional = 0  # ids handed out while none were reserved: -1, -2… (renumbered when written)
        self._renumbered: dict[int, int] = {}  # an id handed out -> the row's id in the database
        self._deadline: float | None = None  # set by close(): give up retrying after it
        self._abandoned = 0  # rows given up at close
        self._closed = False
        self._outage = Outage(str(self.database), retry_seconds)
        self._retention = Retention(retention_days) if retention_days else None  # purges old questions (retention.py)
        self._engine = self._open()
        self._identity = _identity(self.database.path)
        try:
            with self._engine.begin() as connection:
                self._free.append(db.reserve_ids(connection, ID_BLOCK))
        except SQLAlchemyError as exc:
            raise db.failure(self.database, "open", exc) from None
        self._writer = threading.Thread(target=self._write_queue, name="feedback-writer", daemon=True)
        self._writer.start()

    def log_question(self, answer: Answer, *, channel: str) -> int | None:
        """Queue a handled question; its id (for votes), or None once the store is closed."""
        row = (
            _now(),
            channel,
            plain(answer.question)[: STORED_QUESTION_CHARS + MARGIN],  # scrubbed and cut by the writer (`_private`)
            plain(answer.interpreted_as)[: STORED_QUESTION_CHARS + MARGIN],
            int(answer.in_scope),
            answer.reason,
            plain(answer.answer),
            json.dumps([c.heading for c in answer.citations], ensure_ascii=False),
        )
        with self._ids:
            if self._closed:
                return self._refuse()
            question_id = self._next_id()
            if not self._enqueue(_Row(_QUESTION, (question_id, *row))):
                return None
        return question_id

    def vote(self, question_id: int, liked: bool | None, comment: str = "") -> None:
        """Thumbs up (True) or down (False) on a logged answer, with an optional "what was wrong?";
        None withdraws the vote. A later vote replaces the earlier one."""
        if liked is None:
            row = _Row(_UNVOTE, (question_id,))
        else:
            comment = scrubbed(" ".join(plain(comment).split()), STORED_COMMENT_CHARS)
            row = _Row(_VOTE, (question_id, _now(), int(liked), comment))
        with self._ids:
            if self._closed:
                self._refuse()
            else:
                self._enqueue(row)

    def record_decision(self, *, question: str, choice: str, section: str, reason: str, replied_before: str) -> None:
        """Write one audit row of the review page now (the owner waits for it; ChatbotError when it
        cannot be written within `DECISION_SECONDS`)."""
        values = dict(
            decided_at=_now("seconds"),
            question=question,
            choice=choice,
            section=section,
            reason=reason,
            replied_before=replied_before,
        )
        self._now_or_never("record the decision in", lambda c: c.execute(db.decisions.insert().values(**values)))

    def decided_questions(self) -> list[str]:
        """Every question the review page has a decision for, oldest first."""
        query = select(db.decisions.c.question).order_by(db.decisions.c.id)
        return self._now_or_never("read the decisions in", lambda c: list(c.execute(query).scalars()))

    def ping(self) -> bool:
        """Whether the database answers now (a health check; waits `database.CONNECT_SECONDS` at most)."""
        try:
            with self._engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    @property
    def waiting(self) -> int:
        """Rows queued and not yet written or given up."""
        return self._queue.unfinished_tasks

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait (at most `timeout` seconds) until every queued row is written or given up."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline and self._writer.is_alive():
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout` seconds), then close the database.

        Later writes are dropped with a warning; rows still unwritten are counted as lost.
        """
        with self._ids:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + timeout
        self._queue.put(None)  # waits for room when full: the writer gives up on a dead database by the deadline
        self._writer.join(timeout + 0.5)
        if self._writer.is_alive():  # stuck in the driver: what is still queued is lost
            unwritten = self._queue.unfinished_tasks - 1
            self.lost += unwritten
            log.warning("feedback: %d rows lost, %s could not be written before shutdown", unwritten, self.database)
            return
        self._engine.dispose()

    def _next_id(self) -> int:
        """A reserved id, or a provisional one (negative) while none is left (under `self._ids`)."""
        while self._free and not self._free[0]:
            self._free.pop(0)
        if not self._free:
            self._provisional -= 1
            return self._provisional
        block = self._free[0]
        self._free[0] = block[1:]
        return block[0]

    def _refuse(self) -> None:
        log.warning("feedback not saved to %s: the store is closed", self.database)

    def _enqueue(self, row: _Row) -> bool:
        """Queue a row (under `self._ids`); False when it is dropped."""
        try:
            self._queue.put_nowait(row)
        except queue.Full:  # the database has been down for long: count what is dropped
            self._overflow += 1
            self.lost += 1
            return False
        if self._overflow:
            log.warning("feedback: %d rows lost, the write queue to %s was full", self._overflow, self.database)
            self._overflow = 0
        return True

    def _open(self):
        """Connect and bring the schema up to date; ChatbotError with what to do when it cannot."""
        try:
            if self.database.path is not None:
                self.database.path.parent.mkdir(parents=True, exist_ok=True)
            engine = db.connect(self.database, busy_seconds=BUSY_SECONDS)
            db.upgrade(engine, where=f"the {self.database.kind} {self.database}")
        except (OSError, SQLAlchemyError) as exc:
            raise ChatbotError(f"{db.failure(self.database, 'open', exc)}; pass --feedback-db PATH or URL") from None
        return engine

    def _now_or_never(self, action: str, work: Callable[[Connection], object]):
        """Run `work` in a transaction now, retrying a locked file or a lost connection for a few seconds."""
        give_up = time.monotonic() + DECISION_SECONDS
        while True:
            try:
                with self._engine.begin() as connection:
                    return work(connection)
            except SQLAlchemyError as exc:
                if not db.unreachable(exc) or time.monotonic() + 0.2 > give_up:
                    raise db.failure(self.database, action, exc) from None
            time.sleep(0.2)

    def _write_queue(self) -> None:
        """The writer thread: rows in the order they came, a batch to a transaction."""
        while True:
            if self._retention is not None:
                self._retention.maybe(self._engine, self.database)
            try:
                batch = [self._queue.get(timeout=LOG_EVERY)]
            except queue.Empty:
                self._outage.idle()
                continue
            while len(batch) < BATCH_ROWS and not self._queue.empty():
                batch.append(self._queue.get())
            rows = [_private(row) for row in batch if row is not None]
            if rows:
                self._write_with_retry(rows)
            for _ in batch:
                self._queue.task_done()
            if len(rows) < len(batch):  # close() was called
                self._outage.idle(force=True)
                if self._abandoned:
                    log.warning(
                        "feedback: %d rows lost, %s could not be written before shutdown (%s)",
                        self._abandoned,
                        self.database,
                        self._outage.error,
                    )
                return

    def _write_with_retry(self, rows: list[_Row]) -> None:
        pause = 0.05
        while not self._abandoned:
            try:
                self._reopen_if_gone()
                self._write(rows)
                self.written += len(rows)
                self._outage.over()
                return
            except (SQLAlchemyError, ChatbotError) as exc:
                error = exc
            if not db.unreachable(error):  # a full disk, a damaged file: final
                self.lost += len(rows)
                log.warning("feedback: %d rows lost, not written to %s (%s)", len(rows), self.database, db.reason(error))
                return
            moment = time.monotonic()
            self._outage.failed(error, waiting=self._queue.unfinished_tasks)
            kept = [row for row in rows if moment + pause - row.queued <= self.retry_seconds]
            if len(kept) < len(rows):  # waited too long: dropped, counted in the next outage line
                self.lost += len(rows) - len(kept)
                self._outage.dropped(len(rows) - len(kept))
                rows = kept
                if not rows:
                    return
            if self._deadline is not None and moment + pause > self._deadline:
                break
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        self._abandoned += len(rows)  # closing with the database still down: counted in one line at the end
        self.lost += len(rows)

    def _write(self, rows: list[_Row]) -> None:
        """Write rows in one transaction, topping up the reserved ids; a question whose id another
        writer took gets a fresh one (its votes follow it)."""
        renumbered: dict[int, int] = {}
        with self._engine.begin() as connection:
            with self._ids:
                left = sum(len(block) for block in self._free)
            block = db.reserve_ids(connection, ID_BLOCK) if left < ID_BLOCK // 2 else None
            provisional = [row.values[0] for row in rows if row.kind == _QUESTION and row.values[0] < 0]
            provisional = [i for i in provisional if i not in self._renumbered]
            renumbered.update(zip(provisional, db.reserve_ids(connection, len(provisional)) if provisional else ()))
            try:
                with connection.begin_nested():
                    for row in rows:
                        self._apply(connection, row, renumbered)
            except IntegrityError:  # row by row, each in its own savepoint
                for row in rows:
                    self._apply_alone(connection, row, renumbered)
        self._renumbered.update(renumbered)
        if block is not None:
            with self._ids:
                self._free.append(block)

    def _apply_alone(self, connection: Connection, row: _Row, renumbered: dict[int, int]) -> None:
        try:
            with connection.begin_nested():
                self._apply(connection, row, renumbered)
            return
        except IntegrityError as exc:
            error = exc
        if row.kind != _QUESTION:
            self.lost += 1
            log.warning("feedback: 1 row lost, not written to %s (%s)", self.database, db.reason(error))
            return
        renumbered[row.values[0]] = db.reserve_ids(connection, 1)[0]
        with connection.begin_nested():
            self._apply(connection, row, renumbered)

    def _apply(self, connection: Connection, row: _Row, renumbered: dict[int, int]) -> None:
        question_id = row.values[0]
        question_id = renumbered.get(question_id, self._renumbered.get(question_id, question_id))
        if row.kind == _QUESTION:
            values = dict(zip(_QUESTION_COLUMNS, (question_id, *row.values[1:])))
            connection.execute(db.questions.insert().values(**values))
        elif row.kind == _VOTE:
            voted_at, liked, comment = row.values[1:]
            insert = (postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert)(db.votes)
            connection.execute(
                insert.values(question_id=question_id, voted_at=voted_at, liked=liked, comment=comment).on_conflict_do_update(
                    index_elements=[db.votes.c.question_id],
                    set_=dict(voted_at=voted_at, liked=liked, comment=comment),
                )
            )
        else:
            connection.execute(db.votes.delete().where(db.votes.c.question_id == question_id))

    def _reopen_if_gone(self) -> None:
        """A feedback file deleted (or replaced) while serving is recreated, with a warning."""
        if self.database.path is None or _identity(self.database.path) == self._identity:
            return
        log.warning("feedback file %s was removed while serving; recreating it", self.database)
        self._engine.dispose()
        self._engine = self._open()
        self._identity = _identity(self.database.path)


@dataclass
class Outage:
    """The log of a database that cannot be written: a warning when it starts, at most one a
    minute while it lasts (with rows dropped since the last one), and one when it is over."""

    where: str
    retry_seconds: float
    every: float = LOG_EVERY
    clock: Callable[[], float] = time.monotonic
    since: float | None = None  # when the first write failed
    said: float = field(default=float("-inf"))  # when the last line was logged
    error: str = ""
    unreported: int = 0  # rows dropped since the last line
    dropped_total: int = 0  # rows dropped during this outage

    def failed(self, error: Exception, *, waiting: int) -> None:
        self.error = db.reason(error)
        moment = self.clock()
        if self.since is None:
            self.since = moment
            self._say(
                f"feedback: cannot write to {self.where} ({self.error}); answers go on, "
                f"rows wait up to {self.retry_seconds:g} s and are retried"
            )
        elif moment - self.said >= self.every:
            self._say(
                f"feedback: {self.where} still unwritable after {moment - self.since:.0f} s ({self.error}); "
                f"{waiting} rows waiting{self._losses()}"
            )

    def dropped(self, count: int) -> None:
        self.unreported += count
        self.dropped_total += count

    def idle(self, *, force: bool = False) -> None:
        """Nothing to write: report rows dropped since the last line (once the minute is up, or now)."""
        if self.unreported and (force or self.clock() - self.said >= self.every):
            self._say(
                f"feedback: {self.unreported} rows lost, not written to {self.where} within "
                f"{self.retry_seconds:g} s ({self.error})"
            )
            self.unreported = 0

    def over(self) -> None:
        if self.since is None:
            return
        lost = f"; {self.dropped_total} rows lost meanwhile" if self.dropped_total else "; every waiting row kept"
        self._say(f"feedback: {self.where} is writable again after {self.clock() - self.since:.1f} s{lost}")
        self.since, self.unreported, self.dropped_total = None, 0, 0

    def _losses(self) -> str:
        losses, self.unreported = self.unreported, 0
        return f"; {losses} rows lost (waited over {self.retry_seconds:g} s)" if losses else ""

    def _say(self, line: str) -> None:
        self.said = self.clock()
        log.warning("%s", line)


@dataclass(frozen=True)
class _Row:
    """One queued write: a question, a vote or a withdrawn vote, with its values and when it was queued."""

    kind: str
    values: tuple
    queued: float = field(default_factory=time.monotonic)


_QUESTION, _VOTE, _UNVOTE = "question", "vote", "unvote"
_QUESTION_COLUMNS = ("id", "asked_at", "channel", "question", "interpreted_as", "in_scope", "reason", "answer", "sections")


def _private(row: _Row) -> _Row:
    """A question row with personal details out of its question, reading and reply (`chatbot/privacy.py`),
    done on the writer thread so no answer waits for it."""
    if row.kind != _QUESTION:
        return row
    question_id, asked_at, channel, question, interpreted_as, in_scope, reason, reply, sections = row.values
    question, interpreted_as = scrubbed(question, STORED_QUESTION_CHARS), scrubbed(interpreted_as, STORED_QUESTION_CHARS)
    values = (question_id, asked_at, channel, question, interpreted_as, in_scope, reason, scrubbed(reply), sections)
    return _Row(row.kind, values, row.queued)


def _identity(path: Path | None) -> tuple[int, int] | None:
    """What tells a file from its replacement: (device, inode), or None when it is gone."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _now(timespec: str = "milliseconds") -> str:
    return datetime.now(UTC).isoformat(timespec=timespec)
