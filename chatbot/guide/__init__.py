"""The guide: the corpus and its passages, the question bank and its labels, and how a question's
words are read against the guide's (text, query, glossary, places).

Imports nothing else of the package but its core modules (errors, settings, jsonl, locks).
"""
