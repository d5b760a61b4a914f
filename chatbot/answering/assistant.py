"""The answering API: a question (and earlier turns) in, a typed, cited Answer out."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from ..guide.places import states_named
from ..guide.reasons import Reason
from ..index.build import ensure_index
from ..index.load import LoadedIndex, load_index
from ..index.retrieval import Retriever
from ..settings import Settings
from . import intent
from .answer import ANSWERED, EMPTY, NOT_IN_GUIDE, Answer, Hit, compose
from .decision import Decision, decide
from .followups import follow_ups
from .question_kinds import asks_rules
from .selection import Selection, Shortfall, select

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
NOT_IN_GUIDE_REPLY = "The guide doesn't cover this."
STATE_RULES_REPLY = "The guide doesn't cover the rules in {places}."
ELSEWHERE_NOTICE = "The guide has nothing specific to {places}; this is its general answer."
UNRANKED_REPLY = "The guide describes these options but doesn't say which is better."


class Assistant:
    """Answers career questions from a loaded index; one instance serves many questions."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index
        self.retriever = Retriever(index)
        self.reader = index.glossary.reader(index.encoder.known_words())
        self.states = index.glossary.states
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
        query = self.reader.read(question, history)
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
        selection = select(query, ranking, self.index.passages, self.index.sentence_offsets)
        if selection.shortfall is Shortfall.MISSING_FIGURE and query.is_followup:
            # "and how long does that take?" asks for a figure the earlier topic's passages lack: read it alone
            # (still shown as read with the earlier question)
            alone = self.reader.read(question)
            selection = select(alone, self.retriever.rank(alone), self.index.passages, self.index.sentence_offsets)
        ranking = selection.ranking
        hits = tuple(
            self._hit(int(pid), float(score), ranking)
            for pid, score in zip(ranking.ids[:SHOWN_PASSAGES], ranking.scores[:SHOWN_PASSAGES])
        )
        timings = dict(ranking.timings_ms, select=(time.perf_counter() - start) * 1000)
        timings["total"] = (time.perf_counter() - started) * 1000
        elsewhere = " or ".join(state for state in states_named(query.interpreted_as) if state not in self.states)
        declined = _decline_reply(selection, decision.answers, elsewhere, query.interpreted_as)
        if declined is not None:
            return Answer(
                question=question,
                answer=declined,
                in_scope=False,
                reason=decision.reason if not decision.answers else NOT_IN_GUIDE,
                passages=hits,
                interpreted_as=query.interpreted_as,
                notice=notice,
                suggestions=self._suggestions(ranking, decision),
                timings_ms=timings,
                decision=decision,
            )
        if elsewhere:
            notice = " ".join(filter(None, [notice, ELSEWHERE_NOTICE.format(places=elsewhere)]))
        answer, quotes, citations = compose(selection.quotes)
        cited = [c.passage.section for c in citations]
        return Answer(
            question=question,
            answer=answer,
            in_scope=True,
            reason=ANSWERED,
            citations=citations,
            passages=hits,
            quotes=quotes,
            interpreted_as=query.interpreted_as,
            notice=notice,
            follow_ups=follow_ups(cited, self._sections, self.index.bank.questions, question),
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


def _decline_reply(selection: Selection, answers: bool, elsewhere: str, question: str) -> str | None:
    """Why the guide does not answer, as the reply; None when it does. `elsewhere` names the U.S.
    states the question asks about that the guide never mentions."""
    if elsewhere and asks_rules(question):  # a general answer could be read as that state's rule
        return STATE_RULES_REPLY.format(places=elsewhere)
    if not answers:
        return NOT_IN_GUIDE_REPLY
    if not selection.in_scope:
        return UNRANKED_REPLY if selection.shortfall is Shortfall.UNRANKED else NOT_IN_GUIDE_REPLY
    return None
