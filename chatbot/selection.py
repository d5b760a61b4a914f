"""Pick the guide's sentences that answer a question, and decide whether the guide answers it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .chunking import Passage, lists
from .query import Query
from .retrieval import Ranking
from .text import content_words, stems

QUOTE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3
QUOTE_MARGIN = 0.12  # a further sentence is quoted when it scores within this of the best
PASSAGE_BONUS = 0.5  # how much a sentence's passage score counts towards the sentence's own
FIGURE_POOL = 3  # passages searched for the kind of figure a question asks for
FIGURE_MARGIN = 0.05  # how far below the best such a passage may score and still answer

# Questions that ask for a kind of figure, and what a passage must hold to answer them.
EXPECTED_FIGURES = (
    (
        re.compile(r"\bwhat (percent|percentage|share|proportion|fraction)\b|\bhow many percent\b", re.I),
        re.compile(r"\d\s?%|\bpercent", re.I),
    ),
    (
        re.compile(r"\bhow (long|soon|quickly)\b|\bhow many (years|months|weeks|days|hours)\b", re.I),
        re.compile(r"\b\d+\s*(years?|months?|weeks?|days?|hours?)\b", re.I),
    ),
    (
        re.compile(r"\bhow much\b.*\b(cost|costs|pay|paid|earn|make|charge|fee|fees|money|salary)\b|\bhow much money\b", re.I),
        re.compile(r"\$\s?\d"),
    ),
    # a count ("one" is left out: "one of the most…" counts nothing); a list of what is counted also answers
    (
        re.compile(r"\bhow many\b", re.I),
        re.compile(r"\d|\b(two|three|four|five|six|seven|eight|nine|ten|several|dozens?|hundreds?|thousands?)\b", re.I),
    ),
)
_COUNTED = re.compile(r"\bhow many ((?:[\w'-]+ ?){1,3})", re.I)
# Questions that ask the guide to rank options ("CMA or RMA, which one is better?"). The guide answers
# them only where it makes such a judgement itself; otherwise it describes the options but does not say.
_RANKING_ASKED = re.compile(
    r"\bwhich\b(?:\s+[\w']+){0,5}?\s+(better|best|worse|worst|easier|harder|smarter|more (valuable|respected|"
    r"recognized|useful|worthwhile))\b|\b(better|worse|easier|harder) (than|option|choice)\b|"
    r"\bshould i (get|choose|pick|go for|take|do)\b[^?]*\bor\b",
    re.I,
)
_RANKING_MADE = re.compile(r"\b(better|best|worse|worst|easier|harder|preferred|recommended)\b", re.I)
_NUMERIC = re.compile(
    r"\b(how (much|many|long|often|fast|big|quickly)|what (percent|percentage|share|portion)|salary|pay|earn|"
    r"wage|per (year|hour)|rate|raise|median|average|range|grow|growth)\b|\d",
    re.I,
)
# Questions about what pay or growth depends on want the reasons, not a figure.
_REASONS = re.compile(r"\b(what (factors?|affects?|determines?|influences?|drives?)|depends?|depending|why)\b", re.I)
_NUMBER = re.compile(r"\d")
_COMPARISON = re.compile(r"\b(vs\.?|versus|compared?|comparison|difference|differ\w*|than|closer to|both|or an?|same as)\b", re.I)
_LABELLED = re.compile(r"^([A-Z][^:]{1,60}):\s")
_CONTINUES = re.compile(r"^(they|their|them|this|these|those|it|its|such)\b", re.I)


@dataclass(frozen=True)
class Candidate:
    """A sentence that may be quoted: its score for the question, its row in the sentence index."""

    score: float
    row: int
    text: str
    passage: Passage


@dataclass(frozen=True)
class Selection:
    """The quoted sentences (text, passage) and whether the guide answers the question."""

    quotes: list[tuple[str, Passage]]
    in_scope: bool
    ranking: Ranking  # the ranking the quotes come from (a passage holding an asked-for figure may lead it)
    missing_figure: bool = False  # declined because no close passage holds the kind of figure asked for
    unranked: bool = False  # declined because the question asks which option is better and the guide never says


def select(query: Query, ranking: Ranking, passages: list[Passage], sentence_offsets: np.ndarray) -> Selection:
    """The 1-3 sentences that best answer; the top passage's best sentence comes first."""
    question = query.interpreted_as
    numeric = bool(_NUMERIC.search(question)) and not _REASONS.search(question)
    wanted = stems(content_words(query.lexical))
    pool = _pool(ranking, passages)
    missing = _missing_figure(query.focus, pool[0][0])
    if missing and (holder := _figure_holder(query.focus, pool, ranking.lexical)) is not None:
        # the best passage lacks the figure asked for, a close runner-up has it: answer from that one
        ranking, missing = _promoted(ranking, holder.id), False
        pool = _pool(ranking, passages)
    scored: list[Candidate] = []
    for passage, fused in pool:
        first = int(sentence_offsets[passage.id])
        for j, sentence in enumerate(passage.sentences):
            words = stems(content_words(sentence))
            overlap = len(words & wanted) / (len(words) ** 0.5 + 1)
            score = ranking.quote_scores[first + j] + PASSAGE_BONUS * fused + 0.15 * overlap
            if numeric and _NUMBER.search(sentence):
                score += 0.08
            if sentence.endswith(":"):  # a list's lead-in says nothing on its own
                continue
            scored.append(Candidate(score, first + j, sentence, passage))
    if not scored:
        return Selection([], False, ranking)
    top = pool[0][0]
    lead = max((s for s in scored if s.passage is top), key=lambda s: s.score)
    chosen = [lead]
    for candidate in sorted(scored, key=lambda s: -s.score):
        if len(chosen) < MAX_QUOTES and candidate not in chosen and candidate.score >= lead.score - QUOTE_MARGIN:
            chosen.append(candidate)
    chosen = _with_continuation(chosen, lead, scored)
    chosen = _with_figures(chosen, lead, scored, query.focus)
    if _COMPARISON.search(question):
        topic = {_singular(w) for w in query.topic.split()}
        chosen = _with_both_sides(chosen, scored, {_singular(w) for w in content_words(query.lexical)} - topic, topic)
    quotes = [(c.text, c.passage) for c in chosen[:MAX_QUOTES]]
    unranked = bool(_RANKING_ASKED.search(query.focus)) and not any(_RANKING_MADE.search(p.text) for p, _ in pool)
    return Selection(quotes, not missing and not unranked, ranking, missing, unranked)


