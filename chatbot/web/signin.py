"""The review page's sign-in, hard to guess through: a long password, and a growing delay for a
client that keeps giving wrong ones.

After `FREE_TRIES` wrong passwords in a row from one client address, its attempts are refused for
`FIRST_DELAY` seconds, doubling with each further wrong one up to `MAX_DELAY`; while refused, even
the right password is refused (one log line a refusal), so guessing is not sped up by trying
anyway. The right password, once accepted, clears the client's count. Counts live in memory, per
server (at most `CLIENTS` addresses, the least recently seen dropped first).
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import ChatbotError

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 12
FREE_TRIES = 3  # wrong passwords in a row from one client, the last of which makes it wait
FIRST_DELAY = 2.0  # seconds refused after the first wrong password past the free ones
MAX_DELAY = 900.0  # the delay stops growing here (15 minutes)
CLIENTS = 10_000


def check_admin_password(password: str, *, variable: str = "CHATBOT_ADMIN_PASSWORD") -> None:
    """ChatbotError unless `password` is empty (no review page) or has at least `MIN_PASSWORD_CHARS` characters."""
    if password and len(password) < MIN_PASSWORD_CHARS:
        raise ChatbotError(
            f"{variable} has {len(password)} characters; the review page needs at least {MIN_PASSWORD_CHARS} "
            f"(choose a longer one, or unset it to serve without the review page)"
        )


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    REFUSED = "refused"  # too many wrong passwords lately: not even checked


@dataclass(frozen=True)
class Attempt:
    """What became of one sign-in: its outcome and, when refused or wrong, the seconds to wait before the next."""

    outcome: Outcome
    wait: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED

    def message(self) -> str:
        """What the page says."""
        if self.outcome is Outcome.ACCEPTED:
            return ""
        if self.wait > 0:
            return f"Too many wrong passwords. Try again in {max(1, round(self.wait))} s."
        return "Wrong password."


@dataclass
class _Failures:
    count: int = 0
    until: float = 0.0  # refused before this moment


class SignIn:
    """Checks passwords against `password`, counting wrong ones by client address."""

    def __init__(
        self,
        password: str,
        *,
        free_tries: int = FREE_TRIES,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._password = password.encode()
        self.free_tries = free_tries
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, given: str | None, client: str | None) -> Attempt:
        """Check one password from `client`; refused without a look while its delay lasts."""
        key = client or "?"
        now = self.clock()
        with self._lock:
            failures = self._failures.pop(key, None) or _Failures()
            self._failures[key] = failures
            while len(self._failures) > CLIENTS:
                self._failures.popitem(last=False)
            if now < failures.until:
                wait = failures.until - now
                count = failures.count
                log.warning("review page: sign-in from %s refused for %.0f s more (%d wrong passwords)", key, wait, count)
                return Attempt(Outcome.REFUSED, wait)
            if hmac.compare_digest((given or "").encode(), self._password):
                del self._failures[key]
                return Attempt(Outcome.ACCEPTED)
            failures.count += 1
            over = failures.count - self.free_tries + 1  # the last free try already starts the wait
            delay = min(self.max_delay, self.first_delay * 2 ** (over - 1)) if over > 0 else 0.0
            failures.until = now + delay
        log.warning("review page: wrong admin password from %s (%d in a row)", key, failures.count)
        return Attempt(Outcome.WRONG, delay)
