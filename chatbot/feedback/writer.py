"""The feedback store's writer: a queue of rows and one background thread that writes them, in the
order they came, a batch to a transaction, so that logging a question never makes an answer wait.

While the database is down, unreachable or locked by another writer, rows are retried for up to
`retry_seconds` (the outage is logged by `outage.Outage`; rows waiting longer are dropped and
counted). A question's id comes from a block reserved in the database, so replicas sharing it
never collide and a vote can refer to a question before it is written. A feedback file deleted
while serving is recreated with a warning.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..errors import ChatbotError
from . import database as db
from .outage import LOG_EVERY, Outage
from .retention import Retention

log = logging.getLogger(__name__)

# How long a row waits for a database that is down or locked before it is dropped, how long one
# try waits for a SQLite file's lock, how many rows go in one transaction and wait in the queue at
# most, how long `close` waits for the queue to be written, and how many question ids are
# reserved at a time.
RETRY_SECONDS = 120.0
BUSY_SECONDS = 1.0
BATCH_ROWS = 100
QUEUE_ROWS = 10_000
CLOSE_SECONDS = 2.0
ID_BLOCK = 100
DECISION_SECONDS = 10.0  # the owner waits this long at most for an audit row


@dataclass(frozen=True)
class Row:
    """One queued write: a question, a vote or a withdrawn vote, with its values and when it was queued."""

    kind: str
    values: tuple
    queued: float = field(default_factory=time.monotonic)


class Writer:
    """The queue of rows to write to one database, and the thread that writes it."""

    def __init__(
        self, database: db.Database, *, retry_seconds: float = RETRY_SECONDS, retention: Retention | None = None, prepare=None
    ) -> None:
        self.database = database
        self.retry_seconds = retry_seconds
        self._retention = retention  # purges old questions now and then (retention.py)
        self._prepare = prepare or (lambda row: row)  # a row as stored (the store scrubs questions, privacy.py)
        self.lost = 0  # rows that could not be written
        self.written = 0  # rows written
        self._queue: queue.Queue[Row | None] = queue.Queue(QUEUE_ROWS)
        self._overflow = 0  # rows dropped since the queue was last accepting
        self._ids = threading.Lock()
        self._free: list[range] = []  # reserved question ids not handed out yet
        self._provisional = 0  # ids handed out while none were reserved: -1, -2… (renumbered when written)
        self._renumbered: dict[int, int] = {}  # an id handed out -> the row's id in the database
        self._deadline: float | None = None  # set by close(): give up retrying after it
        self._abandoned = 0  # rows given up at close
        self._closed = False
        self._outage = Outage(str(self.database), retry_seconds)
        self._engine = self._open()
        self._identity = db.file_identity(self.database.path)
        try:
            with self._engine.begin() as connection:
                self._free.append(db.reserve_ids(connection, ID_BLOCK))
        except SQLAlchemyError as exc:
            raise db.failure(self.database, "open", exc) from None
        self._thread = threading.Thread(target=self._write_queue, name="feedback-writer", daemon=True)
        self._thread.start()

    def add_question(self, values: tuple) -> int | None:
        """Queue a question row (`values` without its id); its id, or None once closed or dropped."""
        with self._ids:
            if self._closed:
                return self._refuse()
            question_id = self._next_id()
            if not self._enqueue(Row(db.QUESTION, (question_id, *values))):
                return None
        return question_id

    def add(self, kind: str, values: tuple) -> None:
        """Queue a vote or a withdrawn vote (dropped with a warning once closed)."""
        with self._ids:
            if self._closed:
                self._refuse()
            else:
                self._enqueue(Row(kind, values))

    def now_or_never(self, action: str, work: Callable[[Connection], object]):
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

    def ping(self) -> bool:
        """Whether the database answers now (waits `database.CONNECT_SECONDS` at most)."""
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
        while self._queue.unfinished_tasks and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.005)
        return not self._queue.unfinished_tasks

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Write what is queued (waiting at most `timeout` seconds), then close the database."""
        with self._ids:
            if self._closed:
                return
            self._closed = True
            self._deadline = time.monotonic() + timeout
        self._queue.put(None)  # waits for room when full: the writer gives up on a dead database by the deadline
        self._thread.join(timeout + 0.5)
        if self._thread.is_alive():  # stuck in the driver: what is still queued is lost
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

    def _enqueue(self, row: Row) -> bool:
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
            rows = [self._prepare(row) for row in batch if row is not None]
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

    def _write_with_retry(self, rows: list[Row]) -> None:
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

    def _write(self, rows: list[Row]) -> None:
        """Write rows in one transaction, topping up the reserved ids; a question whose id another
        writer took gets a fresh one (its votes follow it)."""
        renumbered: dict[int, int] = {}
        with self._engine.begin() as connection:
            with self._ids:
                left = sum(len(block) for block in self._free)
            block = db.reserve_ids(connection, ID_BLOCK) if left < ID_BLOCK // 2 else None
            provisional = [row.values[0] for row in rows if row.kind == db.QUESTION and row.values[0] < 0]
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

    def _apply_alone(self, connection: Connection, row: Row, renumbered: dict[int, int]) -> None:
        try:
            with connection.begin_nested():
                self._apply(connection, row, renumbered)
            return
        except IntegrityError as exc:
            error = exc
        if row.kind != db.QUESTION:
            self.lost += 1
            log.warning("feedback: 1 row lost, not written to %s (%s)", self.database, db.reason(error))
            return
        renumbered[row.values[0]] = db.reserve_ids(connection, 1)[0]
        with connection.begin_nested():
            self._apply(connection, row, renumbered)

    def _apply(self, connection: Connection, row: Row, renumbered: dict[int, int]) -> None:
        question_id = row.values[0]
        question_id = renumbered.get(question_id, self._renumbered.get(question_id, question_id))
        db.write_row(connection, row.kind, (question_id, *row.values[1:]))

    def _reopen_if_gone(self) -> None:
        """A feedback file deleted (or replaced) while serving is recreated, with a warning."""
        if self.database.path is None or db.file_identity(self.database.path) == self._identity:
            return
        log.warning("feedback file %s was removed while serving; recreating it", self.database)
        self._engine.dispose()
        self._engine = self._open()
        self._identity = db.file_identity(self.database.path)
