"""The running server's index, kept live: a rebuild (here or by another process sharing the index
folder) is picked up without a restart, and questions never wait for it.

`LiveAssistant` answers with the Assistant of the build `index/CURRENT` named when it was loaded.
At most once a second a question looks at `CURRENT`; when it names another build, that build is
loaded and warmed up in a background thread while the old one keeps answering, then swapped in
with one assignment. `rebuild()` runs an incremental build (the fine-tuned model kept) in the
background, for the review page's "save".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..index.load import CURRENT
from ..settings import Settings
from .answer import Answer
from .assistant import Assistant

log = logging.getLogger(__name__)

CHECK_EVERY = 1.0  # seconds between looks at CURRENT


@dataclass(frozen=True)
class Status:
    """What the review page shows: rebuilding or not, and since when the live build answers."""

    rebuilding: bool
    live_since: datetime
    build: str
    error: str = ""

    def line(self) -> str:
        if self.rebuilding:
            return "rebuilding…"
        since = f"live since {self.live_since:%H:%M}"
        return f"{since} (the last rebuild failed: {self.error})" if self.error else since


class LiveAssistant:
    """An Assistant that follows the index folder's live build. Thread-safe."""

    def __init__(
        self,
        settings: Settings,
        assistant: Assistant | None = None,
        *,
        loader: Callable[[Settings], Assistant] | None = None,
        builder: Callable[[Settings], object] | None = None,
    ) -> None:
        self.settings = settings
        self._load = loader or (lambda s: Assistant.load(s))
        self._build = builder or _incremental_build
        self._assistant = assistant or self._load(settings)
        self._build_name = self._current_name()
        self._since = datetime.now()
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self._loading: threading.Thread | None = None
        self._rebuilding: threading.Thread | None = None
        self._rebuild_again = False
        self._error = ""

    @property
    def assistant(self) -> Assistant:
        """The Assistant answering now (after a look at CURRENT, at most once a second)."""
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY:
            self._checked = now
            self.refresh()
        return self._assistant

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        return self.assistant.ask(question, history)

    def sections(self) -> list[tuple[str, ...]]:
        return self.assistant.sections()

    def section_text(self, section: Sequence[str]) -> str:
        return self.assistant.section_text(section)

    @property
    def index(self):
        return self.assistant.index

    def refresh(self, *, wait: bool = False) -> None:
        """Start loading the build CURRENT names, if it is not the live one (`wait`: until loaded)."""
        name = self._current_name()
        with self._lock:
            if not name or name == self._build_name or (self._loading and self._loading.is_alive()):
                thread = self._loading
            else:
                thread = self._loading = threading.Thread(target=self._swap_to, args=(name,), daemon=True)
                thread.start()
        if wait and thread is not None:
            thread.join()

    def rebuild(self) -> None:
        """Rebuild the index in the background (one at a time; a request during a rebuild runs
        once more after it), then switch to it."""
        with self._lock:
            if self._rebuilding and self._rebuilding.is_alive():
                self._rebuild_again = True
                return
            self._rebuilding = threading.Thread(target=self._rebuild_loop, daemon=True)
            self._rebuilding.start()

    def wait(self, timeout: float | None = None) -> None:
        """Until the running rebuild and load (if any) are done; for tests and shutdown."""
        if self._rebuilding is not None:
            self._rebuilding.join(timeout)
        if self._loading is not None:  # read after the rebuild: it may have started a load
            self._loading.join(timeout)

    def status(self) -> Status:
        busy = any(t is not None and t.is_alive() for t in (self._rebuilding, self._loading))
        return Status(busy, self._since, self._build_name, self._error)

    def _rebuild_loop(self) -> None:
        while True:
            try:
                self._build(self.settings)
                self._error = ""
                self.refresh(wait=True)
            except Exception as exc:  # the live build keeps answering; the page shows why
                log.warning("live rebuild failed: %s", exc)
                self._error = str(exc).splitlines()[0][:200]
            with self._lock:
                if not self._rebuild_again:
                    return
                self._rebuild_again = False

    def _swap_to(self, name: str) -> None:
        try:
            assistant = self._load(self.settings)
            assistant.warm_up()
        except Exception as exc:
            log.warning("cannot switch to the index build %s: %s", name, str(exc).splitlines()[0])
            self._error = str(exc).splitlines()[0][:200]
            return
        self._assistant, self._build_name, self._since = assistant, self._current_name() or name, datetime.now()
        log.info("now answering from %s", self._build_name)

    def _current_name(self) -> str:
        try:
            return (self.settings.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            return ""


def _incremental_build(settings: Settings) -> object:
    from ..index.build import build_index

    return build_index(settings, retune=False)
