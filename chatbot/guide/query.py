"""Read a message the way a person meant it: clean text, expand abbreviations and slang,
fix typos against the guide's vocabulary, and fold a follow-up into the earlier turn it leans on
(which turn, if any, the fitted follow-up reader in `context.py` decides)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache

from .shorthand import ABBREVIATIONS, SYNONYMS
from .text import READ_CHARS, STOPWORDS, clean, content_words, raw_words, tokens

MAX_QUESTION_CHARS = 1000


# A sentence that tries to steer the assistant rather than ask ("Ignore the guide and …").
_INSTRUCTION = re.compile(
    r"[^.!?]*(\b(ignore|disregard|forget|override)\b[^.!?]*\b(guide|article|instructions?|above|previous|prior|"
    r"rules|prompt|context|everything)\b|\bsystem prompt\b|\byou are now\b|\bpretend (to be|you are)\b|"
    r"\bjailbreak\b|\bdeveloper mode\b)[^.!?]*(?:[.!?]+|$)",
    re.I,
)


@dataclass(frozen=True)
class Query:
    """A message as read for retrieval."""

    text: str  # cleaned, trimmed; what is shown back to the user
    focus: str  # the question proper within a long message
    dense: str  # what the dense model embeds to rank passages
    own: str  # the message's own question, embedded to pick sentences (differs from `dense` for follow-ups)
    lexical: str  # what BM25 searches, with synonyms
    interpreted_as: str  # the question with follow-up context, as shown to the user
    is_followup: bool
    trimmed: bool
    topic: str = ""  # the guide's main subject, e.g. "medical assistant"
    instructions_removed: bool = False  # sentences that tried to steer the assistant were left out


def read_query(
    message: str,
    history: Sequence[str] = (),
    *,
    leans_on: int | None = None,
    vocabulary: frozenset[str] = frozenset(),
    known: frozenset[str] = frozenset(),
    topic: str = "",
) -> Query:
    """Turn a message (and the earlier user turn it leans on, `history[leans_on]`) into the texts
    retrieval searches for.

    `vocabulary` holds the guide's words (typos are corrected towards them), `known` the model's
    whole words (never "corrected"), and `topic` the guide's main subject ("medical assistant"),
    which every passage shares and so is left out of what the dense model compares.
    """
    text, trimmed = message_end(message)
    asked = _INSTRUCTION.sub(" ", text)
    removed = asked != text
    focus = focus_of(" ".join(asked.split()))
    context = message_end(history[leans_on])[0] if leans_on is not None and 0 <= leans_on < len(history) else ""
    followup = bool(context)
    interpreted = f"{context} {focus}".strip() if followup else focus
    expanded = expand(interpreted, vocabulary, known)
    return Query(
        text=text,
        focus=focus,
        dense=without_topic(expanded, topic),
        own=without_topic(expand(focus, vocabulary, known), topic) if followup else without_topic(expanded, topic),
        lexical=_lexical(expanded, topic),
        interpreted_as=interpreted,
        topic=topic,
        is_followup=followup,
        trimmed=trimmed,
        instructions_removed=removed,
    )


def message_end(message: str) -> tuple[str, bool]:
    """The cleaned message, or for a long paste its last MAX_QUESTION_CHARS characters (from a
    sentence start when one is near): people put their question at the end of what they paste.
    The flag says whether anything was left out."""
    text = clean(message[-READ_CHARS:])
    if len(text) <= MAX_QUESTION_CHARS:
        return text, len(message) > READ_CHARS
    tail = text[-MAX_QUESTION_CHARS:]
    starts = [tail.find(end) for end in (". ", "? ", "! ") if 0 <= tail.find(end) < MAX_QUESTION_CHARS // 3]
    tail = tail[min(starts) + 2 :] if starts else tail.split(" ", 1)[-1]
    return tail, True


def focus_of(text: str) -> str:
    """In a long, rambling message, the last question it asks; otherwise the message itself."""
    if len(text) <= 200 or "?" not in text:
        return text
    head = text[: text.rindex("?") + 1]
    for separator in (": ", "? ", ". ", "! "):
        if separator in head[:-1]:
            tail = head.rsplit(separator, 1)[1] if separator != "? " else head[:-1].rsplit("? ", 1)[1] + "?"
            if len(tail.split()) >= 4:
                return tail.strip()
    return text


def expand(text: str, vocabulary: frozenset[str], known: frozenset[str] = frozenset()) -> str:
    """Spell out abbreviations and shorthand, and correct misspelled words to guide words."""
    out: list[str] = []
    for raw in raw_words(text):
        word = raw.lower().rstrip(".")
        if word in ABBREVIATIONS:
            out.append(ABBREVIATIONS[word])
        elif raw[0] == "$" or raw[0].isdigit():
            out.append(raw)
        else:
            out.append(word if _is_known(word, known) or not vocabulary else correct(word, vocabulary))
    return " ".join(out)


def _is_known(word: str, known: frozenset[str]) -> bool:
    return word in known or (word.endswith("s") and word[:-1] in known) or (word.endswith("es") and word[:-2] in known)


def without_topic(text: str, topic: str) -> str:
    """`text` without the guide's topic phrase (singular or plural), unless little else is left."""
    if not topic:
        return text
    pattern = r"\b" + r"\s+".join(re.escape(w) for w in topic.split()) + r"s?\b"
    rest = " ".join(re.sub(pattern, " ", text, flags=re.I).split())
    return rest if len(content_words(rest)) >= 2 else text


