"""Short public ids: ``OP-12`` for openings, ``APP-7`` for applications."""

from __future__ import annotations

import re

_OP = re.compile(r"^\s*(?:OP-?|#)?(\d{1,9})\s*$", re.I)
_APP = re.compile(r"^\s*APP-?(\d{1,9})\s*$", re.I)


def op(n: int) -> str:
    return f"OP-{n}"


def app(n: int) -> str:
    return f"APP-{n}"


def parse_op(text: str) -> int | None:
    m = _OP.match(text or "")
    return int(m.group(1)) if m else None


def parse_app(text: str) -> int | None:
    m = _APP.match(text or "")
    return int(m.group(1)) if m else None
