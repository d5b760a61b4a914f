"""What a question asks for, read from its words: a kind of figure, reasons, a comparison, a ranking;
and what a sentence of the guide holds (a figure, a labelled side, a continued subject).

The wording lives in the tables below (small data, English); the code only matches word sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..guide.text import tokens

# "how much … cost/pay/…": an amount is asked when one of these follows "how much"
AMOUNT_WORDS = frozenset("cost costs pay paid earn make makes charge fee fees money salary".split())
DURATION_UNITS = frozenset("year years month months week weeks day days hour hours".split())
NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten several dozen dozens hundred hundreds thousand thousands".split()
)
NUMERIC_WORDS = frozenset("salary pay earn wage rate raise median average range grow growth".split())
NUMERIC_PHRASES = (
    "how much",
    "how many",
    "how long",
    "how often",
    "how fast",
    "how big",
    "how quickly",
    "what percent",
    "what percentage",
    "what share",
    "what portion",
    "per year",
    "per hour",
)
REASON_WORDS = frozenset("depend depends depending why".split())
REASON_PHRASES = tuple(
    f"what {w}" for w in "factor factors affect affects determine determines influence influences drive drives".split()
)
COMPARISON_WORDS = frozenset("vs versus compare compared comparison difference differ differs different than both".split())
COMPARISON_PHRASES = ("closer to", "or a", "or an", "same as")
RANKING_WORDS = frozenset("better best worse worst easier harder smarter".split())
RANKING_MORE = frozenset("valuable respected recognized useful worthwhile".split())  # "which … more valuable"
RANKING_MADE = frozenset("better best worse worst easier harder preferred recommended".split())
RANKING_CHOICE = frozenset("than option choice".split())  # "better than", "easier option"
CHOOSING = ("should i get", "should i choose", "should i pick", "should i go for", "should i take", "should i do")
# What is allowed or required differs by state ("allowed", "licensed", "requirements", "regulation"…)
RULE_WORDS = frozenset("allowed legal legally law laws".split())
RULE_STEMS = ("licen", "permit", "require", "regulat")
# "what are the duties…", "which certifications…", "list the skills": the answer is a list
LIST_STARTS = ("what are", "what re", "which are", "list", "name", "what kinds", "what types", "what sort")
LIST_NOUNS = frozenset(
    """duties tasks responsibilities jobs skills qualities traits types kinds options ways steps roles settings places
    certifications certificates credentials requirements benefits advantages things""".split()
)
CONTINUING = frozenset("they their them this these those it its such".split())
LABEL_MAX_CHARS = 60


class Figure(Enum):
    """A kind of figure a question asks for."""

    PERCENT = "percent"
    DURATION = "duration"
    AMOUNT = "amount"
    COUNT = "count"


FIGURE_PHRASES: tuple[tuple[Figure, tuple[str, ...]], ...] = (
    (Figure.PERCENT, ("what percent", "what percentage", "what share", "what proportion", "what fraction", "how many percent")),
    (Figure.DURATION, ("how long", "how soon", "how quickly", *(f"how many {u}" for u in sorted(DURATION_UNITS)))),
    (Figure.AMOUNT, ("how much money",)),
    (Figure.COUNT, ("how many",)),
)


@dataclass(frozen=True)
class Words:
    """A text's lower-case words, for phrase look-ups."""

    words: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(tuple(tokens(text)))

    def has(self, phrase: str) -> bool:
        wanted = tuple(phrase.split())
        n = len(wanted)
        return any(self.words[i : i + n] == wanted for i in range(len(self.words) - n + 1))

    def after(self, phrase: str) -> tuple[str, ...]:
        """The words after the first occurrence of `phrase` (empty when it does not occur)."""
        wanted = tuple(phrase.split())
        n = len(wanted)
        for i in range(len(self.words) - n + 1):
            if self.words[i : i + n] == wanted:
                return self.words[i + n :]
        return ()


def asks_reasons(question: str) -> bool:
    """ "What affects pay?", "why do some earn more?": reasons, not a figure."""
    words = Words.of(question)
    return bool(REASON_WORDS & set(words.words)) or any(words.has(p) for p in REASON_PHRASES)


def figure_asked(question: str) -> Figure | None:
    """The kind of figure the question asks for, if any (questions asking for reasons ask for none)."""
    if asks_reasons(question):
        return None
    words = Words.of(question)
    for figure, phrases in FIGURE_PHRASES:
        if any(words.has(p) for p in phrases):
            return figure
        if figure is Figure.AMOUNT and AMOUNT_WORDS & set(words.after("how much")):
            return figure
    return None


