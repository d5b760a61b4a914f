"""The project's own exceptions: each message tells the reader what to do next."""

from __future__ import annotations


class ChatbotError(Exception):
    """Base class; the CLI prints the message on one line and exits with status 1."""


class CorpusError(ChatbotError):
    """The corpus folder is missing, empty or holds a file that cannot be read."""


class ModelError(ChatbotError):
    """The embedding model cannot be found or loaded offline."""


class IndexError_(ChatbotError):
    """The index is missing, corrupt or out of date."""


class IndexMissingError(IndexError_):
    """No index has been built yet."""


class IndexCorruptError(IndexError_):
    """Index files are unreadable or disagree with each other."""


class IndexStaleError(IndexError_):
    """The index was built from another corpus or another model."""


REBUILD_HINT = "run `python -m chatbot build-index`"
