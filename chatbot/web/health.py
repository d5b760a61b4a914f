"""`/healthz`: whether this replica should get traffic, for a load balancer's checks.

Healthy (200) while the index folder's live build (the one `CURRENT` names) is present and every
file of it matches its manifest's sha256; 503 while it is missing or damaged (a rebuild makes it
healthy again). The check is cheap: a file is hashed once per identity (size, mtime, inode), as
loading the index does, and a build whose files' identities have not changed since the last check
is not looked at again. The feedback store's reachability is reported but does not make a
replica unhealthy: answers keep flowing while it is down (rows wait and are retried).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import IndexError_
from ..index.load import build_files, damaged_file, live_folder
from ..index.manifest import read_manifest

STORE_CHECK_EVERY = 5.0  # seconds a store probe's result is reused


@dataclass(frozen=True)
class HealthReport:
    """What `/healthz` answers: `ok` (200) or not (503, `error` says why)."""

    ok: bool
    build: str  # the build CURRENT names
    serving: str  # the build answering now (differs from `build` for a second or two after a rebuild)
    model: str
    fine_tuned: bool
    built_at: str
    store_reachable: bool | None  # None: unknown (no probe for this store)
    rebuilding: bool
    error: str = ""

    def to_dict(self) -> dict:
        return {"status": "ok" if self.ok else "unavailable", **asdict(self)}


class Health:
    """Checks the live build of an index folder (and the feedback store) on demand. Thread-safe."""

    def __init__(self, index_dir: Path, live, *, store_check: Callable[[], bool | None] | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.live = live
        self.store_check = store_check or (lambda: None)
        self._lock = threading.Lock()
        self._seen: tuple = ()  # (identities of the build's files, its manifest, the error or "")
        self._store: tuple[float, bool | None] = (float("-inf"), None)

    def check(self) -> HealthReport:
        status = self.live.status()
        with self._lock:
            build, manifest, error = self._index()
            store = self._store_reachable()
        return HealthReport(
            ok=not error,
            build=build,
            serving=status.build,
            model=manifest.model if manifest else "",
            fine_tuned=bool(manifest and manifest.fine_tuned),
            built_at=manifest.built_at if manifest else "",
            store_reachable=store,
            rebuilding=status.rebuilding,
            error=error,
        )

    def _index(self) -> tuple[str, object, str]:
        """(build name, manifest or None, why it is unusable or "")."""
        try:
            folder = live_folder(self.index_dir, hint="rebuild it")
            manifest = read_manifest(folder, hint="rebuild it")
        except IndexError_ as exc:
            return "", None, str(exc)
        identities = (folder.name, *(_identity(folder / name) for name in build_files(manifest)))
        if self._seen and self._seen[0] == identities:
            return folder.name, manifest, self._seen[2]
        damaged = damaged_file(folder, manifest)
        error = f"index file {damaged} is missing or damaged" if damaged is not None else ""
        self._seen = (identities, manifest, error)
        return folder.name, manifest, error

    def _store_reachable(self) -> bool | None:
        checked, reachable = self._store
        if time.monotonic() - checked >= STORE_CHECK_EVERY:
            try:
                reachable = self.store_check()
            except Exception:
                reachable = False
            self._store = (time.monotonic(), reachable)
        return reachable


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino
