"""The pipeline's stages and which moves between them are possible.

applied → screen → interview → offer → hired, one stage forward at a time (skipping the
interview is how hiring mistakes happen), back to any earlier stage, and from any open stage
to rejected or withdrawn. Hired, rejected and withdrawn are final; a final application can be reopened
only by a recruiter moving it back to ``applied`` ("reconsider"), which keeps mistakes cheap.
"""

from __future__ import annotations

from collections.abc import Mapping

FORWARD = ["applied", "screen", "interview", "offer", "hired"]
EXITS = ["rejected", "withdrawn"]
STAGES = FORWARD + EXITS
OPEN_STAGES = FORWARD[:-1]
FINAL = {"hired", *EXITS}

_ALIASES = {
    "screening": "screen", "phone": "screen", "phone-screen": "screen", "interviewing": "interview",
    "onsite": "interview", "offered": "offer", "hire": "hired", "reject": "rejected", "withdraw": "withdrawn",
    "apply": "applied", "new": "applied",
}


def normalise(stage: str) -> str | None:
    """Canonical stage name for what a user typed, or None."""
    s = stage.strip().lower()
    s = _ALIASES.get(s, s)
    return s if s in STAGES else None


def allowed_moves(current: str) -> list[str]:
    """Stages an application in ``current`` may move to, in display order."""
    if current in OPEN_STAGES:
        i = FORWARD.index(current)
        return [FORWARD[i + 1], *FORWARD[:i], *EXITS]
    if current in FINAL:
        return ["applied"]
    return []


def can_move(current: str, target: str) -> bool:
    return target in allowed_moves(current)


def next_stage(current: str) -> str | None:
    """The natural next stage (for "advance" buttons)."""
    if current in OPEN_STAGES:
        return FORWARD[FORWARD.index(current) + 1]
    return None


def still_open(counts: Mapping[str, int]) -> dict[str, int]:
    """Of an opening's stage counts, the open stages that hold candidates, in pipeline order: who a
    closed opening leaves waiting."""
    return {s: counts[s] for s in OPEN_STAGES if counts.get(s, 0) > 0}
