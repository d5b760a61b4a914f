"""Per-client rate limits: a token bucket for each client address, shared by the chat window and
`POST /v1/ask` (`serve --rate-limit N --rate-burst N`; `--rate-limit 0` turns it off).

A client starts with `burst` questions in hand and earns `per_minute` more a minute, up to
`burst`; a question with none left is refused with the seconds until the next one is earned (HTTP
429 with `Retry-After` on the API, a polite line in the chat window). Only the client over its
limit waits: no one else's bucket is touched. At most `CLIENTS` buckets are kept, the least
recently used dropped first (a dropped client starts again with a full bucket).

The client address is the connection's, or, from a trusted balancer only, the one it forwards:
uvicorn's proxy-headers middleware reads `X-Forwarded-For` from the addresses in its
`FORWARDED_ALLOW_IPS` variable, which `trust_forwarded` sets (`serve --trusted-proxy ADDR`).
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

PER_MINUTE = 30.0  # questions a client earns a minute
BURST = 10  # questions a client may ask at once after a pause
CLIENTS = 10_000  # buckets kept at most (~200 bytes each)
SLOW_DOWN = (
    "You are asking faster than I can keep up with. Please wait {seconds} second{s} and ask again; "
    "your earlier answers are still here."
)


class RateLimited(Exception):
    """A question refused because its client is over its rate limit; the message is the polite line."""


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets by client address; thread-safe (the chat window answers on worker threads)."""

    def __init__(
        self,
        per_minute: float = PER_MINUTE,
        burst: int = BURST,
        *,
        clients: int = CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs a positive rate and a burst of at least 1")
        self.per_second = per_minute / 60.0
        self.burst = float(burst)
        self.clients = clients
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str | None) -> float:
        """Take one question from `client`'s bucket: 0.0 when it may ask now, else the seconds until it may."""
        key = client or "?"
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
            bucket.at = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.clients:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.per_second


def limiter(per_minute: float, burst: int) -> RateLimiter | None:
    """The limiter a server uses: None (no limit) when `per_minute` is 0."""
    return RateLimiter(per_minute, burst) if per_minute > 0 else None


def retry_after(seconds: float) -> int:
    """Whole seconds for a `Retry-After` header (at least 1)."""
    return max(1, math.ceil(seconds))


def slow_down(seconds: float) -> str:
    """The chat window's polite line for a client over its limit."""
    whole = retry_after(seconds)
    return SLOW_DOWN.format(seconds=whole, s="s" * (whole != 1))


def client_of(request) -> str | None:
    """The client address of a Starlette or Gradio request (None when unknown)."""
    client = getattr(request, "client", None) if request is not None else None
    return getattr(client, "host", None) or None


def trust_forwarded(addresses: Iterable[str]) -> None:
    """Let uvicorn take the client address from `X-Forwarded-For` only on connections from
    `addresses` (the balancer); none: never (every client is the connection's own address).
    Call before the server starts."""
    os.environ["FORWARDED_ALLOW_IPS"] = ",".join(a.strip() for a in addresses if a.strip())
