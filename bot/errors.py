"""Domain errors. Each carries a message fit to show the user, and what to type instead."""

from __future__ import annotations


class HiringError(Exception):
    """Base: ``str(err)`` is a complete, user-facing sentence."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class NotFound(HiringError):
    """An id that does not exist (or no longer holds personal data)."""


class Forbidden(HiringError):
    """The user is not allowed to do this: typically not on the opening's hiring team."""


class InvalidMove(HiringError):
    """A stage move the pipeline does not allow."""


class BadInput(HiringError):
    """A malformed command or argument."""
