"""Helpers shared by the tests: a tiny embedding model and subprocess runners."""