def correct(word: str, vocabulary: frozenset[str]) -> str:
    """The closest guide word for a misspelling of five letters or more; else the word itself."""
    if len(word) < 5 or word in vocabulary or word in STOPWORDS or not word.isalpha():
        return word
    return _closest(word, vocabulary)


@lru_cache(maxsize=4096)
def _closest(word: str, vocabulary: frozenset[str]) -> str:
    buckets = _by_length(vocabulary)
    candidates = [
        v for n in range(len(word) - 2, len(word) + 3) for v in buckets.get(n, ()) if v[0] == word[0] or v[1] == word[1]
    ]
    match = get_close_matches(word, candidates, n=1, cutoff=0.84)
    return match[0] if match else word


@lru_cache(maxsize=8)
def _by_length(vocabulary: frozenset[str]) -> dict[int, list[str]]:
    """Words by length, so a misspelling is compared only with words about as long and alike at the start."""
    buckets: dict[int, list[str]] = {}
    for word in sorted(vocabulary):
        if len(word) >= 2:
            buckets.setdefault(len(word), []).append(word)
    return buckets


def _lexical(expanded: str, topic: str) -> str:
    return without_topic(expanded, topic) + " " + " ".join(_synonyms(expanded))


def _synonyms(text: str) -> Iterable[str]:
    return (SYNONYMS[w] for w in tokens(text) if w in SYNONYMS)


@dataclass(frozen=True)
class Reader:
    """Reads messages against one guide: its words (typos are corrected towards them), the model's
    whole words (never "corrected") and the guide's topic phrase. The index build reads the bank's
    questions with the same reader as the assistant reads users' messages."""

    vocabulary: frozenset[str] = frozenset()
    known: frozenset[str] = frozenset()
    topic: str = ""

    @classmethod
    def for_guide(cls, passages: Sequence, known: frozenset[str]) -> Reader:
        from .corpus import topic_phrase

        vocabulary = frozenset(w for p in passages for w in tokens(" ".join(p.section) + " " + p.text))
        return cls(vocabulary, known, topic_phrase([p.text for p in passages]))

    def read(self, message: str, history: Sequence[str] = (), *, leans_on: int | None = None) -> Query:
        """`message` as read alone, or with `history[leans_on]`, the earlier turn it leans on."""
        return read_query(message, history, leans_on=leans_on, vocabulary=self.vocabulary, known=self.known, topic=self.topic)
