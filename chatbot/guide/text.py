"""Text cleaning and words: one place for how a message or a sentence becomes words and stems.

Stems come from PyStemmer (the Snowball English stemmer), the same as BM25's (`lexical.py`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import Stemmer

READ_CHARS = 4000  # raw characters of a message read at most (tags and spaces fall away)

_TAG = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"[^\W\d_][\w'&/.-]*[^\W_]|[^\W\d_&]|&|\$?\d[\d,.]*%?")

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been being do does did
    doing have has had having i me my you your we our they them their it its this that these those what which who
    whom how why when where can could should would will shall may might must not no yes there here about into over
    under again further just also very really more most some any each all both few other such only own same than
    too s t don now get got im i'm you're it's that's what's there's let lets""".split()
)


def clean(message: str) -> str:
    """Printable text of a message: tags and control characters removed, entities unescaped,
    spaces folded. Only the first READ_CHARS characters are read, so a huge paste costs no more
    than a long question (`query.message_end` passes a long message's end)."""
    text = html.unescape(_TAG.sub(" ", message[:READ_CHARS]))
    text = unicodedata.normalize("NFKC", text).replace("’", "'").replace("‘", "'")
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())


def raw_words(text: str) -> list[str]:
    """The words, numbers and amounts of a text as written ("MA's", "$38,270", "w/")."""
    return _WORD.findall(text)


def title_case(words: Sequence[str]) -> bool:
    """Whether words are written as a title: most of those of four letters or more start with a capital."""
    long = [w for w in words if len(w) >= 4 and w[0].isalpha()]
    return bool(long) and sum(w[0].isupper() for w in long) * 2 > len(long)


def tokens(text: str) -> list[str]:
    return [w.lower().strip(".'") for w in _WORD.findall(text) if w.strip(".'")]


def content_words(text: str) -> list[str]:
    """Lower-case words of a text without stop words."""
    return [w for w in tokens(text) if w not in STOPWORDS]


@lru_cache(maxsize=1)
def stemmer() -> Stemmer.Stemmer:
    """The Snowball English stemmer (one per process)."""
    return Stemmer.Stemmer("english")


def stems(words: list[str]) -> set[str]:
    """Word stems, so "depends" meets "depend" and "nurses" meets "nurse"."""
    return set(stemmer().stemWords(words))
