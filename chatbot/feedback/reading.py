"""The feedback database read back for whoever maintains the guide: a summary (`python -m chatbot
feedback`) and every logged question with its vote (the weekly report, bank suggestions, review).

Reading never creates or changes anything: a SQLite file is opened read-only, as old as it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, and_, case, desc, func, literal, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..answering.answer import EMPTY, GREETING, PARTIAL, THANKS
from ..errors import ChatbotError
from . import database as db

# Replies that are not a failure of the guide: small talk and empty messages.
NOT_DECLINED = (EMPTY, GREETING, THANKS)


@dataclass(frozen=True)
class Summary:
    """Counts, the most-asked declined questions and the disliked answers."""

    path: Path | str  # the file, or the server's URL without its password
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
        """Declined or only partly covered, a gap of the guide (small talk and empty messages are not)."""
        return (not self.in_scope and self.reason not in NOT_DECLINED) or self.reason == PARTIAL

    @property
    def disliked(self) -> bool:
        return self.liked is False


def summarize(path: str | Path, *, limit: int = 10) -> Summary:
    """Read a feedback database (without creating it) into a Summary."""
    database = db.locate(path)
    shown = database.path or str(database)
    q, v = db.questions.c, db.votes.c
    declined = or_(and_(q.in_scope == 0, q.reason.not_in(NOT_DECLINED)), q.reason == PARTIAL)
    key = func.lower(func.trim(q.question))
    with _reading(database) as connection:
        if connection is None:
            return Summary(shown, 0, 0, 0, 0, 0, [], [])
        totals = connection.execute(
            select(func.count(), _total(q.in_scope), _total(case((declined, 1), else_=0))).select_from(db.questions)
        ).one()
        likes, dislikes = connection.execute(select(_total(v.liked), _total(1 - v.liked)).select_from(db.votes)).one()
        top = connection.execute(
            select(key.label("question"), q.reason, func.count().label("count"), func.max(q.asked_at).label("last_asked"))
            .where(declined)
            .group_by(key, q.reason)
            .order_by(desc("count"), desc("last_asked"))
            .limit(limit)
        ).mappings()
        top = [dict(row) for row in top]
        disliked = connection.execute(
            select(
                q.question, q.interpreted_as, q.reason, q.answer, q.sections, v.voted_at, _comment(connection).label("comment")
            )
            .select_from(db.votes.join(db.questions, q.id == v.question_id))
            .where(v.liked == 0)
            .order_by(v.voted_at.desc())
            .limit(limit)
        ).mappings()
        disliked = [{**row, "sections": json.loads(row["sections"])} for row in disliked]
    return Summary(shown, *totals, likes, dislikes, top, disliked)


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


def read_log(path: str | Path) -> list[LoggedQuestion]:
    """Every logged question of a feedback database with its vote, oldest first ([] when there is none)."""
    database = db.locate(path)
    q, v = db.questions.c, db.votes.c
    with _reading(database) as connection:
        if connection is None:
            return []
        rows = connection.execute(
            select(q.asked_at, q.question, q.interpreted_as, q.in_scope, q.reason, q.sections, v.liked, _comment(connection))
            .select_from(db.questions.outerjoin(db.votes, v.question_id == q.id))
            .order_by(q.asked_at, q.id)  # replicas take ids from separate blocks: time orders them
        ).all()
    return [
        LoggedQuestion(
            _parse_time(asked_at, database),
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


@contextmanager
def _reading(database: db.Database) -> Iterator[Connection | None]:
    """A read-only connection, or None when there is nothing to read yet (no file, no tables);
    ChatbotError on one line when the database cannot be read."""
    if database.path is not None and not database.path.is_file():
        yield None
        return
    engine = db.connect_read_only(database)
    try:
        with engine.connect() as connection:
            yield connection if "questions" in db.tables(connection) else None
    except SQLAlchemyError as exc:
        raise db.failure(database, "read", exc) from None
    finally:
        engine.dispose()


def _total(column):
    return func.coalesce(func.sum(column), 0)


def _comment(connection: Connection):
    """The vote's comment ('' without a vote, or in a file written before comments existed)."""
    if "comment" not in db.columns(connection, "votes"):
        return literal("")
    return func.coalesce(db.votes.c.comment, "")


def _parse_time(text: str, database: db.Database) -> datetime:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        raise ChatbotError(f"the {database.kind} {database} holds a question dated {text!r}, not an ISO time") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
