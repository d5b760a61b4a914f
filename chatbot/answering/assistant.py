"""The answering API: a question (and earlier turns) in, a typed, cited Answer out."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ..guide.places import states_named
from ..guide.reasons import Reason
from ..index.build import ensure_index
from ..index.context import TURNS
from ..index.load import LoadedIndex, load_index
from ..index.recent_vectors import RecentVectors
from ..index.retrieval import Retriever
from ..settings import Settings
from . import intent
from .answer import EMPTY, Answer, Hit, compose
from .decision import Decision, decide
from .followups import follow_ups
from .language import other_language
from .outcome import NOT_IN_GUIDE_REPLY, Outcome, settle
from .question_kinds import asks_rules, figure_words
from .selection import Housekeeping, Shortfall, select
from .structure import overview

SHOWN_PASSAGES = 3
SUGGESTIONS = 2  # nearest sections named when the guide does not answer
EMPTY_REPLY = "Please type a question about medical-assistant careers, for example “What does a medical assistant do?”"
INSTRUCTIONS = Reason.INSTRUCTIONS
INSTRUCTIONS_REPLY = (
    "I only answer questions about medical-assistant careers, quoting the guide; I can't follow other "
    "instructions. Try: “What does a medical assistant do?”"
)
LONG_NOTICE = "Your message was long, so only its end (the last 1,000 characters, where the question usually is) was read."
INSTRUCTIONS_NOTICE = "Instructions in your message were ignored; only its question was answered."
LANGUAGE_NOTICE = "I answer in English, from an English guide."
LANGUAGE_REPLY = "I answer in English, from an English guide: please ask your question in English."
STATE_RULES_REPLY = "The guide doesn't cover the rules in {places}."


class Assistant:
    """Answers career questions from a loaded index; one instance serves many questions."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.vectors = RecentVectors(lambda: index.encoder)  # a follow-up's earlier turns are not encoded again
        self.retriever = Retriever(index, self.vectors)
        self.reader = index.glossary.reader(index.encoder.known_words())
        self.states = index.glossary.states
        self.housekeeping = Housekeeping.of_guide(index.glossary.housekeeping, index.passages)
        self._sections = tuple(dict.fromkeys(p.section for p in index.passages))

    @classmethod
    def load(cls, settings: Settings | None = None, *, build: bool = False, progress: bool = False) -> Assistant:
        """Load the index (building it first when `build` and it is missing or stale)."""
        settings = settings or Settings.from_env()
        index = ensure_index(settings, progress=progress) if build else load_index(settings)
        return cls(index)

    def warm_up(self) -> None:
        """Run one question so the first user does not pay for lazy loading."""
        self.ask("What does a medical assistant do?")

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Answer `question` from the guide; `history` holds earlier user questions, oldest first."""
        started = time.perf_counter()
        recent = list(history)[-TURNS:]
        turn = self.index.context.leans_on(
            self.reader.read(question).own, [self.reader.read(t).own for t in recent], self.vectors.encode
        )
        query = self.reader.read(question, history, leans_on=None if turn is None else len(history) - len(recent) + turn)
        if not any(ch.isalnum() for ch in query.text):
            return Answer(question=question, answer=EMPTY_REPLY, in_scope=False, reason=EMPTY)
        notice = LONG_NOTICE if query.trimmed else ""
        if query.instructions_removed:
            notice = " ".join(filter(None, [notice, INSTRUCTIONS_NOTICE]))
        if not any(ch.isalnum() for ch in query.focus):
            return Answer(question=question, answer=INSTRUCTIONS_REPLY, in_scope=False, reason=INSTRUCTIONS)
        kind = intent.classify(query.focus)
        if kind is not None:
            return Answer(
                question=question,
                answer=intent.REPLIES[kind],
                in_scope=False,
                reason=kind,
                interpreted_as=query.interpreted_as,
                notice=notice,
            )
        ranking = self.retriever.rank(query)
        decision = decide(self.index.bank, ranking.bank_sims, ranking.confidence, self.index.tuning)
        if decision.reason.is_safety:
            return Answer(
                question=question,
                answer=intent.REPLIES[decision.reason],
                in_scope=False,
                reason=decision.reason,
                interpreted_as=query.interpreted_as,
                notice=notice,
                decision=decision,
            )
        start = time.perf_counter()
        selection = select(query, ranking, self.index.passages, self.index.sentence_offsets, self.housekeeping)
        if selection.shortfall is Shortfall.MISSING_FIGURE and query.is_followup:
            # "and how long does that take?" asks for a figure the earlier topic's passages lack: read it alone
            # (still shown as read with the earlier question)
            alone = self.reader.read(question)
            selection = select(
                alone, self.retriever.rank(alone), self.index.passages, self.index.sentence_offsets, self.housekeeping
            )
        ranking = selection.ranking
        hits = tuple(
            self._hit(int(pid), float(score), ranking)
            for pid, score in zip(ranking.ids[:SHOWN_PASSAGES], ranking.scores[:SHOWN_PASSAGES])
        )
        timings = dict(ranking.timings_ms, select=(time.perf_counter() - start) * 1000)
        timings["total"] = (time.perf_counter() - started) * 1000
        places = tuple(state for state in states_named(query.interpreted_as) if state not in self.states)
        elsewhere = " or ".join(places)
        language = other_language(query.focus)
        if language:
            notice = " ".join(filter(None, [notice, LANGUAGE_NOTICE]))
        missing = tuple(
            dict.fromkeys(places + self.index.terms.missing(query.own, self.index.encoder.encode, query.focus, ranking.vector))
        )
        near = ranking.confidence >= self.index.tuning.near_section
        outcome = settle(decision, selection, missing, near=near, figure=figure_words(query.focus))
        if elsewhere and asks_rules(query.interpreted_as):  # a general answer could be read as that state's rule
            outcome = Outcome(Reason.NOT_IN_GUIDE, STATE_RULES_REPLY.format(places=elsewhere))
        if not outcome.quotes:
            return Answer(
                question=question,
                answer=LANGUAGE_REPLY if language else outcome.caveat or NOT_IN_GUIDE_REPLY,
                in_scope=False,
                reason=Reason.OTHER_LANGUAGE if language else outcome.reason,
                passages=hits,
                interpreted_as=query.interpreted_as,
                notice=notice,
                suggestions=self._suggestions(ranking, decision),
                timings_ms=timings,
                decision=decision,
            )
        answer, quotes, citations = compose(selection.quotes, overview(selection.quotes, self.index.passages, query.focus))
        cited = [c.passage.section for c in citations]
        return Answer(
            question=question,
            answer=f"{outcome.caveat}\n{answer}" if outcome.caveat else answer,
            in_scope=True,
            reason=outcome.reason,
            citations=citations,
            passages=hits,
            quotes=quotes,
            interpreted_as=query.interpreted_as,
            notice=notice,
            follow_ups=follow_ups(cited, self._sections, self.index.bank.questions, question),
            missing=outcome.missing,
            caveat=outcome.caveat,
            timings_ms=timings,
            decision=decision,
        )

    def _hit(self, pid: int, score: float, ranking) -> Hit:
        passage = self.index.passages[pid]
        first = int(self.index.sentence_offsets[pid])
        sims = [ranking.sentence_scores.get(first + j, -1.0) for j in range(len(passage.sentences))]
        best = max(sims, default=0.0)
        highlights = tuple(s for s, sim in zip(passage.sentences, sims) if sim >= best - 0.05 and sim >= 0.3)
        return Hit(passage=passage, score=score, highlights=highlights)

    def _suggestions(self, ranking, decision: Decision) -> tuple[tuple[str, ...], ...]:
        """The sections genuinely near a question the guide does not answer: the top passages'
        sections, when the bank said the guide answers but the passages fall short (a figure it
        lacks), else those scoring at least the fitted bar that tells the bank's near misses from
        its general questions; none for a question about nothing in the guide."""
        bar = -np.inf if decision.answers else self.index.tuning.near_section
        sections = [self.index.passages[int(pid)].section for pid, score in zip(ranking.ids, ranking.scores) if score >= bar]
        return tuple(dict.fromkeys(sections))[:SUGGESTIONS]

    def sections(self) -> list[tuple[str, ...]]:
        """Every section path of the guide, in reading order."""
        return list(self._sections)

    def section_text(self, section: Sequence[str]) -> str:
        """The full text of a section (with its sub-sections when `section` is a top-level one)."""
        section = tuple(section)
        parts = [p.text for p in self.index.passages if p.section[: len(section)] == section]
        if not parts:
            raise KeyError(f"no section {' › '.join(section)!r} in the guide")
        return "\n\n".join(parts)
