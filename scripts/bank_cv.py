"""Cross-validate the whole pipeline on the question bank, one voice held out at a time.

    .venv/bin/python scripts/bank_cv.py [--no-fine-tune] [--model NAME] [--json]

For each voice (plain, indirect, casual, typo, keywords), the guide is indexed with a bank that
lacks that voice (and, unless --no-fine-tune, with a model fine-tuned on that smaller bank); the
held-out questions are then asked through `Assistant.ask`. Unlike the fit's own cross-validation
(recorded in the manifest, where the fine-tuned model has seen every fold), nothing held out
here was seen by the model, the bank keys or the fitted Tuning. Takes ~2.5 minutes a fold with
fine-tuning on two cores.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chatbot.answering.assistant import Assistant  # noqa: E402
from chatbot.guide.bank import VOICES, bank_files  # noqa: E402
from chatbot.guide.corpus import corpus_files  # noqa: E402
from chatbot.index.build import build_index  # noqa: E402
from chatbot.settings import Settings  # noqa: E402


def fold(voice: str, settings: Settings, work: Path) -> Counter:
    corpus = work / voice / "corpus"
    corpus.mkdir(parents=True)
    for path in corpus_files(settings.corpus_dir):
        shutil.copy(path, corpus / path.name)
    held_out = []
    for path in bank_files(settings.corpus_dir):
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines():
            (held_out if line.strip() and json.loads(line).get("voice") == voice else kept).append(line)
        (corpus / path.name).write_text("\n".join(kept) + "\n", encoding="utf-8")
    fold_settings = Settings(
        corpus_dir=corpus,
        index_dir=work / voice / "index",
        model=settings.model,
        fine_tune=settings.fine_tune,
        model_cache=work / "models",
    )
    build_index(fold_settings)
    assistant = Assistant.load(fold_settings)
    counts: Counter = Counter()
    for line in held_out:
        item = json.loads(line)
        answer = assistant.ask(item["question"])
        gold = tuple(s for s in (item.get("section"), item.get("subsection")) if s)
        if item["answered"]:
            counts["answered"] += 1
            counts["false_decline"] += not answer.in_scope
            counts["section@1"] += bool(answer.citations) and answer.citations[0].passage.section == gold
        else:
            counts["not_answered"] += 1
            counts["declined"] += not answer.in_scope
            counts["right_reason"] += str(answer.reason) == {"medical": "medical_advice"}.get(item["reason"], item["reason"])
    return counts


def rates(c: Counter) -> dict:
    share = lambda part, whole: c[part] / max(c[whole], 1)
    return {
        "questions": c["answered"] + c["not_answered"],
        "section@1": share("section@1", "answered"),
        "false_decline": share("false_decline", "answered"),
        "declined": share("declined", "not_answered"),
        "right_reason": share("right_reason", "declined"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-fine-tune", action="store_true")
    parser.add_argument("--model", default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    settings = Settings.from_env(model=args.model)
    settings = Settings(corpus_dir=settings.corpus_dir, model=settings.model, fine_tune=not args.no_fine_tune)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bank-cv-") as work:
        for voice in VOICES:
            logging.info("fold: %s held out", voice)
            rows[voice] = fold(voice, settings, Path(work))
    total = sum(rows.values(), Counter())
    figures = {name: rates(counts) for name, counts in {**rows, "overall": total}.items()}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'held out':<10}{'questions':>10}{'section@1':>11}{'false_decl':>11}{'declined':>10}{'reason ok':>10}")
    for name, f in figures.items():
        print(
            f"{name:<10}{f['questions']:>10}{f['section@1']:>11.3f}{f['false_decline']:>11.3f}{f['declined']:>10.3f}{f['right_reason']:>10.3f}"
        )


if __name__ == "__main__":
    main()
