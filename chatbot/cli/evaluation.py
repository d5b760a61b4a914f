"""Measure answers against labeled questions (the `../shared/eval/` JSONL format).

Every question goes through `Assistant.ask`, the same path as the chat and the CLI.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

from ..answering.answer import Answer
from ..answering.outcome import UNRANKED_REPLY
from ..guide.reasons import Reason
from ..settings import Settings
from .batch import read_questions


@dataclass(frozen=True)
class Outcome:
    """How one labeled question fared."""

    id: str
    kind: str
    question: str
    answerable: bool
    answered: bool
    answer_hit: bool  # the direct answer contains a gold string
    passage_rank: int  # 1-based rank of the first shown passage containing a gold string; 0 if none
    section_hit: bool  # the first citation is a gold section
    latency_ms: float
    answer: str
    cited: str
    passages: tuple[str, ...]
    partial: bool = False  # shown as partly covered (`answered` too: it quotes the guide)
    named: bool = False  # a partly covered reply says what the guide lacks (a term, a figure, a ranking)

    @property
    def honest(self) -> bool:
        """For a question the guide does not answer: declined, or shown as partly covered naming what is missing."""
        return not self.answered or (self.partial and self.named)


def normalize(text: str) -> str:
    """Case-folded, white space folded, typographic apostrophes read as plain ones."""
    return " ".join(text.replace("’", "'").replace("‘", "'").lower().split())


def gold_sections(item: dict) -> set[tuple[str, ...]]:
    pairs = [(item.get("section"), item.get("subsection"))] + [tuple(p) for p in item.get("also_sections") or []]
    return {(s,) if sub is None else (s, sub) for s, sub in pairs if s}


def label_problem(item: dict) -> str | None:
    """What is wrong with a labeled question's gold fields, or None."""
    gold = item.get("answer_contains") or []
    if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
        return '"answer_contains" must be a list of strings'
    pairs = item.get("also_sections") or []
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], (str, type(None))) for p in pairs
    ):
        return '"also_sections" must be a list of [section, subsection or null] pairs'
    for field in ("section", "subsection"):
        if not isinstance(item.get(field), (str, type(None))):
            return f'"{field}" must be a string or null'
    return None


def judge(item: dict, answer: Answer, latency_ms: float) -> Outcome:
    gold = [normalize(g) for g in item.get("answer_contains") or []]
    contains = lambda text: any(g in normalize(text) for g in gold)  # noqa: E731
    rank = next((i for i, hit in enumerate(answer.passages, 1) if contains(hit.passage.text)), 0) if answer.in_scope else 0
    cited = answer.citations[0].passage.section if answer.citations else ()
    return Outcome(
        id=str(item.get("id", "")),
        kind=str(item.get("kind", "unknown")),
        question=item["question"],
        answerable=bool(gold),
        answered=answer.in_scope,
        answer_hit=bool(gold) and answer.in_scope and contains(answer.answer),
        passage_rank=rank if gold else 0,
        section_hit=bool(cited) and tuple(cited) in gold_sections(item),
        latency_ms=latency_ms,
        answer=answer.answer,
        cited=" › ".join(cited),
        passages=tuple(h.passage.heading for h in answer.passages),
        partial=answer.reason is Reason.PARTIAL,
        named=bool(answer.missing) or answer.caveat == UNRANKED_REPLY,
    )


def summarize(outcomes: list[Outcome]) -> dict:
    """The metrics of a group of outcomes (see README, "Evaluation")."""
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    latencies = sorted(o.latency_ms for o in outcomes)
    rate = lambda hits, group: round(sum(hits) / len(group), 3) if group else None  # noqa: E731
    return {
        "questions": len(outcomes),
        "answer@1": rate([o.answer_hit for o in answerable], answerable),
        "hit@1": rate([o.passage_rank == 1 for o in answerable], answerable),
        "hit@3": rate([1 <= o.passage_rank <= 3 for o in answerable], answerable),
        "section@1": rate([o.section_hit for o in answerable], answerable),
        "mrr": rate([1 / o.passage_rank if o.passage_rank else 0 for o in answerable], answerable),
        "scope_accuracy": rate([o.answered if o.answerable else o.honest for o in outcomes], outcomes),
        "false_decline": rate([not o.answered for o in answerable], answerable),
        "partial": rate([o.partial for o in answerable], answerable),
        "declined_unanswerable": rate([o.honest for o in unanswerable], unanswerable),
        "full_unanswerable": rate([o.answered and not o.partial for o in unanswerable], unanswerable),
        "p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "p95_ms": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2) if latencies else None,
    }


