"""How many questions `serve` answers at once and keeps waiting, measured with scripts/load_test.py
(README, "Serving"). A module of its own, importing nothing, so that the command line's parser
(built by every `ask`) names the defaults without importing Gradio or the feedback store."""

CONCURRENCY = 2
QUEUE_SIZE = 256
