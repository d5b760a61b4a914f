"""Where the feedback tables live: a local SQLite file (the default) or a shared PostgreSQL server.

The tables (questions, votes, the review's decisions, the question-id counter) are written once
with SQLAlchemy Core and created or upgraded in place by numbered steps recorded in
`schema_version`: a file written by an older version keeps every row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from ..errors import ChatbotError

SERVER_SCHEMES = ("postgresql://", "postgresql+psycopg://")
CONNECT_SECONDS = 5  # how long one try to reach the server waits
MIGRATION_LOCK = 7_311_401  # PostgreSQL advisory lock held while a replica upgrades the schema

metadata = MetaData()
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # allocated by `reserve_ids`
    Column("asked_at", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("interpreted_as", Text, nullable=False),
    Column("in_scope", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("sections", Text, nullable=False),
    Index("questions_declined", "in_scope", "reason"),
)
votes = Table(
    "votes",
    metadata,
    Column("question_id", Integer, primary_key=True, autoincrement=False),  # questions.id (not enforced: see README)
    Column("voted_at", Text, nullable=False),
    Column("liked", Integer, nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
)
decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("decided_at", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("choice", Text, nullable=False),
    Column("section", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("replied_before", Text, nullable=False),
)
counters = Table(
    "counters",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("next_id", Integer, nullable=False),
)
schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

# The rows the store writes: a question, a vote (replacing an earlier one), a withdrawn vote.
QUESTION, VOTE, UNVOTE = "question", "vote", "unvote"
QUESTION_COLUMNS = ("id", "asked_at", "channel", "question", "interpreted_as", "in_scope", "reason", "answer", "sections")


@dataclass(frozen=True)
class Database:
    """A feedback database: a SQLite file (`path`) or a PostgreSQL server (`path` is None)."""

    url: str  # SQLAlchemy's URL, password included
    path: Path | None

    @property
    def server(self) -> bool:
        return self.path is None

    @property
    def kind(self) -> str:
        return "feedback database" if self.server else "feedback file"

    def __str__(self) -> str:
        """How logs and reports name it: the file, or the URL without its password."""
        if self.path is not None:
            return str(self.path)
        return unquote(make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=True))


def locate(target: str | Path) -> Database:
    """A path or a `postgresql://` URL as a Database; ChatbotError for any other URL."""
    if isinstance(target, Path) or "://" not in target:
        return Database(f"sqlite:///{Path(target).resolve()}", Path(target))
    if not target.startswith(SERVER_SCHEMES):
        raise ChatbotError(f"the feedback database must be a file path or a postgresql:// URL, not {target.split('://')[0]}://")
    url = "postgresql+psycopg://" + target.split("://", 1)[1]
    try:
        make_url(url)
    except ArgumentError as exc:
        raise ChatbotError(f"cannot read the feedback database URL ({exc})") from None
    return Database(url, None)


def connect(database: Database, *, busy_seconds: float) -> Engine:
    """An engine that writes: SQLite in WAL mode with `BEGIN IMMEDIATE` transactions (DDL included,
    so an upgrade is all or nothing), or PostgreSQL through psycopg 3 with dead connections replaced."""
    if database.server:
        return create_engine(database.url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_SECONDS})
    engine = create_engine(database.url, connect_args={"timeout": busy_seconds, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def connect_read_only(database: Database) -> Engine:
    """An engine that only reads: a SQLite file is opened read-only (never created or upgraded)."""
    if database.server:
        return create_engine(database.url, connect_args={"connect_timeout": CONNECT_SECONDS})
    uri = f"{database.path.resolve().as_uri()}?mode=ro"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False))


def upgrade(engine: Engine, *, where: object = "the feedback database") -> int:
    """Create the tables or bring them up to the current version in one transaction; the version.
    ChatbotError, with nothing written, for a database a newer release has upgraded."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # one replica upgrades, the others wait and see it done
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        found = _version(connection)
        if found > len(STEPS):
            raise NewerSchema(
                f"{where} has schema version {found}, newer than this release's {len(STEPS)}: it was written by a "
                "newer release; run that release, or restore a backup made for this one (README, Backups)"
            )
        if "schema_version" not in tables(connection):
            schema_version.create(connection)
            connection.execute(schema_version.insert().values(version=found))
        for version, step in enumerate(STEPS[found:], start=found + 1):
            step(connection)
            connection.execute(update(schema_version).values(version=version))
    return len(STEPS)


