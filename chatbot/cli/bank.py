"""`python -m chatbot bank add FILE | check`: grow the question bank and read it back through the index."""

from __future__ import annotations

import argparse
import json

from ..settings import Settings


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the `bank` subcommand (with `add` and `check`) to the CLI."""
    bank = commands.add_parser("bank", help="add labeled questions to the question bank, or check it against the index")
    actions = bank.add_subparsers(dest="action", required=True)
    corpus = argparse.ArgumentParser(add_help=False)
    corpus.add_argument("--corpus", metavar="DIR", help="corpus folder (env CHATBOT_CORPUS_DIR; default ./corpus)")

    add = actions.add_parser(
        "add",
        parents=[common, corpus],
        help="validate bank lines (e.g. from `feedback --suggest`) and append them to the bank",
        description='Each line of FILE is one bank line; "answered" must be true or false (a suggestion\'s null is '
        'refused) and its "suggested" object is dropped. Any bad or repeated line stops the command and leaves '
        "the bank unchanged.",
    )
    add.add_argument("file", metavar="FILE", help="JSON lines to add")
    add.add_argument("--bank", metavar="FILE", help="the bank file to append to (default: the corpus folder's only one)")
    add.add_argument("--dry-run", action="store_true", help="check the lines without writing")
    add.set_defaults(handler=_add)

    check = actions.add_parser(
        "check",
        parents=[common, corpus],
        help="validate the bank and list the questions the current index answers against their label",
    )
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--quiet", action="store_true", help="no progress bar")
    check.set_defaults(handler=_check)


def _add(args: argparse.Namespace, settings: Settings) -> int:
    from ..guide.bank_edit import add_questions

    added = add_questions(settings.corpus_dir, args.file, bank=args.bank, dry_run=args.dry_run)
    count = len(added.added)
    if added.dry_run:
        print(f"{args.file}: {count} valid new questions; nothing written (--dry-run)")
    elif not count:
        print(f"{args.file} holds no question; {added.bank} is unchanged")
    else:
        print(
            f"added {count} question{'s' * (count != 1)} to {added.bank} ({added.total} in the bank); "
            "run `python -m chatbot build-index` to use them"
        )
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from ..feedback.bank_check import check_bank, format_check

    check = check_bank(settings, progress=not args.quiet and not args.json)
    print(json.dumps(check.to_dict(), ensure_ascii=False, indent=2) if args.json else format_check(check))
    return 0
