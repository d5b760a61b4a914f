"""The command line (`python -m chatbot …`): thin shells over the public functions, plus the
measurements it runs (evaluation) and question files (batch).

May import everything below it: the web (`serve`'s registration), feedback, answering, the index,
the guide and the core modules.
"""

from .commands import main

__all__ = ["main"]
