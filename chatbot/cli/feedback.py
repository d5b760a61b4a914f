"""`python -m chatbot feedback [--html FILE | --suggest]`: the maintainer's weekly report on the
feedback file, as text, JSON or one HTML page, or candidate bank lines from what readers asked."""

from __future__ import annotations

import argparse
import json
import sys

from ..settings import Settings


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the `feedback` subcommand to the CLI."""
    parser = commands.add_parser(
        "feedback", parents=[common], help="report on questions asked and answers rated, or suggest bank lines"
    )
    parser.add_argument(
        "--feedback-db",
        metavar="PATH|URL",
        help="feedback file or postgresql:// URL (env CHATBOT_FEEDBACK_DB; default ./feedback.sqlite3)",
    )
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder (env CHATBOT_CORPUS_DIR; default ./corpus)")
    parser.add_argument("--limit", type=_count, default=10, metavar="N", help="rows per list (default 10, 1 to 1000)")
    parser.add_argument("--weeks", type=_count, default=12, metavar="N", help="latest ISO weeks shown (default 12)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--html", metavar="FILE", help="write the report as one self-contained HTML page with charts")
    output.add_argument(
        "--suggest",
        action="store_true",
        help='print candidate bank lines (JSONL) for declined and disliked questions; set "answered", then `bank add`',
    )
    output.add_argument(
        "--purge", action="store_true", help="delete questions older than the retention period now (and the votes on them)"
    )
    parser.add_argument(
        "--retention-days",
        type=float,
        metavar="DAYS",
        help="with --purge: the retention period (env CHATBOT_RETENTION_DAYS; default 180)",
    )
    parser.set_defaults(handler=_feedback)


def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    settings = settings.with_overrides(feedback_db=args.feedback_db)
    if args.suggest:
        return _suggest(args, settings)
    if args.purge:
        from ..feedback.retention import purge_database

        days = args.retention_days if args.retention_days is not None else settings.retention_days
        done, where = purge_database(settings.feedback_db, days=days)
        print(done.line(where))
        return 0
    from ..feedback.report import build_report, format_report

    report = build_report(settings, limit=args.limit, weeks=args.weeks)
    if args.html:
        from ..feedback.report_html import write_html

        path = write_html(report, args.html)
        print(f"wrote {path}")
    elif args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report))
    return 0


def _suggest(args: argparse.Namespace, settings: Settings) -> int:
    from ..feedback.store import read_log
    from ..feedback.suggest import candidates
    from ..feedback.triage import current_assistant, locate
    from ..guide.bank import load_bank
    from ..guide.bank_edit import guide_sections

    rows = read_log(settings.feedback_db)
    assistant, note = current_assistant(settings)
    if note:
        print(f"note: {note}", file=sys.stderr)
    known = {q.question.casefold() for q in load_bank(settings.corpus_dir, guide_sections(settings.corpus_dir))}
    found = candidates(rows, lambda question: locate(assistant, question), reader=assistant.reader, known=known, limit=args.limit)
    for candidate in found:
        print(json.dumps(candidate.to_dict(), ensure_ascii=False), flush=True)
    print(
        f"{len(found)} candidate line{'s' * (len(found) != 1)} from {settings.feedback_db}; "
        'set "answered" on each you keep, then `python -m chatbot bank add FILE`',
        file=sys.stderr,
    )
    return 0


def _count(text: str) -> int:
    """A count from 1 to 1,000 (SQLite takes no larger integer than 2**63 - 1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 1000")
    return value
