"""`python -m chatbot backup DIR` and `python -m chatbot restore DIR [--replace]` (`chatbot/backup.py`)."""

from __future__ import annotations

import argparse

from ..settings import Settings


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add the `backup` and `restore` subcommands to the CLI."""
    for name, text in (
        ("backup", "copy the feedback store (questions, votes, decisions) and the bank files into a new folder"),
        ("restore", "write a backup folder back into the feedback store and the corpus folder"),
    ):
        parser = commands.add_parser(name, parents=[common], help=text)
        parser.add_argument("folder", metavar="DIR", help="the backup folder" + (" (new or empty)" if name == "backup" else ""))
        parser.add_argument(
            "--feedback-db",
            metavar="PATH|URL",
            help="feedback file or postgresql:// URL (env CHATBOT_FEEDBACK_DB; default ./feedback.sqlite3)",
        )
        parser.add_argument("--corpus", metavar="DIR", help="corpus folder of the bank files (env CHATBOT_CORPUS_DIR)")
        if name == "restore":
            parser.add_argument("--replace", action="store_true", help="empty a feedback store that already holds rows first")
        parser.set_defaults(handler=_backup if name == "backup" else _restore)


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from ..feedback.backup import backup

    settings = settings.with_overrides(feedback_db=args.feedback_db)
    done = backup(settings.feedback_db, settings.corpus_dir, args.folder)
    print(f"{done.line('backed up')} into {done.folder}")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    from ..feedback.backup import restore

    settings = settings.with_overrides(feedback_db=args.feedback_db)
    done = restore(args.folder, settings.feedback_db, settings.corpus_dir, replace=args.replace)
    print(f"{done.line('restored')} from {done.folder} into {settings.corpus_dir}")
    if done.bank:
        print("the bank files changed: run `python -m chatbot build-index` (running servers pick the new index up)")
    return 0
