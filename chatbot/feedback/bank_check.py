"""The bank's own regression report: every bank question asked through the assistant, and the ones
whose reply goes against their label.

The index was fitted (and its model fine-tuned) on this same bank, and each question finds itself
among the bank's neighbours, so agreement is expected and says little about new questions; a
disagreement is what to look at: a label the rest of the bank contradicts, a rule that overrides
the bank, or a question added since the index was built.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tqdm import tqdm

from ..answering.assistant import Assistant
from ..guide.bank import BankQuestion, bank_files, load_bank
from ..guide.bank_edit import guide_sections
from ..guide.reasons import Reason
from ..settings import Settings
from .triage import current_assistant

HEADER = (
    "Consistency report: the index was fitted and its model fine-tuned on this same bank, so it should agree "
    "with nearly every line; a disagreement is worth a look, agreement proves little about new questions."
)


class Disagreement(StrEnum):
    DECLINED = "declined"  # answered in the bank, declined (or shown as only partly covered) by the index
    ANSWERED = "answered"  # not answered in the bank, answered by the index
    SECTION = "section"  # answered, but its first citation is not the labeled section


TITLES = {
    Disagreement.DECLINED: "answered in the bank, declined by the index",
    Disagreement.ANSWERED: "not answered in the bank, answered by the index",
    Disagreement.SECTION: "answered from another section than the labeled one",
}


@dataclass(frozen=True)
class Finding:
    """One bank question the index replies to against its label."""

    kind: Disagreement
    question: BankQuestion
    reply: str  # the reason of the index's reply
    cited: tuple[str, ...]  # the section of the reply's first citation (or top passage when declined)
    score: float | None  # the decision's score and threshold (None for a reply made before retrieval)
    threshold: float | None
    new: bool  # added to the bank since the index was built

    def to_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "source": self.question.source,
            "label": self.question.to_dict(),
            "reply": self.reply,
            "cited": list(self.cited),
            "score": None if self.score is None else round(self.score, 4),
            "threshold": None if self.threshold is None else round(self.threshold, 4),
            "new": self.new,
        }


@dataclass(frozen=True)
class BankCheck:
    """The bank's files and size, the index checked against, and every disagreement."""

    files: tuple[Path, ...]
    questions: int
    index: Path
    built_at: str
    note: str  # the index is older than the corpus, or ""
    new: int  # bank questions the index has not seen
    findings: tuple[Finding, ...]

    def count(self, kind: Disagreement) -> int:
        return sum(f.kind is kind for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "header": HEADER,
            "bank": [str(f) for f in self.files],
            "questions": self.questions,
            "index": str(self.index),
            "built_at": self.built_at,
            "note": self.note,
            "new_since_build": self.new,
            "agree": self.questions - len(self.findings),
            "disagree": {str(kind): self.count(kind) for kind in Disagreement},
            "findings": [f.to_dict() for f in self.findings],
        }


def check_bank(settings: Settings, *, progress: bool = False) -> BankCheck:
    """Validate every bank file of `settings.corpus_dir` (BankError on the first bad line), then ask
    each question through the live index (even when it is older than the bank)."""
    bank = load_bank(settings.corpus_dir, guide_sections(settings.corpus_dir))
    assistant, note = current_assistant(settings)
    seen = {q.question.casefold() for q in assistant.index.bank.questions}
    findings = list(disagreements(assistant, tqdm(bank, desc="asking", unit="q", disable=not progress), seen))
    return BankCheck(
        files=tuple(bank_files(settings.corpus_dir)),
        questions=len(bank),
        index=assistant.index.folder,
        built_at=assistant.index.manifest.built_at,
        note=note,
        new=sum(q.question.casefold() not in seen for q in bank),
        findings=tuple(findings),
    )


def disagreements(assistant: Assistant, bank: Iterable[BankQuestion], seen: set[str]) -> Iterable[Finding]:
    """The bank questions whose reply goes against their label, in bank order."""
    for question in bank:
        answer = assistant.ask(question.question)
        first = answer.citations[0].passage.section if answer.citations else ()
        if not first and answer.passages and not answer.reason.is_safety:
            first = answer.passages[0].passage.section
        full = answer.reason is Reason.ANSWERED  # a partly covered reply says what the guide lacks
        if question.answered and not full:
            kind = Disagreement.DECLINED
        elif not question.answered and full:
            kind = Disagreement.ANSWERED
        elif question.answered and first[: len(question.section)] != question.section:
            kind = Disagreement.SECTION
        else:
            continue
        decision = answer.decision
        yield Finding(
            kind,
            question,
            str(answer.reason),
            first,
            decision.score if decision else None,
            decision.threshold if decision else None,
            question.question.casefold() not in seen,
        )


def format_check(check: BankCheck) -> str:
    """The report as a person reads it in a terminal."""
    lines = [
        HEADER,
        f"bank: {', '.join(map(str, check.files))} — {check.questions} questions, valid",
        f"index: {check.index} (built {check.built_at}); bank questions added since: {check.new}",
    ]
    if check.note:
        lines.append(f"note: {check.note}")
    for kind in Disagreement:
        found = [f for f in check.findings if f.kind is kind]
        lines += ["", f"{TITLES[kind]}: {len(found)}"]
        for finding in found:
            label = finding.question.to_dict()
            where = " › ".join(finding.question.section) or "general"
            said = "answered" if label["answered"] else label["reason"]
            replied = finding.reply + (f" from {' › '.join(finding.cited)}" if finding.cited else "")
            evidence = f" (score {finding.score:.3f}, threshold {finding.threshold:.3f})" if finding.score is not None else ""
            lines.append(f"  {finding.question.source}{'  [new]' if finding.new else ''}")
            lines.append(f"      {finding.question.question}")
            lines.append(f"      label: {said}, {where}; reply: {replied}{evidence}")
    disagree = len(check.findings)
    counts = " + ".join(str(check.count(kind)) for kind in Disagreement)
    lines += ["", f"{check.questions} checked: {check.questions - disagree} agree, {disagree} disagree ({counts})"]
    return "\n".join(lines)
