"""A burst of commands whose effects can be counted in the database afterwards (the kill -9
tests: one process, and replicas): each command writes a marker of its own."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.local.fake_slack import FakeSlack


@dataclass
class Sent:
    kind: str  # add, note, move
    text: str
    response_url: str
    marker: str  # what its effect writes, to find it in the database
    replica: int = -1  # where it was sent (replica tests)
    status: int | None = None  # 200 once acknowledged; None if the connection died first
    done: bool = False  # its request is over, acknowledged or not


def burst(slack: FakeSlack, op: int, size: int, word: str) -> list[Sent]:
    """``size`` commands on OP-``op``, adds, notes and moves in turn (``size // 3`` of each),
    their markers named with ``word``."""
    out: list[Sent] = []
    low = word.lower()
    for i in range(size // 3):
        out.append(Sent("add", f'add "{word} Add {i}" OP-{op}', slack.response_url(), f"{word} Add {i}"))
        out.append(Sent("note", f"note APP-{i + 1} {low} note {i}", slack.response_url(), f"{low} note {i}"))
        out.append(Sent("move", f"move APP-{i + 1} screen {low} move {i}", slack.response_url(), f"{low} move {i}"))
    return out