def evaluate(path: str | Path, settings: Settings | None = None, *, assistant=None) -> tuple[dict, list[Outcome]]:
    """Run every question of `path`; return metrics overall and per kind, and the outcomes."""
    from ..answering.assistant import Assistant

    items = read_questions(path, check=label_problem)
    assistant = assistant or Assistant.load(settings)
    assistant.warm_up()
    outcomes = []
    for item in items:
        history = item.get("history") or []
        for turn in range(len(history)):  # the conversation so far, untimed: the server answered those turns
            assistant.ask(history[turn], history[:turn])
        started = time.perf_counter()
        answer = assistant.ask(item["question"], history)
        outcomes.append(judge(item, answer, (time.perf_counter() - started) * 1000))
    kinds: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        kinds[outcome.kind].append(outcome)
    report = {"overall": summarize(outcomes), "by_kind": {k: summarize(v) for k, v in sorted(kinds.items())}}
    return report, outcomes


COLUMNS = (
    "questions",
    "answer@1",
    "hit@1",
    "hit@3",
    "section@1",
    "mrr",
    "scope_accuracy",
    "false_decline",
    "partial",
    "declined_unanswerable",
    "full_unanswerable",
    "p50_ms",
    "p95_ms",
)


_SHORT = {"declined_unanswerable": "declined_oos", "full_unanswerable": "full_oos"}


def format_report(report: dict) -> str:
    header = f"{'kind':<14}" + "".join(f"{_SHORT.get(c, c):>15}" for c in COLUMNS)
    rows = [("overall", report["overall"])] + list(report["by_kind"].items())
    cell = lambda v: "-" if v is None else (f"{v}" if isinstance(v, int) else f"{v:.3f}" if v <= 1 else f"{v:.1f}")  # noqa: E731
    return "\n".join([header] + [f"{name:<14}" + "".join(f"{cell(m[c]):>15}" for c in COLUMNS) for name, m in rows])


def _failed(o: Outcome) -> bool:
    return (not o.answered if o.answerable else not o.honest) or (o.answerable and not o.answer_hit)


def format_failures(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        wrong = (not o.answered if o.answerable else not o.honest) or (
            o.answerable and not (o.answer_hit and o.passage_rank == 1 and o.section_hit)
        )
        if wrong:
            lines.append(
                f"{o.id} [{o.kind}] {o.question}\n    answered={o.answered} partial={o.partial} expected={o.answerable} "
                f"answer_hit={o.answer_hit} "
                f"rank={o.passage_rank} section_hit={o.section_hit}\n    cited: {o.cited}\n    answer: {o.answer[:240]}"
            )
    return "\n".join(lines) or "no failures"


def default_sets() -> list[Path]:
    """The labeled sets `eval` measures when none is named: the shared dev set and the fixtures."""
    from ..settings import ROOT

    shared = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    return ([shared] if shared.is_file() else []) + sorted((ROOT / "tests" / "fixtures").glob("questions*.jsonl"))


def format_bank_cv(tuning: dict) -> str:
    """The bank's cross-validated figures as the index's fit recorded them."""
    cv = tuning.get("cv") or {}
    if not cv:
        return f"bank cross-validation: none ({tuning.get('fitted_on', 'no fit recorded')})"
    return (
        f"bank cross-validation ({tuning['fitted_on']}): passage hit@1 {cv['hit@1']:.3f}, mrr {cv['mrr']:.3f}; "
        f"not-answered declined {cv['declined']:.3f} at false declines {cv['false_decline']:.3f}"
    )


def format_fit(name: str, fitted_on: str, figures: dict) -> str:
    """One of the build's other fitted models, cross-validated (missing terms, housekeeping)."""
    return f"{name} ({fitted_on})" + "".join(f", {k} {v}" for k, v in sorted(figures.items()))


def register(commands, common: argparse.ArgumentParser) -> None:
    parser = commands.add_parser("eval", parents=[common], help="measure answers on labeled JSONL files")
    parser.add_argument(
        "file",
        type=Path,
        nargs="*",
        help="labeled questions (the ../shared/eval/ format); default: the dev set and tests/fixtures",
    )
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--show-failures", action="store_true", help="list misses with what was returned")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from ..answering.assistant import Assistant

    files = args.file or default_sets()
    assistant = Assistant.load(settings)
    tuning = assistant.index.manifest.tuning
    reports = {}
    for i, path in enumerate(files):
        report, outcomes = evaluate(path, assistant=assistant)
        if args.show_failures and args.json:
            report["failures"] = [asdict(o) for o in outcomes if _failed(o)]
        reports[str(path)] = report
        if not args.json:
            if len(files) > 1:
                print(f"{'' if i == 0 else chr(10)}== {path}")
            if args.show_failures:
                print(format_failures(outcomes), end="\n\n")
            print(format_report(report))
    if args.json:
        single = next(iter(reports.values())) if len(files) == 1 else {"sets": reports}
        fits = {"terms_cv": assistant.index.terms.cv, "housekeeping_fit": assistant.index.glossary.housekeeping_fit}
        print(json.dumps({**single, "bank_cv": tuning.get("cv", {}), **fits}, indent=2))
    else:
        terms, housekeeping = assistant.index.terms, dict(assistant.index.glossary.housekeeping_fit)
        print("\n" + format_bank_cv(tuning))
        print(format_fit("missing terms", terms.fitted_on, terms.cv))
        print(format_fit("housekeeping", housekeeping.pop("fitted_on", "not fitted"), housekeeping))
    return 0
