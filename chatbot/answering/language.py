"""Whether a message is written in a language other than English, the guide's language.

py3langid names the likeliest language; since it is unsure on a few words ("ob gyn ma" comes out
Welsh), a message counts as another language only when most of its words are also more frequent
in that language than in English (wordfreq), (ten times as frequent), so English chat shorthand and loanwords stay English.
"""

from __future__ import annotations

from functools import lru_cache

from ..guide.text import tokens

ENGLISH = "en"
MIN_WORDS = 2
MARGIN = 1.0  # a word leans to the other language when it is ten times as frequent there (one Zipf step)


@lru_cache(maxsize=1)
def _identifier():
    from .langid_model import identifier

    return identifier()


def other_language(text: str) -> str | None:
    """The language code of a message written in another language than English, else None."""
    words = [w for w in tokens(text) if w.isalpha()]
    unspaced = any(_unspaced(ch) for ch in text)
    if len(words) < MIN_WORDS and not unspaced:
        return None
    language, _ = _identifier().classify(text)
    if language == ENGLISH:
        return None
    if unspaced:
        return language
    from wordfreq import available_languages, zipf_frequency  # 0.2 s to import: only when not English

    if language not in available_languages():
        return None
    theirs = sum(zipf_frequency(w, language) > zipf_frequency(w, ENGLISH) + MARGIN for w in words)
    return language if theirs * 2 > len(words) else None


def _unspaced(ch: str) -> bool:
    """A character of a script written without spaces between words (Chinese, Japanese, Thai…)."""
    return "\u0e00" <= ch <= "\u0eff" or "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"
