"""The index folder on disk: one build at a time, the live build checked, `CURRENT` switched
atomically to a new build, old builds removed, and everything synced before it counts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import IndexCorruptError, IndexError_, IndexMissingError, IndexStaleError
from ..locks import exclusive
from .load import CURRENT, damaged_file, live_folder
from .manifest import Manifest, read_manifest


def intact_build(index_dir: Path) -> tuple[Path, Manifest] | None:
    """The live build and its manifest when every file checks out; None when missing or damaged."""
    try:
        folder = live_folder(index_dir)
        manifest = read_manifest(folder)
    except (IndexMissingError, IndexCorruptError, IndexStaleError):
        return None
    return (folder, manifest) if damaged_file(folder, manifest) is None else None


def point_current(index_dir: Path, name: str) -> None:
    temporary = index_dir / f".{CURRENT}.{os.getpid()}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(name + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, index_dir / CURRENT)
    _fsync_dir(index_dir)


def remove_old_builds(index_dir: Path, *, keep: set[str]) -> None:
    """Remove leftovers of interrupted builds and every build not in `keep`."""
    for path in index_dir.iterdir():
        if path.name not in keep and path.name.startswith(("build-", ".tmp-build-", f".{CURRENT}.")):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def build_lock(index_dir: Path):
    """One build at a time per index folder (a second waits for the first)."""
    return exclusive(
        index_dir / ".lock",
        lambda exc: IndexError_(f"cannot write to the index folder {index_dir} ({exc.strerror}); pass another --index"),
    )


def fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
