"""After a change is committed, tell whoever keeps a copy of it elsewhere.

Two copies live outside the database: an opening's card in its channel, and the scheduler's
wake-up times. Services announce "opening changed" and "schedule changed" here once their
transaction has committed; the subscribers (card refresh, scheduler re-arm) are wired once at
start-up, so no call site has to remember either step. A subscriber's failure is logged and
never undoes or fails the change that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .model import Opening

log = logging.getLogger("hirebot.changes")

OpeningListener = Callable[[Opening], Awaitable[None]]
ScheduleListener = Callable[[], Awaitable[None]]


class Changes:
    def __init__(self) -> None:
        self._opening: list[OpeningListener] = []
        self._schedule: list[ScheduleListener] = []

    def on_opening_changed(self, listener: OpeningListener) -> None:
        self._opening.append(listener)

    def on_schedule_changed(self, listener: ScheduleListener) -> None:
        self._schedule.append(listener)

    async def opening_changed(self, op: Opening) -> None:
        for listener in self._opening:
            try:
                await listener(op)
            except Exception:
                log.exception("a subscriber failed after %s changed", op.ref)

    async def schedule_changed(self) -> None:
        for listener in self._schedule:
            try:
                await listener()
            except Exception:
                log.exception("a subscriber failed after the schedule changed")
