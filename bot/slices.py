"""CPU work on the event loop in short slices.

The SLA sweep, the digest and App Home compute working days for thousands of applications.
That is pure Python: a thread would not run it beside the loop (the GIL), so the loop itself
does it, and gives every other task a turn after each slice. Nothing here sleeps: a slice
that finishes early costs nothing, and the results do not depend on where the slices fall.
"""

from __future__ import annotations

import asyncio
import time

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
