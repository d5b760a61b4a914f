"""`python -m chatbot backup DIR` and `restore DIR`: what the content owner built, kept safe — the
feedback store (questions, votes, the review page's decisions, the id counter) and the bank files.

A backup is a folder of plain files: one JSON line a row for each table (`questions.jsonl`,
`votes.jsonl`, `decisions.jsonl`, `counters.jsonl`), the bank files as they were (`bank/`), and
`manifest.json` (the schema version, row counts and each file's sha256). The rows are read in one
snapshot (a read transaction on SQLite, REPEATABLE READ on PostgreSQL) that blocks no writer, so
a server keeps answering and logging while it runs. Being the same tables written as JSON, a
backup of either engine restores into either (a SQLite file moved to PostgreSQL, or back).

`restore` checks every file against the manifest, refuses a backup of a newer schema, brings the
target up to this release's schema and writes every row as it was, in one transaction, into an
empty database (`--replace` empties it first); the bank files are written back byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ChatbotError
from ..guide.bank import bank_files
from . import database as db

FORMAT = 1
MANIFEST = "manifest.json"
BANK = "bank"
TABLES = (db.questions, db.votes, db.decisions, db.counters)  # schema_version goes in the manifest
CHUNK = 1000  # rows a statement when restoring


@dataclass(frozen=True)
class Copied:
    """What a backup or a restore handled."""

    folder: Path
    database: str
    rows: dict[str, int]
    bank: tuple[str, ...]
    schema_version: int

    def line(self, verb: str) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in self.rows.items())
        return f"{verb} {self.database} ({counts}; schema version {self.schema_version}) and {len(self.bank)} bank file(s)"


def backup(target: str | Path, corpus_dir: str | Path, folder: str | Path) -> Copied:
    """Write a backup of the feedback database at `target` and the bank files of `corpus_dir` into `folder`."""
    database = db.locate(target)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ChatbotError(f"{folder} already exists and is not empty; name a new folder for the backup")
    if database.path is not None and not database.path.is_file():
        raise ChatbotError(f"no feedback file at {database.path}; pass --feedback-db PATH or URL")
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / BANK).mkdir(parents=True)
    try:
        version, rows = _snapshot(database)
        manifest: dict = {"format": FORMAT, "schema_version": version, "made_at": _now(), "source": str(database)}
        manifest["tables"] = {name: _write_rows(partial / f"{name}.jsonl", found) for name, found in rows.items()}
        manifest["bank"] = {}
        for path in bank_files(Path(corpus_dir)):
            data = path.read_bytes()
            (partial / BANK / path.name).write_bytes(data)
            manifest["bank"][path.name] = hashlib.sha256(data).hexdigest()
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        if folder.exists():
            folder.rmdir()
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    counts = {name: len(found) for name, found in rows.items()}
    return Copied(folder, str(database), counts, tuple(manifest["bank"]), version)


def restore(folder: str | Path, target: str | Path, corpus_dir: str | Path, *, replace: bool = False) -> Copied:
    """Write the backup in `folder` into the feedback database at `target` and the bank files into `corpus_dir`."""
    folder = Path(folder)
    manifest = _manifest(folder)
    if manifest["schema_version"] > len(db.STEPS):
        raise db.NewerSchema(
            f"the backup {folder} has schema version {manifest['schema_version']}, newer than this release's "
            f"{len(db.STEPS)}; restore it with the release that made it"
        )
    rows = {name: _read_rows(folder / f"{name}.jsonl", facts) for name, facts in manifest["tables"].items()}
    bank = {name: (folder / BANK / name).read_bytes() for name in manifest["bank"]}
    for name, data in bank.items():
        if hashlib.sha256(data).hexdigest() != manifest["bank"][name]:
            raise ChatbotError(f"{folder / BANK / name} differs from the backup's manifest; the backup is damaged")
    database = db.locate(target)
    if database.path is not None:
        database.path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = db.connect(database, busy_seconds=10.0)
        try:
            db.upgrade(engine, where=f"the {database.kind} {database}")
            with engine.begin() as connection:
                _write_tables(connection, rows, database, replace=replace)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        raise db.failure(database, "restore into", exc) from None
    corpus = Path(corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    for name, data in bank.items():
        _write_atomically(corpus / name, data)
    counts = {name: len(found) for name, found in rows.items()}
    return Copied(folder, str(database), counts, tuple(bank), manifest["schema_version"])


def _snapshot(database: db.Database) -> tuple[int, dict[str, list[dict]]]:
    """The schema version and every row of every table, read in one snapshot."""
    engine = _reader(database)
    try:
        with engine.connect() as connection:
            if database.server:
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            else:
                connection.exec_driver_sql("BEGIN")  # one read transaction: a snapshot in WAL mode
            found = db.tables(connection)
            if "schema_version" not in found:
                raise ChatbotError(f"{database} is not a feedback database this release knows (no schema_version table)")
            version = connection.execute(select(db.schema_version.c.version)).scalar_one()
            if version > len(db.STEPS):
                raise db.NewerSchema(
                    f"the {database.kind} {database} has schema version {version}, newer than this release's "
                    f"{len(db.STEPS)}; back it up with the release that wrote it"
                )
            rows = {
                table.name: [dict(row._mapping) for row in connection.execute(select(table).order_by(*table.primary_key))]
                for table in TABLES
                if table.name in found
            }
            connection.rollback()
    except SQLAlchemyError as exc:
        raise db.failure(database, "back up", exc) from None
    finally:
        engine.dispose()
    return version, rows


def _reader(database: db.Database) -> Engine:
    """An engine that only reads; a SQLite file in autocommit mode so the snapshot's BEGIN is ours."""
    if database.server:
        return db.connect_read_only(database)
    uri = f"{database.path.resolve().as_uri()}?mode=ro"
    return create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    )


