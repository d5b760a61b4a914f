"""Measure answers on labeled questions (same as `python -m chatbot eval FILE.jsonl`)."""

import sys

from chatbot.cli.commands import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
