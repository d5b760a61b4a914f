"""A lean client for `POST /v1/ask`, for the load test: HTTP/1.1 on one kept-alive asyncio
connection, no cookies, no threads.

The load generator shares the machine's two cores with the server it measures: httpx from 50
threads costs ~1 ms of CPU a question (much of it switching threads), this client ~0.1–0.4 ms
(`scripts/load_test.py`, docs/benchmarks.md). It speaks just what the route answers: a status
line, headers, then a body of `Content-Length` bytes or in chunks.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit

PATH = "/v1/ask"


class V1Client:
    """One program calling `POST /v1/ask`: a connection opened on the first question and kept
    alive; after a failure, or when the server closes it, the next question opens a new one."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def ask(self, question: str, history: list[str]) -> dict:
        """The route's JSON reply to one question; RuntimeError for any status but 200."""
        body = json.dumps({"question": question, "history": history}, ensure_ascii=False).encode()
        try:
            status, reply, keep = await asyncio.wait_for(self._exchange(body), self.timeout)
        except BaseException:
            await self.close()
            raise
        if not keep:
            await self.close()
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {reply[:200].decode(errors='replace')}")
        return json.loads(reply)

    async def _exchange(self, body: bytes) -> tuple[int, bytes, bool]:
        reused = self._writer is not None
        try:
            return await self._send_and_read(body)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            nothing_read = not isinstance(exc, asyncio.IncompleteReadError) or not exc.partial
            if not (reused and nothing_read):
                raise
        await self.close()  # a kept-alive connection the server had closed meanwhile: once more on a new one
        return await self._send_and_read(body)

    async def _send_and_read(self, body: bytes) -> tuple[int, bytes, bool]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self._writer.write(head.encode("ascii") + body)
        reader = self._reader
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            reply = await _chunks(reader)
        else:
            reply = await reader.readexactly(int(headers.get("content-length", "0")))
        return status, reply, headers.get("connection", "").lower() != "close"

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        parts.append(await reader.readexactly(size + 2))
        if size == 0:
            return b"".join(part[:-2] for part in parts)