def _write_tables(connection: Connection, rows: dict[str, list[dict]], database: db.Database, *, replace: bool) -> None:
    held = {t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES[:3]}
    if any(held.values()) and not replace:
        raise ChatbotError(
            f"the {database.kind} {database} already holds {held['questions']} questions, {held['votes']} votes and "
            f"{held['decisions']} decisions; restore into an empty one, or pass --replace to empty it first"
        )
    for table in TABLES[:3]:
        connection.execute(delete(table))
    counter = None
    for table in TABLES:
        found = rows.get(table.name, [])
        if table is db.counters:
            counter = found
            continue
        for start in range(0, len(found), CHUNK):
            connection.execute(table.insert(), found[start : start + CHUNK])
    for row in counter or ():  # never hand out an id the target already handed out
        now = connection.execute(select(db.counters.c.next_id).where(db.counters.c.name == row["name"])).scalar()
        if now is None:
            connection.execute(db.counters.insert().values(**row))
        elif row["next_id"] > now:
            connection.execute(db.counters.update().where(db.counters.c.name == row["name"]).values(next_id=row["next_id"]))
    if connection.dialect.name == "postgresql":  # decisions.id is a serial: its sequence must pass the restored ids
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('decisions', 'id'), "
                "COALESCE((SELECT MAX(id) FROM decisions), 0) + 1, false)"
            )
        )


def _write_rows(path: Path, rows: list[dict]) -> dict:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return {"rows": len(rows), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def _read_rows(path: Path, facts: dict) -> list[dict]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChatbotError(f"cannot read {path} ({exc.strerror or exc}); the backup is incomplete") from None
    if hashlib.sha256(data).hexdigest() != facts["sha256"]:
        raise ChatbotError(f"{path} differs from the backup's manifest; the backup is damaged")
    rows = [json.loads(line) for line in data.decode("utf-8").splitlines() if line]
    if len(rows) != facts["rows"]:
        raise ChatbotError(f"{path} holds {len(rows)} rows, the manifest {facts['rows']}; the backup is damaged")
    return rows


def _manifest(folder: Path) -> dict:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChatbotError(f"{folder} is not a backup ({MANIFEST} cannot be read: {exc}); name a folder `backup` wrote") from None
    if manifest.get("format") != FORMAT:
        raise ChatbotError(f"{folder / MANIFEST} is of format {manifest.get('format')!r}; this release reads format {FORMAT}")
    return manifest


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.restoring")
    partial.write_bytes(data)
    os.replace(partial, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
