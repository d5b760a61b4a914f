"""Add labeled questions to a question bank: each line checked as the build checks the bank, the
bank file replaced atomically (a temporary file renamed over it), one writer at a time.

The lines may come from `feedback --suggest`: its `"suggested"` object is dropped, and a line whose
`"answered"` is still null is refused, so nothing unconfirmed reaches the bank.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChatbotError
from ..jsonl import read_jsonl
from ..locks import exclusive
from .bank import BankError, BankQuestion, bank_files, check_lines, check_repeats, load_bank
from .chunking import chunk_documents
from .corpus import load_corpus

SUGGESTED = "suggested"  # context `feedback --suggest` adds for the owner; not part of the bank


@dataclass(frozen=True)
class Added:
    """What `add_questions` appended (nothing when `dry_run`)."""

    bank: Path
    added: tuple[BankQuestion, ...]
    total: int  # questions in every bank file of the corpus afterwards
    dry_run: bool = False


def guide_sections(corpus_dir: Path) -> set[tuple[str, ...]]:
    """Every section path of the guide and its prefixes: what a bank line may name."""
    passages = chunk_documents(load_corpus(corpus_dir))
    return {p.section[:n] for p in passages for n in range(1, len(p.section) + 1)}


def bank_file(corpus_dir: Path, bank: str | Path | None = None) -> Path:
    """The bank file to append to: `bank`, or the corpus folder's only bank file."""
    files = bank_files(corpus_dir)
    if bank is not None:
        path = Path(bank)
        if path.resolve() not in {f.resolve() for f in files}:
            raise ChatbotError(f"{path} is not a question bank of {corpus_dir}; banks: {', '.join(f.name for f in files)}")
        return path
    if len(files) != 1:
        found = ", ".join(f.name for f in files) or "none"
        raise ChatbotError(f"{corpus_dir} holds {len(files)} question banks ({found}); pass --bank FILE")
    return files[0]


def read_candidates(path: Path, sections: set[tuple[str, ...]]) -> list[BankQuestion]:
    """The questions of a file of bank lines, checked like the bank; BankError naming file:line."""
    return check_lines(_confirmed(read_jsonl(path, BankError)), sections)


def add_questions(corpus_dir: str | Path, lines: str | Path, *, bank: str | Path | None = None, dry_run: bool = False) -> Added:
    """Append the questions of the file `lines` to the corpus's bank. Every line must be valid and
    new (not in any bank file, nor twice in `lines`); otherwise one BankError names the first bad
    line and no bank file changes."""
    corpus_dir, lines = Path(corpus_dir), Path(lines)
    sections = guide_sections(corpus_dir)
    target = bank_file(corpus_dir, bank)
    with _locked(target):
        existing = load_bank(corpus_dir, sections)  # the bank as it stands must be valid
        new = read_candidates(lines, sections)
        check_repeats(existing + new)
        if new and not dry_run:
            _append(target, [json.dumps(q.to_dict(), ensure_ascii=False) for q in new])
    return Added(target, tuple(new), len(existing) + len(new), dry_run)


def _confirmed(lines: Iterator[tuple[str, object]]) -> Iterator[tuple[str, object]]:
    """Candidate lines without their `"suggested"` context; a line still unconfirmed is an error."""
    for where, data in lines:
        if isinstance(data, dict):
            data = {key: value for key, value in data.items() if key != SUGGESTED}
            if "answered" in data and data["answered"] is None:
                raise BankError(
                    f'{where}: "answered" is not set yet; set it to true (the section answers the question) '
                    'or to false with a "reason"'
                )
        yield where, data


def _append(path: Path, lines: list[str]) -> None:
    """Write the bank with `lines` added to a temporary file beside it, then rename it over the bank."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data += b"\n"
    data += "".join(line + "\n" for line in lines).encode("utf-8")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ChatbotError(f"cannot write {path} ({exc.strerror or exc}); the bank is unchanged") from None
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _locked(path: Path):
    """One writer of a bank at a time (a lock file beside it: the bank itself is replaced, not written)."""
    return exclusive(
        path.with_name(f".{path.name}.lock"),
        lambda exc: ChatbotError(f"cannot lock {path} ({exc.strerror or exc}); is the corpus folder writable?"),
    )