def _pool(ranking: Ranking, passages: list[Passage]) -> list[tuple[Passage, float]]:
    """The passages whose sentences may be quoted, with their fused scores."""
    return [(passages[int(pid)], float(score)) for pid, score in zip(ranking.ids[:QUOTE_POOL], ranking.scores[:QUOTE_POOL])]


def _with_continuation(chosen: list[Candidate], lead: Candidate, scored: list[Candidate]) -> list[Candidate]:
    """Quote the sentence after the lead when it carries on its subject ("Their primary focus is…")."""
    following = next((s for s in scored if s.row == lead.row + 1 and s.passage is lead.passage), None)
    if following is None or following in chosen or not _CONTINUES.match(following.text):
        return chosen
    return [lead, following] + [c for c in chosen if c is not lead][: MAX_QUOTES - 2]


def _with_figures(chosen: list[Candidate], lead: Candidate, scored: list[Candidate], question: str) -> list[Candidate]:
    """For "how much / how long / what percent", quote every sentence of the lead's passage holding
    that kind of figure (the median and the range, not just one of them), lead first; for "how many
    certifications", the items of the list that counts them."""
    figure = _figure_asked(question)
    if figure is None:
        return chosen
    if items := _counted_list(question, lead.passage):  # "how many certifications": the list is the answer
        listed = [s for s in sorted(scored, key=lambda s: s.row) if s.passage is lead.passage and s.text in items]
        return listed[:MAX_QUOTES] or chosen
    holders = [
        s for s in sorted(scored, key=lambda s: s.row) if s.passage is lead.passage and s is not lead and figure.search(s.text)
    ]
    if not holders:
        return chosen
    return ([lead] + holders)[:MAX_QUOTES]


def _with_both_sides(chosen: list[Candidate], scored: list[Candidate], asked: set[str], topic: set[str]) -> list[Candidate]:
    """For a comparison, quote both labelled sides ("Nurses: …", "Medical Assistants: …") of the best
    passage that has them, when the question names a side other than the guide's topic."""
    for passage in dict.fromkeys(s.passage for s in sorted(scored, key=lambda s: -s.score)):
        sides = sorted((s for s in scored if s.passage is passage and _LABELLED.match(s.text)), key=lambda s: -s.score)[:2]
        labels = {_singular(w) for s in sides for w in content_words(_LABELLED.match(s.text).group(1))} - topic
        if len(sides) == 2 and labels & asked:
            sides.sort(key=lambda s: s.row)
            rest = [c for c in chosen if c not in sides]
            if chosen[0] in sides or chosen[0].passage is passage:
                return sides + [c for c in rest if c.passage is passage][:1]
            return chosen[:1] + sides
    return chosen


def _figure_asked(question: str) -> re.Pattern | None:
    """The pattern of the kind of figure the question asks for, if it asks for one ("what affects how
    much they earn" asks for reasons)."""
    if _REASONS.search(question):
        return None
    return next((figure for asks, figure in EXPECTED_FIGURES if asks.search(question)), None)


def _singular(word: str) -> str:
    """A label's noun without its plural s ("CNAs", "Nurses"): the stemmer leaves acronym plurals alone."""
    word = word.removesuffix("'s")
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _figure_holder(question: str, pool: list[tuple[Passage, float]], lexical_scores) -> Passage | None:
    """The runner-up passage holding the kind of figure asked for, if it scores close to the best."""
    best = pool[0][1]
    for (passage, score), lexical in zip(pool[1:FIGURE_POOL], lexical_scores[1:FIGURE_POOL]):
        # close overall, and at least as close in words: "how long … exam results" is not about programs
        if score >= best - FIGURE_MARGIN and lexical >= lexical_scores[0] and not _missing_figure(question, passage):
            return passage
    return None


def _promoted(ranking: Ranking, pid: int) -> Ranking:
    """The ranking with passage `pid` moved to the top."""
    at = int(np.flatnonzero(ranking.ids == pid)[0])
    order = np.r_[at, np.delete(np.arange(len(ranking.ids)), at)]
    return replace(
        ranking,
        ids=ranking.ids[order],
        scores=ranking.scores[order],
        dense=ranking.dense[order],
        sentence=ranking.sentence[order],
        lexical=ranking.lexical[order],
    )


def _missing_figure(question: str, passage: Passage) -> bool:
    """True when the question asks for a kind of figure (a percentage, a duration, a dollar amount,
    a count) that the best passage does not contain: the guide then does not answer it."""
    figure = _figure_asked(question)
    return figure is not None and not figure.search(passage.text) and not _counted_list(question, passage)


def _counted_list(question: str, passage: Passage) -> list[str]:
    """For "how many certifications…", the items of a list of the passage whose lead-in names what is
    counted ("The most recognized certifications are:"); else []."""
    counted = _COUNTED.search(question)
    if counted is None:
        return []
    wanted = stems(content_words(counted.group(1)))
    return next((items for lead_in, items in lists(passage) if wanted & stems(content_words(lead_in))), [])
