"""The web: the Gradio chat window and its pieces, the programs' API and the lean `/v1/ask` route,
limits, health, metrics, the review page and `serve`. Gradio's internals are touched only in
`gradio_internals` (which names the Gradio version it was checked against).

May import feedback, answering, the index, the guide and the core modules; never the command line.
"""