def figure_words(question: str) -> str:
    """The words that ask for a figure ("how long", "what percentage"), as the question has them; ""."""
    words = Words.of(question)
    for _, phrases in FIGURE_PHRASES:
        if found := next((p for p in phrases if words.has(p)), None):
            return found
    return "how much" if figure_asked(question) is Figure.AMOUNT else ""


def holds_figure(figure: Figure, text: str) -> bool:
    """Whether `text` holds a figure of that kind ("14%", "9 months", "$38,270", "two")."""
    words = tokens(text)
    if figure is Figure.PERCENT:
        return any(w.endswith("%") or w == "percent" for w in words)
    if figure is Figure.DURATION:
        return any(w[:1].isdigit() and unit in DURATION_UNITS for w, unit in zip(words, words[1:]))
    if figure is Figure.AMOUNT:
        return any(w.startswith("$") and w[1:2].isdigit() for w in words)
    # a count ("one" is left out: "one of the most…" counts nothing)
    return any(w[:1].isdigit() or w in NUMBER_WORDS for w in words)


def counted(question: str) -> tuple[str, ...]:
    """What "how many …" counts: up to three words after it."""
    return Words.of(question).after("how many")[:3]


def is_numeric(question: str) -> bool:
    """The question is about a number (pay, growth, a duration…): sentences with figures answer it."""
    words = Words.of(question)
    return (
        any(ch.isdigit() for ch in question)
        or bool(NUMERIC_WORDS & set(words.words))
        or any(words.has(p) for p in NUMERIC_PHRASES)
    ) and not asks_reasons(question)


def is_comparison(question: str) -> bool:
    words = Words.of(question)
    return any(w in COMPARISON_WORDS or w.startswith("differ") for w in words.words) or any(
        words.has(p) for p in COMPARISON_PHRASES
    )


def asks_ranking(question: str) -> bool:
    """ "CMA or RMA, which one is better?", "should I get X or Y?": the question asks to rank options."""
    words = Words.of(question).words
    for i, word in enumerate(words):
        if word == "which":
            window = words[i + 1 : i + 8]  # up to five words between "which" and the ranking ("which one is better")
            if RANKING_WORDS & set(window[:6]) or any(a == "more" and b in RANKING_MORE for a, b in zip(window, window[1:])):
                return True
        if word in RANKING_WORDS - {"best", "worst", "smarter"} and i + 1 < len(words) and words[i + 1] in RANKING_CHOICE:
            return True
    question_words = Words.of(question)
    return any(question_words.has(p) and "or" in question_words.after(p) for p in CHOOSING)


def asks_rules(question: str) -> bool:
    """Whether a question asks what is allowed, required or licensed ("scope of practice" too)."""
    words = tokens(question)
    return any(w in RULE_WORDS or w.startswith(RULE_STEMS) for w in words) or "scope of practice" in " ".join(words)


def makes_ranking(text: str) -> bool:
    """The guide's text ranks something itself ("…have better job security")."""
    return bool(RANKING_MADE & set(tokens(text)))


def label_of(sentence: str) -> str | None:
    """The label of a labelled sentence ("Nurses: Provide direct patient care…" → "Nurses"), else None."""
    label, colon, rest = sentence.partition(":")
    if not colon or not rest.startswith(" ") or not 2 <= len(label) <= LABEL_MAX_CHARS + 1 or not label[0].isupper():
        return None
    return label


def continues(sentence: str) -> bool:
    """The sentence carries on the previous one's subject ("They…", "Their primary focus…")."""
    words = tokens(sentence)
    return bool(words) and words[0] in CONTINUING


def asks_list(question: str) -> bool:
    """ "What are the duties…", "which skills…", "list the certifications": the answer is a list."""
    words = Words.of(question)
    starts = any(words.words[: len(start.split())] == tuple(start.split()) for start in LIST_STARTS)
    return starts or bool(LIST_NOUNS & set(words.words))


def quotable(sentence: str) -> bool:
    """Whether a sentence of the guide can stand in an answer: not one of its rhetorical questions, not
    a list's lead-in without its list. (Sentences about the article itself are its housekeeping,
    found at build time: `index/housekeeping.py`.)"""
    return not sentence.rstrip().endswith(("?", ":"))
