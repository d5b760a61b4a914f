"""Build or refresh index/ from corpus/ (same as `python -m chatbot build-index`)."""

import sys

from chatbot.cli.commands import main

if __name__ == "__main__":
    sys.exit(main(["build-index", *sys.argv[1:]]))
