"""Turn a pasted job posting into a structured :class:`ParsedPosting`.

Pure and synchronous, with no Slack types, so the CLI, the Slack handlers and the tests all
call the same :func:`parse_posting`. See ``bot/parsing/sections.py`` for how lists are found
and ``bot/parsing/facts.py`` for the scalar fields.
"""

from .model import ParsedPosting
from .posting import parse_posting

__all__ = ["ParsedPosting", "parse_posting"]
