"""After a change is committed, tell whoever keeps a copy of it elsewhere.

Two copies live outside the database: an opening's card in its channel, and the scheduler's
wake-up times. Services announce "opening changed" and "schedule changed" here once their
transaction has committed; the subscribers (card refresh, scheduler re-arm) are wired once at
start-up, so no call site has to remember either step. A subscriber's failure is logged and
never undoes or fails the change that caused it.

Subscribers run after the announcement returns, not inside it: the command that made the change
answers its user without waiting for a card redraw (a Web API call) or a re-arm, and a burst of
changes to one opening coalesces. At most one redraw per opening runs at a time; changes that
arrive meanwhile leave only their latest state, drawn once when it ends. A burst of 50 moves on
one opening is two or three redraws instead of 50, which also keeps far inside Slack's
``chat.update`` rate limit. Announcements are made straight after the commit with no await in
between, and the store serialises commits, so "latest announced" is "latest committed".
:meth:`drained` is the barrier for whoever must see the copies caught up (shutdown, tests, the
console printing what a command did).
"""

from __future__ import annotations

import asyncio
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
        self._latest: dict[int, Opening] = {}  # opening id -> its newest state not yet handed out
        self._schedule_again = False
        self._followers: set[asyncio.Task[None]] = set()
        self._drawing: set[int] = set()
        self._rearming = False

    def on_opening_changed(self, listener: OpeningListener) -> None:
        self._opening.append(listener)

    def on_schedule_changed(self, listener: ScheduleListener) -> None:
        self._schedule.append(listener)

    async def opening_changed(self, op: Opening) -> None:
        """Note the opening's new state; its subscribers see it (or a later one) soon after."""
        if not self._opening:
            return
        self._latest[op.id] = op
        if op.id not in self._drawing:
            self._drawing.add(op.id)
            self._follow(self._draw(op.id))

    async def schedule_changed(self) -> None:
        """Note that what is scheduled changed; the subscribers run once for any number of notes."""
        if not self._schedule:
            return
        self._schedule_again = True
        if not self._rearming:
            self._rearming = True
            self._follow(self._rearm())

    async def drained(self) -> None:
        """Return once every change announced so far has reached its subscribers."""
        while self._followers:
            await asyncio.gather(*self._followers, return_exceptions=True)

    def _follow(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _draw(self, opening_id: int) -> None:
        try:
            while opening_id in self._latest:
                op = self._latest.pop(opening_id)
                await _tell([listener(op) for listener in self._opening], op.ref)
        finally:
            self._drawing.discard(opening_id)

    async def _rearm(self) -> None:
        try:
            while self._schedule_again:
                self._schedule_again = False
                await _tell([listener() for listener in self._schedule], "schedule")
        finally:
            self._rearming = False


async def _tell(calls: list[Awaitable[None]], changed: str) -> None:
    """Run each subscriber's call in turn; one that fails is logged and the others still run."""
    for call in calls:
        try:
            await call
        except Exception:
            log.exception("a subscriber failed after a change to %s", changed)
