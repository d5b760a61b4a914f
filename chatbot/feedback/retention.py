"""How long questions are kept: logged questions (and the votes on them) older than the retention
period (`serve --retention-days`, env `CHATBOT_RETENTION_DAYS`, default 180) are deleted by the
feedback store's writer, at start and then hourly, and by `python -m chatbot feedback --purge`.
Each purge that deletes anything is one log line with its counts.

The review page's decisions are kept: they are the content owner's audit of the bank, whose lines
are kept in the corpus folder anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select

from . import database as db

log = logging.getLogger(__name__)

EVERY_SECONDS = 3600.0  # how often the writer purges


@dataclass(frozen=True)
class Purged:
    """What one purge deleted."""

    questions: int
    votes: int
    days: float

    def line(self, where: object) -> str:
        return f"feedback: purged {self.questions} questions and {self.votes} votes older than {self.days:g} days from {where}"


def cutoff(days: float, now: datetime | None = None) -> str:
    """The `asked_at` before which a question is purged, written as the store writes times."""
    moment = (now or datetime.now(UTC)) - timedelta(days=days)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def purge(connection: Connection, *, days: float, now: datetime | None = None) -> Purged:
    """Delete the questions asked more than `days` ago and the votes on them (in the caller's transaction)."""
    old = select(db.questions.c.id).where(db.questions.c.asked_at < cutoff(days, now))
    votes = connection.execute(delete(db.votes).where(db.votes.c.question_id.in_(old))).rowcount
    questions = connection.execute(delete(db.questions).where(db.questions.c.asked_at < cutoff(days, now))).rowcount
    return Purged(questions, votes, days)


def purge_now(engine: Engine, *, days: float, where: object) -> Purged:
    """One purge in its own transaction, logged in one line when it deleted anything."""
    with engine.begin() as connection:
        done = purge(connection, days=days)
    if done.questions or done.votes:
        log.info("%s", done.line(where))
    return done


def purge_database(target: str | Path, *, days: float) -> tuple[Purged, str]:
    """`feedback --purge`: purge the database at `target` now; what was deleted and where."""
    from sqlalchemy.exc import SQLAlchemyError

    from ..errors import ChatbotError

    database = db.locate(target)
    if database.path is not None and not database.path.is_file():
        raise ChatbotError(f"no feedback file at {database.path}; pass --feedback-db PATH or URL")
    try:
        engine = db.connect(database, busy_seconds=10.0)
        try:
            db.upgrade(engine, where=f"the {database.kind} {database}")
            return purge_now(engine, days=days, where=database), str(database)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        raise db.failure(database, "purge", exc) from None


class Retention:
    """The writer's schedule: a purge at start, then every `every` seconds."""

    def __init__(self, days: float, *, every: float = EVERY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.days = days
        self.every = every
        self.clock = clock
        self._next = float("-inf")

    def maybe(self, engine: Engine, where: object) -> Purged | None:
        """Purge when one is due (a database that cannot be reached is tried again next time)."""
        from sqlalchemy.exc import SQLAlchemyError

        if self.clock() < self._next:
            return None
        self._next = self.clock() + self.every
        try:
            return purge_now(engine, days=self.days, where=where)
        except SQLAlchemyError as exc:
            log.warning("feedback: could not purge old questions from %s (%s); trying again later", where, db.reason(exc))
            self._next = self.clock() + min(self.every, 60.0)
            return None
