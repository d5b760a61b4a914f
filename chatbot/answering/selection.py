"""Pick the guide's sentences that answer a question, and decide whether the guide answers it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from functools import cached_property

import numpy as np

from ..guide.chunking import Passage, bullet_runs, lists, split_sentences
from ..guide.query import Query, expand
from ..guide.text import content_words, stems
from ..index.retrieval import Ranking
from .question_kinds import (
    Figure,
    asks_list,
    asks_ranking,
    continues,
    counted,
    figure_asked,
    holds_figure,
    is_comparison,
    is_numeric,
    label_of,
    makes_ranking,
    quotable,
)

QUOTE_POOL = 3  # passages whose sentences may be quoted
MAX_QUOTES = 3
MAX_LISTS = 2  # a list question may be answered by the lists of two sibling sub-sections
QUOTE_MARGIN = 0.12  # a further sentence is quoted when it scores within this of the best
PASSAGE_BONUS = 0.5  # how much a sentence's passage score counts towards the sentence's own
FIGURE_POOL = 3  # passages searched for the kind of figure a question asks for
FIGURE_MARGIN = 0.05  # how far below the best such a passage may score and still answer


class Housekeeping:
    """The bank's housekeeping marks, and the word stems the guide uses only in them ("staffing",
    "agency"): a marked sentence is quoted only to a question using one of those.

    The stems are found when a marked sentence is first a candidate, not at load: finding them reads
    every sentence of the guide (~2 s at 10 MB of corpus)."""

    def __init__(self, sentences: frozenset[str], passages: list[Passage]) -> None:
        self.sentences = sentences
        self._passages = passages

    @classmethod
    def of_guide(cls, marked: frozenset[str], passages: list[Passage]) -> Housekeeping:
        return cls(marked, passages)

    @cached_property
    def stems(self) -> frozenset[str]:
        own = {w for s in self.sentences for w in stems(content_words(s))}
        if not own:
            return frozenset()
        rest = {w for p in self._passages for s in p.sentences if s not in self.sentences for w in stems(content_words(s))}
        return frozenset(own - rest)

    def allows(self, sentence: str, asked: set[str]) -> bool:
        return sentence not in self.sentences or bool(self.stems & asked & stems(content_words(sentence)))


@dataclass(frozen=True)
class Candidate:
    """A sentence that may be quoted: its score for the question, its row in the sentence index."""

    score: float
    row: int
    text: str
    passage: Passage


@dataclass(frozen=True)
class Shortfall(Enum):
    """Why the quotable passages do not answer, though the bank's decision said the guide does."""

    NO_QUOTE = "no_quote"  # nothing quotable
    MISSING_FIGURE = "missing_figure"  # no close passage holds the kind of figure asked for
    UNRANKED = "unranked"  # the question asks which option is better and the guide never says


@dataclass(frozen=True)
class Selection:
    """The quoted sentences (text, passage), or why the passages fall short of an answer."""

    quotes: list[tuple[str, Passage]]
    ranking: Ranking  # the ranking the quotes come from (a passage holding an asked-for figure may lead it)
    shortfall: Shortfall | None = None

    @property
    def in_scope(self) -> bool:
        return self.shortfall is None


def select(
    query: Query,
    ranking: Ranking,
    passages: list[Passage],
    sentence_offsets: np.ndarray,
    housekeeping: Housekeeping | None = None,
) -> Selection:
    """The 1-3 sentences that best answer; the top passage's best sentence comes first. The guide's
    housekeeping (advertisements, calls to action) is quoted only to a question about it."""
    question = query.interpreted_as
    numeric = is_numeric(question)
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
            if numeric and any(ch.isdigit() for ch in sentence):
                score += 0.08
            if quotable(sentence) and (housekeeping is None or housekeeping.allows(sentence, wanted)):
                scored.append(Candidate(score, first + j, sentence, passage))
    if not scored:
        return Selection([], ranking, Shortfall.NO_QUOTE)
    lead = _lead([s for s in scored if s.passage is pool[0][0]] or scored)
    chosen = [lead]
    for candidate in sorted(scored, key=lambda s: -s.score):
        if len(chosen) < MAX_QUOTES and candidate not in chosen and candidate.score >= lead.score - QUOTE_MARGIN:
            chosen.append(candidate)
    chosen = _with_continuation(chosen, lead, scored)
    chosen = _with_figures(chosen, lead, scored, query.focus)
    if is_comparison(question):
        topic = stems(query.topic.split())
        chosen = _with_both_sides(chosen, scored, stems(content_words(query.lexical)) - topic, topic)
    listed = _listed(lead, pool, scored) if asks_list(question) and figure_asked(query.focus) is None else []
    quotes = listed or _with_lead_ins(_in_reading_order(chosen[:MAX_QUOTES]))
    if missing:
        return Selection(quotes, ranking, Shortfall.MISSING_FIGURE)
    if asks_ranking(query.focus) and not any(makes_ranking(p.text) for p, _ in pool):
        return Selection(quotes, ranking, Shortfall.UNRANKED)
    return Selection(quotes, ranking)


def _pool(ranking: Ranking, passages: list[Passage]) -> list[tuple[Passage, float]]:
    """The passages whose sentences may be quoted, with their fused scores."""
    return [(passages[int(pid)], float(score)) for pid, score in zip(ranking.ids[:QUOTE_POOL], ranking.scores[:QUOTE_POOL])]


def _lead(candidates: list[Candidate]) -> Candidate:
    """The best sentence, unless it leans on the one before it ("These duties help…") and one that
    stands on its own scores nearly as well."""
    best = max(candidates, key=lambda s: s.score)
    standing = [s for s in candidates if not continues(s.text) and s.score >= best.score - QUOTE_MARGIN]
    return max(standing, key=lambda s: s.score) if standing else best


