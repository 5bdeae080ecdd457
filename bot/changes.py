"""After a change is committed, tell whoever keeps a copy of it elsewhere.

Two copies live outside the database: an opening's card in its channel, and the scheduler's
wake-up times. Services announce "opening changed" and "schedule changed" here once their
transaction has committed; the subscribers (card refresh, scheduler re-arm) are wired once at
start-up, so no call site has to remember either step. A subscriber's failure is logged and
never undoes or fails the change that caused it.

Subscribers run after the announcement returns, not inside it: the command that made the change
answers its user without waiting for a card redraw (a Web API call) or a re-arm, and a burst of
changes to one opening coalesces. At most one redraw per opening runs at a time; changes that
arrive meanwhile leave only their latest state, drawn once when it ends, and never sooner than
:data:`REDRAW_EVERY` after the previous redraw of that card began. A single change is drawn at
once; a burst of 300 moves on one opening is one redraw a second instead of 300, which keeps
inside Slack's ``chat.update`` rate limit (Tier 3, about 50 a minute) and leaves the event loop
to the commands themselves. Announcements are made straight after the commit with no await in
between, and the store serialises commits, so "latest announced" is "latest committed".
The scheduler is re-armed the same way: at once after a quiet spell, then at most once per
:data:`REARM_EVERY` however many changes come meanwhile. A re-arm reads the next wake-up times from
the database; run back to back behind a stream of moves, the re-arms took a tenth of a
PostgreSQL replica's capacity (bench ack, ``move``: 616 -> 665-680 replies/s with the interval).
Nothing scheduled is lost by the wait: a reminder set meanwhile to fall due before the armed
wake-up is found by the re-arm that ends the interval, at most that much late.

:meth:`drained` is the barrier for whoever must see the copies caught up (shutdown, tests, the
console printing what a command did).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable

from .model import Opening

log = logging.getLogger("hirebot.changes")

OpeningListener = Callable[[Opening], Awaitable[None]]
ScheduleListener = Callable[[], Awaitable[None]]

#: Seconds between the starts of two redraws of one opening's card (see the module docstring).
REDRAW_EVERY = 1.0
#: Seconds between the starts of two re-arms of the scheduler (see the module docstring).
REARM_EVERY = 0.5
#: Openings whose last redraw time is kept before old ones are forgotten (they are due anyway).
_REMEMBERED = 256


class Changes:
    def __init__(self, redraw_every: float = REDRAW_EVERY, rearm_every: float = REARM_EVERY) -> None:
        self.redraw_every = redraw_every
        self.rearm_every = rearm_every
        self._opening: list[OpeningListener] = []
        self._schedule: list[ScheduleListener] = []
        self._latest: dict[int, Opening] = {}  # opening id -> its newest state not yet handed out
        self._schedule_again = False
        self._followers: set[asyncio.Task[None]] = set()
        self._drawing: set[int] = set()
        self._drawn_at: dict[int, float] = {}  # opening id -> when its last redraw began (loop time)
        self._hurry = asyncio.Event()  # set while someone waits in drained(): no pauses
        self._rearming = False
        self._rearmed_at = -math.inf  # when the last re-arm began (loop time)

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
        """Return once every change announced so far has reached its subscribers (redraws
        waiting out :data:`REDRAW_EVERY` go at once)."""
        self._hurry.set()
        try:
            while self._followers:
                await asyncio.gather(*self._followers, return_exceptions=True)
        finally:
            self._hurry.clear()

    async def _pause(self, seconds: float) -> None:
        """Wait out the rest of a card's :data:`REDRAW_EVERY`, or until someone is in :meth:`drained`."""
        try:
            await asyncio.wait_for(self._hurry.wait(), seconds)
        except TimeoutError:
            pass

    def _follow(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._followers.add(task)
        task.add_done_callback(self._followers.discard)

    async def _draw(self, opening_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while opening_id in self._latest:
                wait = self._drawn_at.get(opening_id, -math.inf) + self.redraw_every - loop.time()
                if wait > 0 and not self._hurry.is_set():
                    await self._pause(wait)
                op = self._latest.pop(opening_id)
                self._drawn_at[opening_id] = loop.time()
                await _tell([listener(op) for listener in self._opening], op.ref)
        finally:
            self._drawing.discard(opening_id)
            if len(self._drawn_at) > _REMEMBERED:
                gone = loop.time() - self.redraw_every
                self._drawn_at = {k: t for k, t in self._drawn_at.items() if t > gone}

    async def _rearm(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._schedule_again:
                wait = self._rearmed_at + self.rearm_every - loop.time()
                if wait > 0 and not self._hurry.is_set():
                    await self._pause(wait)
                self._schedule_again = False
                self._rearmed_at = loop.time()
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
