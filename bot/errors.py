"""Domain errors as values: a code and its parameters, never a sentence.

``templates/replies/errors.j2`` turns each code into words (a macro named after the code, and
an optional ``<code>_hint`` macro saying what to type instead), so a team's
``HIREBOT_TEMPLATES`` can reword every message and the domain stays free of Slack markup.
"""

from __future__ import annotations

from typing import Any


class HiringError(Exception):
    """Base: ``code`` names the template macro; ``params`` fill it."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, **{self.params!r})"


class NotFound(HiringError):
    """An id that does not exist (or no longer holds personal data)."""


class Forbidden(HiringError):
    """The user is not allowed to do this: typically not on the opening's hiring team."""


class InvalidMove(HiringError):
    """A stage move the pipeline does not allow."""


class BadInput(HiringError):
    """A malformed command or argument."""


class DeliveryFailed(Exception):
    """A port could not deliver (Slack refused a post). ``reason`` is Slack's error code,
    e.g. ``not_in_channel``; it is shown to the user, so it must not carry personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
