"""The exception hierarchy: every error convanim raises on purpose is a ``ConvanimError``.

The CLI turns these into one-line messages; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ConvanimError(Exception):
    """Base class of convanim's own errors."""


class SpecError(ConvanimError, ValueError):
    """A layer or figure specification is impossible; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class TemplateError(ConvanimError):
    """A template cannot be found or read."""


class ManifestError(ConvanimError):
    """A batch manifest cannot be read or names something impossible."""


class WriterUnavailable(ConvanimError):
    """An output format needs something that is not installed; the message says how to fix it."""


class BudgetError(ConvanimError):
    """A request would draw more frames or pixels than the configured budget allows."""


class OutputError(ConvanimError):
    """An output cannot be written: unknown format, missing or read-only directory, full disk."""
