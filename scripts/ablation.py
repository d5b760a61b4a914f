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

from chatbot.assistant import Assistant
from chatbot.evaluation import evaluate
from chatbot.settings import Settings
from chatbot.tuning import Tuning

METRICS = ("answer@1", "hit@1", "hit@3", "section@1", "false_decline", "declined_unanswerable")


def rows(fitted: Tuning) -> list[tuple[str, Tuning, dict]]:
    """(name, tuning, reader changes) for every configuration measured."""
    no_bank_scope = dict(neighbours=1, confidence_weight=1.0, threshold=Tuning().threshold)
    return [
        ("fitted (default)", fitted, {}),
        ("no bank signal in ranking", replace(fitted, bank=0.0), {}),
        ("no bank at all (old scope rule)", replace(fitted, bank=0.0, **no_bank_scope), {}),
        ("no heading signal", replace(fitted, heading=0.0), {}),
        ("no BM25", replace(fitted, lexical=0.0), {}),
        ("topic phrase kept in query", fitted, {"topic": ""}),
        ("no typo correction", fitted, {"vocabulary": frozenset()}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.load(Settings.from_env())
    fitted, reader = assistant.index.tuning, assistant.reader
    results: dict[str, dict[str, dict]] = {}
    for name, tuning, reader_changes in rows(fitted):
        assistant.index.tuning = assistant.retriever.tuning = tuning
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