def _in_reading_order(chosen: list[Candidate]) -> list[tuple[str, Passage]]:
    """The quotes passage by passage (the lead's first), each passage's in the guide's order, so a
    median comes before the range it heads and a sentence before the one that carries it on."""
    order = list(dict.fromkeys(c.passage.id for c in chosen))
    ranked = sorted(chosen, key=lambda c: (order.index(c.passage.id), c.row))
    return [(c.text, c.passage) for c in ranked]


def _with_lead_ins(quotes: list[tuple[str, Passage]]) -> list[tuple[str, Passage]]:
    """List items quoted without the line that introduces them get it ("Their everyday clinical
    duties include:" before "Giving injections…"), so an item never stands alone."""
    out = list(quotes)
    for passage in dict.fromkeys(p for _, p in quotes):
        for lead_in, items in bullet_runs(passage):
            quoted = [i for i, (text, p) in enumerate(out) if p is passage and text in items]
            sentences = split_sentences(lead_in)
            if quoted and sentences and not any((s, passage) in out for s in sentences):
                out[quoted[0] : quoted[0]] = [(s, passage) for s in sentences]
    return out


def _listed(lead: Candidate, pool: list[tuple[Passage, float]], scored: list[Candidate]) -> list[tuple[str, Passage]]:
    """For a question asking for a list, the lead passage's best-matching list with its lead-in, and
    the list of a sibling sub-section that scores nearly as well ("duties": clinical and
    administrative); [] when the lead passage has no list."""
    best = pool[0][1]
    passages = [lead.passage] + [
        p for p, score in pool if p is not lead.passage and score >= best - QUOTE_MARGIN and _siblings(p, lead.passage)
    ]
    quotes: list[tuple[str, Passage]] = []
    for passage in passages[:MAX_LISTS]:
        runs = bullet_runs(passage)
        if not runs:
            continue
        matched = {s.text: s.score for s in scored if s.passage is passage}
        lead_in, items = max(runs, key=lambda run: max((matched.get(item, -1.0) for item in run[1]), default=-1.0))
        quotes += [(sentence, passage) for sentence in split_sentences(lead_in)] + [(item, passage) for item in items]
    return quotes if any(p is lead.passage for _, p in quotes) else []


def _siblings(a: Passage, b: Passage) -> bool:
    return len(a.section) > 1 and a.section[:-1] == b.section[:-1]


def _with_continuation(chosen: list[Candidate], lead: Candidate, scored: list[Candidate]) -> list[Candidate]:
    """Quote the sentence after the lead when it carries on its subject ("Their primary focus is…")."""
    following = next((s for s in scored if s.row == lead.row + 1 and s.passage is lead.passage), None)
    if following is None or following in chosen or not continues(following.text):
        return chosen
    return [lead, following] + [c for c in chosen if c is not lead][: MAX_QUOTES - 2]


def _with_figures(chosen: list[Candidate], lead: Candidate, scored: list[Candidate], question: str) -> list[Candidate]:
    """For "how much / how long / what percent", quote every sentence of the lead's passage holding
    that kind of figure (the median and the range, not just one of them), lead first; for "how many
    certifications", the items of the list that counts them."""
    figure = figure_asked(question)
    if figure is None and is_numeric(question) and holds_figure(Figure.AMOUNT, lead.text):
        figure = Figure.AMOUNT  # "what's an MA's salary": the lead is an amount, quote its range too
    if figure is None:
        return chosen
    if items := _counted_list(question, lead.passage):  # "how many certifications": the list is the answer
        listed = [s for s in sorted(scored, key=lambda s: s.row) if s.passage is lead.passage and s.text in items]
        return listed[:MAX_QUOTES] or chosen
    holders = [
        s
        for s in sorted(scored, key=lambda s: s.row)
        if s.passage is lead.passage and s is not lead and holds_figure(figure, s.text)
    ]
    if not holders:
        return chosen
    return ([lead] + holders)[:MAX_QUOTES]


def _with_both_sides(chosen: list[Candidate], scored: list[Candidate], asked: set[str], topic: set[str]) -> list[Candidate]:
    """For a comparison, quote both labelled sides ("Nurses: …", "Medical Assistants: …") of the best
    passage that has them, when the question names a side other than the guide's topic."""
    for passage in dict.fromkeys(s.passage for s in sorted(scored, key=lambda s: -s.score)):
        sides = sorted((s for s in scored if s.passage is passage and label_of(s.text)), key=lambda s: -s.score)[:2]
        labels = {w for s in sides for w in stems(content_words(expand(label_of(s.text), frozenset())))} - topic
        if len(sides) == 2 and labels & asked:
            sides.sort(key=lambda s: s.row)
            rest = [c for c in chosen if c not in sides]
            if chosen[0] in sides or chosen[0].passage is passage:
                return sides + [c for c in rest if c.passage is passage][:1]
            return chosen[:1] + sides
    return chosen


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
    figure = figure_asked(question)
    return figure is not None and not holds_figure(figure, passage.text) and not _counted_list(question, passage)


def _counted_list(question: str, passage: Passage) -> list[str]:
    """For "how many certifications…", the items of a list of the passage whose lead-in names what is
    counted ("The most recognized certifications are:"); else []."""
    wanted = stems(content_words(" ".join(counted(question))))
    if not wanted:
        return []
    return next((items for lead_in, items in lists(passage) if wanted & stems(content_words(lead_in))), [])
