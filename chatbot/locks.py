"""One holder at a time of a lock file (an advisory `flock`, released when the holder is done)."""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(lock_file: Path, refused: Callable[[OSError], Exception]) -> Iterator[None]:
    """Hold `lock_file` (created if needed; a second holder waits); `refused(error)` is raised
    when the file cannot be opened."""
    try:
        handle = lock_file.open("a")
    except OSError as exc:
        raise refused(exc) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
