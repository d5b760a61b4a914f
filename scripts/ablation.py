"""Measure what each retrieval signal and query step adds, on a labeled JSONL file.

    .venv/bin/python scripts/ablation.py ../shared/eval/dev.jsonl

Each row switches parts of the pipeline off (by changing weights or the query reader's inputs)
and runs the same evaluation as `python -m chatbot eval`; the scope threshold is scaled with the
sum of the weights left on.
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager

from chatbot import retrieval, selection
from chatbot.assistant import Assistant
from chatbot.evaluation import evaluate
from chatbot.settings import Settings

METRICS = ("answer@1", "hit@1", "hit@3", "section@1", "scope_accuracy", "false_decline")


@contextmanager
def patched(obj, **values):
    saved = {name: getattr(obj, name) for name in values}
    for name, value in values.items():
        setattr(obj, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(obj, name, value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.load(Settings.from_env())
    weights = dict(PASSAGE_WEIGHT=retrieval.PASSAGE_WEIGHT, SENTENCE_WEIGHT=retrieval.SENTENCE_WEIGHT,
                   HEADING_WEIGHT=retrieval.HEADING_WEIGHT, LEXICAL_WEIGHT=retrieval.LEXICAL_WEIGHT)
    rows = [
        ("dense passages only", dict(weights, SENTENCE_WEIGHT=0, HEADING_WEIGHT=0, LEXICAL_WEIGHT=0), {}),
        ("+ best sentence", dict(weights, HEADING_WEIGHT=0, LEXICAL_WEIGHT=0), {}),
        ("+ heading path", dict(weights, LEXICAL_WEIGHT=0), {}),
        ("+ BM25 (all signals)", weights, {}),
        ("all, topic phrase kept in query", weights, {"topic": ""}),
        ("all, no typo guard (model words)", weights, {"known_words": frozenset()}),
        ("all, no typo correction", weights, {"vocabulary": frozenset()}),
    ]
    results = {}
    for name, weight_values, assistant_values in rows:
        # the scope threshold is on the fused scale: scale it with the weights left on
        threshold = selection.IN_SCOPE_MIN * sum(weight_values.values()) / sum(weights.values())
        with patched(retrieval, **weight_values), patched(assistant, **assistant_values), \
                patched(selection, IN_SCOPE_MIN=threshold):
            report, _ = evaluate(args.file, assistant=assistant)
        results[name] = {m: report["overall"][m] for m in METRICS}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{'configuration':<36}" + "".join(f"{m:>15}" for m in METRICS))
    for name, metrics in results.items():
        print(f"{name:<36}" + "".join(f"{metrics[m]:>15.3f}" for m in METRICS))


if __name__ == "__main__":
    main()
