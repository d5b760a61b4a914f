"""The log of a feedback database that cannot be written: one warning when the outage starts, at
most one a minute while it lasts (with the rows dropped since the last one), one when it is over."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import database as db

log = logging.getLogger(__name__)

LOG_EVERY = 60.0  # how often a lasting outage is logged, at most


@dataclass
class Outage:
    """The log of a database that cannot be written: a warning when it starts, at most one a
    minute while it lasts (with rows dropped since the last one), and one when it is over."""

    where: str
    retry_seconds: float
    every: float = LOG_EVERY
    clock: Callable[[], float] = time.monotonic
    since: float | None = None  # when the first write failed
    said: float = field(default=float("-inf"))  # when the last line was logged
    error: str = ""
    unreported: int = 0  # rows dropped since the last line
    dropped_total: int = 0  # rows dropped during this outage

    def failed(self, error: Exception, *, waiting: int) -> None:
        self.error = db.reason(error)
        moment = self.clock()
        if self.since is None:
            self.since = moment
            self._say(
                f"feedback: cannot write to {self.where} ({self.error}); answers go on, "
                f"rows wait up to {self.retry_seconds:g} s and are retried"
            )
        elif moment - self.said >= self.every:
            self._say(
                f"feedback: {self.where} still unwritable after {moment - self.since:.0f} s ({self.error}); "
                f"{waiting} rows waiting{self._losses()}"
            )

    def dropped(self, count: int) -> None:
        self.unreported += count
        self.dropped_total += count

    def idle(self, *, force: bool = False) -> None:
        """Nothing to write: report rows dropped since the last line (once the minute is up, or now)."""
        if self.unreported and (force or self.clock() - self.said >= self.every):
            self._say(
                f"feedback: {self.unreported} rows lost, not written to {self.where} within "
                f"{self.retry_seconds:g} s ({self.error})"
            )
            self.unreported = 0

    def over(self) -> None:
        if self.since is None:
            return
        lost = f"; {self.dropped_total} rows lost meanwhile" if self.dropped_total else "; every waiting row kept"
        self._say(f"feedback: {self.where} is writable again after {self.clock() - self.since:.1f} s{lost}")
        self.since, self.unreported, self.dropped_total = None, 0, 0

    def _losses(self) -> str:
        losses, self.unreported = self.unreported, 0
        return f"; {losses} rows lost (waited over {self.retry_seconds:g} s)" if losses else ""

    def _say(self, line: str) -> None:
        self.said = self.clock()
        log.warning("%s", line)
