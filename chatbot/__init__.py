"""Answer medical-assistant career questions from a curated guide, with citations."""

from .answering.answer import Answer, Citation, Hit, Quote
from .answering.assistant import Assistant
from .errors import ChatbotError, CorpusError, IndexCorruptError, IndexMissingError, IndexStaleError, ModelError
from .guide.chunking import Passage
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
