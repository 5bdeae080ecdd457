"""CPU work on the event loop in short slices.

The SLA sweep, the digest and App Home compute working days for thousands of applications.
That is pure Python: a thread would not run it beside the loop (the GIL), so the loop itself
does it, and gives every other task a turn after each slice. Nothing here sleeps: a slice
that finishes early costs nothing, and the results do not depend on where the slices fall.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

#: How long the loop may compute before it lets others run (replies, acks, the scheduler).
SLICE = 0.005


class Slices:
    """``await slices.pause()`` in a loop: returns at once until ``budget`` seconds of work have
    passed since the last turn given away, then lets every ready task run first."""

    def __init__(self, budget: float = SLICE) -> None:
        self.budget = budget
        self._until = time.perf_counter() + budget

    async def pause(self) -> None:
        if time.perf_counter() >= self._until:
            await asyncio.sleep(0)
            self._until = time.perf_counter() + self.budget


_paused = 0  # how many are inside collector_paused()
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector waits while bulk work runs.

    Work that keeps many objects alive at once (a sweep's 100,000 nudge items, kept until they
    are sent and recorded) makes the collector walk the whole growing heap again and again: each
    pass a block of the event loop beyond any slice (135 ms measured at 100,000 items). While the
    work runs, automatic collection waits; nothing is lost: objects are still freed as their last
    reference goes, and cycles are collected once it resumes. Overlapping users keep it paused
    until the last one leaves."""
    global _paused, _was_enabled
    if _paused == 0:
        _was_enabled = gc.isenabled()
        gc.disable()
    _paused += 1
    try:
        yield
    finally:
        _paused -= 1
        if _paused == 0 and _was_enabled:
            gc.enable()
