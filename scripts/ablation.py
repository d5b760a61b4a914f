"""Measure what each retrieval signal, the bank and each query step adds, on labeled JSONL files.

    .venv/bin/python scripts/ablation.py ../shared/eval/dev.jsonl tests/fixtures/questions-nearmiss.jsonl

Each row changes the index's fitted `Tuning` (a signal's weight set to 0, or the bank's scope rule
replaced by the fused-score threshold the guide used before the bank) or the query reader, and runs
the same evaluation as `python -m chatbot eval`.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np

from chatbot.answering.assistant import Assistant
from chatbot.cli.evaluation import evaluate
from chatbot.index.neighbours import BankKeys
from chatbot.index.tuning import Tuning
from chatbot.settings import Settings

METRICS = ("answer@1", "hit@1", "hit@3", "section@1", "false_decline", "declined_unanswerable")


def rows(fitted: Tuning) -> list[tuple[str, Tuning, dict, bool]]:
    """(name, tuning, reader changes, keep the bank) for every configuration measured."""
    no_bank_scope = dict(neighbours=1, confidence_weight=1.0, threshold=Tuning().threshold)
    return [
        ("fitted (default)", fitted, {}, True),
        ("no bank signal in ranking", replace(fitted, bank=0.0), {}, True),
        ("no bank (fused score >= 0.30)", replace(fitted, bank=0.0, **no_bank_scope), {}, False),
        ("no heading signal", replace(fitted, heading=0.0), {}, True),
        ("no BM25", replace(fitted, lexical=0.0), {}, True),
        ("topic phrase kept in query", fitted, {"topic": ""}, True),
        ("no typo correction", fitted, {"vocabulary": frozenset()}, True),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.load(Settings.from_env())
    fitted, reader, bank = assistant.index.tuning, assistant.reader, assistant.index.bank
    no_bank = BankKeys.build([], np.zeros((0, bank.vectors.shape[1]), dtype=np.float32), assistant.index.passages)
    results: dict[str, dict[str, dict]] = {}
    for name, tuning, reader_changes, keep_bank in rows(fitted):
        assistant.index.tuning = tuning
        assistant.index.bank = bank if keep_bank else no_bank
        assistant.reader = replace(reader, **reader_changes)
        for path in args.files:
            report, _ = evaluate(path, assistant=assistant)
            results.setdefault(path, {})[name] = {m: report["overall"][m] for m in METRICS}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    cell = lambda v: f"{'-':>15}" if v is None else f"{v:>15.3f}"  # noqa: E731
    for path, table in results.items():
        print(
            f"== {path}\n{'configuration':<34}"
            + "".join(f"{m.replace('declined_unanswerable', 'declined_oos'):>15}" for m in METRICS)
        )
        for name, metrics in table.items():
            print(f"{name:<34}" + "".join(cell(metrics[m]) for m in METRICS))


if __name__ == "__main__":
    main()
