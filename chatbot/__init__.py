"""Answer medical-assistant career questions from a curated guide, with citations."""

from .answer import Answer, Citation, Hit, Quote
from .assistant import Assistant
from .chunking import Passage
from .errors import ChatbotError, CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError, ModelError
from .settings import Settings

__all__ = [
    "Answer",
    "Assistant",
    "ChatbotError",
    "Citation",
    "CorpusError",
    "Hit",
    "IndexCorruptError",
    "IndexMissingError",
    "IndexStaleError",
    "ModelError",
    "Passage",
    "Quote",
    "Settings",
]
