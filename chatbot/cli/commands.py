"""Command line: `python -m chatbot build-index | ask | eval | serve | feedback | bank`.

A thin shell over the public API; the project's own errors become one line and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import ChatbotError
from ..settings import QUANTIZE_CHOICES, Settings
from .batch import read_questions

log = logging.getLogger("chatbot")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    if hasattr(sys.stdout, "reconfigure"):  # a lone surrogate in a --batch question prints as \udc00, a JSON escape
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        settings = Settings.from_env(index_dir=args.index, model=args.model, corpus_dir=getattr(args, "corpus", None))
        if getattr(args, "trust_model", False):
            settings = settings.with_overrides(trust_model=True)
        settings = settings.with_overrides(quantize=getattr(args, "quantize", None))
        return args.handler(args, settings)
    except ChatbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`... | head -1`): stop quietly, like other Unix tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", metavar="DIR", help="index folder (env CHATBOT_INDEX_DIR; default ./index)")
    common.add_argument("--model", metavar="NAME_OR_PATH", help="sentence-transformers model (env CHATBOT_MODEL)")
    common.add_argument("-v", "--verbose", action="store_true", help="log what is happening")

    parser = argparse.ArgumentParser(prog="python -m chatbot", description="Medical-assistant career guide assistant.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build-index", parents=[common], help="build or refresh the index from corpus/")
    build.add_argument("--corpus", metavar="DIR", help="corpus folder (env CHATBOT_CORPUS_DIR; default ./corpus)")
    build.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument(
        "--trust-model", action="store_true", help="use a known model even when its weights are not the publisher's"
    )
    build.add_argument(
        "--quantize",
        choices=QUANTIZE_CHOICES,
        help="the encoder's weights: none (float) or int8 (faster, see docs/benchmarks.md; env CHATBOT_QUANTIZE; "
        "default: as the index was built, else none)",
    )
    build.set_defaults(handler=_build)

    ask = commands.add_parser("ask", parents=[common], help="answer a question from the guide")
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--corpus", metavar="DIR", help="corpus folder used to check the index is current")
    ask.add_argument(
        "--history", action="append", default=[], metavar="QUESTION", help="an earlier question (repeatable, oldest first)"
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--batch", metavar="FILE.jsonl", type=Path, help="answer every {question, history} line; JSON lines out")
    ask.set_defaults(handler=_ask)

    for module in ("cli.evaluation", "web.serve", "cli.feedback", "cli.bank", "cli.backup"):
        try:
            register = __import__(f"chatbot.{module}", fromlist=["register"]).register
        except (ImportError, AttributeError):
            continue
        register(commands, common)
    return parser


def _build(args: argparse.Namespace, settings: Settings) -> int:
    from ..index.build import build_index

    report = build_index(settings, progress=not args.quiet, force=args.force)
    if report.built:
        print(
            f"built {report.index_dir}: {report.passages} passages, {report.sentences} sentences; "
            f"embedded {report.embedded}, reused {report.reused}; {report.seconds:.1f}s"
        )
    else:
        print(f"{report.index_dir}: {report.reason} ({report.passages} passages)")
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from ..answering.assistant import Assistant

    if (args.question is None) == (args.batch is None):
        raise ChatbotError("give either a QUESTION or --batch FILE.jsonl")
    assistant = Assistant.load(settings)
    if args.batch is not None:
        for item in read_questions(args.batch):
            answer = assistant.ask(item["question"], item.get("history") or [])
            print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
        return 0
    answer = assistant.ask(args.question, args.history)
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer))
    return 0


def format_answer(answer) -> str:
    """The answer as a person reads it in a terminal."""
    lines = [answer.answer]
    if answer.notice:
        lines += ["", answer.notice]
    if answer.interpreted_as and answer.interpreted_as != answer.question.strip():
        lines += ["", f"(read as: {answer.interpreted_as})"]
    if answer.citations:
        lines += ["", "Sources:"] + [f"  [{c.marker}] {c.heading} ({c.passage.source})" for c in answer.citations]
    if answer.suggestions:
        lines += ["", "Nearest sections:"] + [f"  - {' › '.join(s)}" for s in answer.suggestions]
    return "\n".join(lines)
