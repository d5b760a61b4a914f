"""JSON-lines logs (`serve --log-json`): one JSON object a line, for a log collector.

{"time": "2025-05-01T12:03:04.123Z", "level": "WARNING", "logger": "chatbot.web.routes", "message": "bad request to /v1/ask: …"}
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Loggers whose handlers the server's libraries set up themselves (uvicorn's own dictConfig).
OWN_HANDLERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time (UTC), level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def use_json_lines() -> None:
    """Format every handler of the root logger, and of the libraries' own loggers, as JSON lines."""
    formatter = JsonLines()
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    for name in ("", *OWN_HANDLERS):
        for handler in logging.getLogger(name).handlers:
            handler.setFormatter(formatter)
