"""The index: the model (weights, fine-tuning, encoders), the build and its steps, the saved index
and its loading, and searching it (vectors, BM25, the bank's labeled neighbours, fitted tuning).

May import the guide and the core modules; never answering, feedback, the web or the command line.
"""
