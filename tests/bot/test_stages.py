"""The pipeline state machine."""

import pytest

from bot import stages


@pytest.mark.parametrize("current, target, ok", [
    ("applied", "screen", True), ("screen", "interview", True), ("interview", "offer", True),
    ("offer", "hired", True), ("applied", "interview", False), ("screen", "offer", False),
    ("interview", "screen", True), ("offer", "applied", True), ("screen", "rejected", True),
    ("offer", "withdrawn", True), ("hired", "rejected", False), ("rejected", "screen", False),
    ("rejected", "applied", True), ("withdrawn", "applied", True), ("applied", "applied", False),
])
def test_moves(current: str, target: str, ok: bool) -> None:
    assert stages.can_move(current, target) is ok


def test_aliases_and_unknown() -> None:
    assert stages.normalise("Screening") == "screen"
    assert stages.normalise(" Reject ") == "rejected"
    assert stages.normalise("promoted") is None


def test_next_stage() -> None:
    assert stages.next_stage("applied") == "screen"
    assert stages.next_stage("offer") == "hired"
    assert stages.next_stage("hired") is None
