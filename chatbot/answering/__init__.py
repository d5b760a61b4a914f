"""Answering: the `Assistant` that turns a message into an `Answer` — the decision (answer or
decline, and why), the sentences chosen and cited, follow-ups, the live assistant that follows
rebuilds, and the answer as HTML (`render`).

May import the index, the guide and the core modules; never feedback, the web or the command line.
"""
