"""A fast, local-first server that speaks the ActivityWatch REST API."""

__version__ = "0.1.0"