class NewerSchema(ChatbotError):
    """A database whose schema a newer release wrote: refused, never downgraded or written to."""


def tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def columns(connection: Connection, table: str) -> set[str]:
    return {column["name"] for column in inspect(connection).get_columns(table)}


def reserve_ids(connection: Connection, count: int) -> range:
    """`count` question ids no other writer of the database will use (never below its largest id)."""
    after_rows = select(func.coalesce(func.max(questions.c.id), 0) + 1).scalar_subquery()
    start = case((counters.c.next_id > after_rows, counters.c.next_id), else_=after_rows)
    end = connection.execute(
        update(counters).where(counters.c.name == "questions").values(next_id=start + count).returning(counters.c.next_id)
    ).scalar_one()
    return range(end - count, end)


def write_row(connection: Connection, kind: str, values: tuple) -> None:
    """Write one row of the store: a question (`QUESTION_COLUMNS`), a vote (question id, voted_at,
    liked, comment; it replaces an earlier vote) or a withdrawn vote (question id)."""
    question_id = values[0]
    if kind == QUESTION:
        connection.execute(questions.insert().values(**dict(zip(QUESTION_COLUMNS, values))))
    elif kind == VOTE:
        voted_at, liked, comment = values[1:]
        insert = (postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert)(votes)
        connection.execute(
            insert.values(question_id=question_id, voted_at=voted_at, liked=liked, comment=comment).on_conflict_do_update(
                index_elements=[votes.c.question_id],
                set_=dict(voted_at=voted_at, liked=liked, comment=comment),
            )
        )
    else:
        connection.execute(votes.delete().where(votes.c.question_id == question_id))


def file_identity(path: Path | None) -> tuple[int, int] | None:
    """What tells a file from its replacement: (device, inode), or None when it is gone."""
    if path is None:
        return None
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def unreachable(error: Exception) -> bool:
    """A failure that passes: a server down or unreachable, a connection lost, a file locked by another writer."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    if isinstance(error.orig, sqlite3.OperationalError):
        return "locked" in str(error.orig) or "busy" in str(error.orig)
    return True  # PostgreSQL: connection refused, timed out, terminated by an administrator…


def reason(error: Exception) -> str:
    """The driver's own words for an error, on one line."""
    orig = getattr(error, "orig", None) or error
    return " ".join(str(orig).split()) or type(orig).__name__


def _version(connection: Connection) -> int:
    """The schema version; for a database from before versions, the version its tables match."""
    found = tables(connection)
    if "schema_version" in found:
        return connection.execute(select(schema_version.c.version)).scalar_one()
    if "questions" not in found:
        return 0
    if "comment" not in columns(connection, "votes"):
        return 1
    return 2 if "decisions" not in found else 3


def _create_questions_and_votes(connection: Connection) -> None:
    """Version 1: questions and votes (a vote without words)."""
    questions.create(connection, checkfirst=True)
    first_votes = Table(
        "votes",
        MetaData(),
        Column("question_id", Integer, primary_key=True, autoincrement=False),
        Column("voted_at", Text, nullable=False),
        Column("liked", Integer, nullable=False),
    )
    first_votes.create(connection, checkfirst=True)


def _add_comment(connection: Connection) -> None:
    """Version 2: "what was wrong?" beside a thumbs down."""
    connection.execute(text("ALTER TABLE votes ADD COLUMN comment TEXT NOT NULL DEFAULT ''"))


def _create_decisions(connection: Connection) -> None:
    """Version 3: the review page's audit of the owner's decisions."""
    decisions.create(connection, checkfirst=True)


def _create_counters(connection: Connection) -> None:
    """Version 4: question ids handed out in blocks, so replicas sharing a server never collide."""
    counters.create(connection, checkfirst=True)
    first = connection.execute(select(func.coalesce(func.max(questions.c.id), 0) + 1)).scalar_one()
    connection.execute(counters.insert().values(name="questions", next_id=first))


STEPS: tuple[Callable[[Connection], None], ...] = (_create_questions_and_votes, _add_comment, _create_decisions, _create_counters)


def failure(database: Database, action: str, error: Exception) -> ChatbotError:
    """One line for an operator: what could not be done, where, and why."""
    return ChatbotError(f"cannot {action} the {database.kind} {database} ({reason(error)})")
