"""How much acknowledged work a process takes on: a bound measured in *seconds of work*, not items.

Every command and click is recorded and acknowledged, then processed when one of
:attr:`Admission.slots` is free. A closed loop of clients (Slack users clicking on) can be acked
faster than their work is done; unbounded, the queue of acknowledged work grows and every reply
waits behind all of it (issue 15 measured 16 s). A fixed count does not fit either: 256 queued
``post`` commands are two seconds of parsing, 256 ``help`` lookups are nothing, and a replica of
three on PostgreSQL finishes a third of what one process on SQLite does.

So a request is admitted (recorded and acked) at once while the work already queued would be done
within :attr:`Admission.budget` seconds at the pace this process is finishing work: the items it
finished over the last second of the current busy spell. (Before that is known, in the first tenth
of a second of a burst, its slots over the time an item lately held one: Little's law, which errs
towards letting work in. That alone is not the measure: an item's time in a slot grows as the
queue does, since the records of new requests take the database first, so a bound set from the
first quick items lets in twice what the process then finishes.) Beyond the bound a request waits
for room, so acks slow down to the pace of replies. It never waits longer than
:attr:`Admission.patience` (Slack gives an ack 3 s): after that it is admitted anyway, and the
queue is allowed to run a little long rather than turn a user away.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

#: Weight of the newest item in the moving average of the time an item holds a slot, once
#: there are enough; before that, a plain mean (so the slow first items after start-up, cold
#: caches and new connections, do not linger in the estimate).
SMOOTHING = 0.02
#: Items processed before the slot-time estimate is trusted; until then, and until a finishing
#: rate is known, the queue may hold :attr:`Admission.most`.
TRUSTED_AFTER = 16
#: The finishing rate is counted over the last WINDOW seconds of the busy spell, once the spell
#: is at least MIN_SPAN long and MIN_FINISHED items have finished in it.
WINDOW = 1.0
MIN_SPAN = 0.1
MIN_FINISHED = 8


class Admission:
    """Admit requests while the queue is short enough in time; hand out processing slots."""

    def __init__(self, slots: int, *, budget: float = 1.0, patience: float = 1.0, least: int | None = None,
                 most: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        """``slots``: items processed at once. ``budget``: seconds of queued work admitted without
        waiting. ``least``/``most``: the queue allowed whatever the pace says (``most`` also until
        the pace is known, see :data:`TRUSTED_AFTER`; it bounds memory)."""
        self.slots = slots
        self.budget = budget
        self.patience = patience
        self.least = least if least is not None else 8 * slots
        self.most = most if most is not None else 128 * slots
        self._clock = clock
        self._free = asyncio.Semaphore(slots)
        self._held = 0.0  # moving average of the time an item holds a slot, s
        self._samples = 0
        self._busy_since: float | None = None  # since when something has been pending, without a break
        self._finished: collections.deque[float] = collections.deque()  # when items left their slot, this spell
        self._room: collections.deque[asyncio.Future[None]] = collections.deque()
        #: Admitted and not finished (queued for a slot, or being processed).
        self.pending = 0

    # ------------------------------------------------------------------ pace and room
    def pace(self) -> float:
        """Items this process is finishing per second (0: not measured yet)."""
        now = self._clock()
        if self._busy_since is not None:
            recent = self._finished
            while recent and now - recent[0] > WINDOW:
                recent.popleft()
            span = now - max(now - WINDOW, self._busy_since)
            if span >= MIN_SPAN and len(recent) >= MIN_FINISHED:
                return len(recent) / span
        if self._samples < TRUSTED_AFTER or self._held <= 0:
            return 0.0
        return self.slots / self._held

    def limit(self) -> int:
        """How many items may be pending before a new request waits for room."""
        pace = self.pace()
        if pace <= 0:
            return self.most
        return max(self.least, min(self.most, int(pace * self.budget)))

    def _has_room(self) -> bool:
        return self.pending < self.limit()

    async def admit(self) -> None:
        """Wait (at most :attr:`patience` s) until the queue is short enough; then count the
        request as pending. Pair with :meth:`done`."""
        self._wake()
        if not self._room and self._has_room():
            self.pending += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._room.append(waiter)
        self.queued()
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.patience)
        except TimeoutError:
            if not waiter.done():  # (else let in, and counted, as the wait ran out)
                self._room.remove(waiter)
                self.pending += 1  # admitted anyway: never near Slack's 3 s
        except BaseException:
            if waiter.done():  # let in (and counted), then cancelled: give the room back
                self.pending -= 1
                self._wake()
            else:
                self._room.remove(waiter)
            raise

    def queued(self) -> None:
        """Called as a request starts waiting for room (a hook: a test's barrier, a counter)."""

    def done(self) -> None:
        """An admitted request is finished (processed, refused, or found a replay)."""
        self.pending -= 1
        if self.pending <= 0:  # the busy spell is over: the next one measures its own pace
            self._busy_since = None
            self._finished.clear()
        self._wake()

    def _wake(self) -> None:
        """Let waiting requests in, first come first served, while there is room (each counted as
        pending as it is let in, so two wakes never let in the same room twice)."""
        while self._room and self._has_room():
            waiter = self._room.popleft()
            waiter.set_result(None)
            self.pending += 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the :attr:`slots`: the admitted item is processed inside."""
        async with self._free:
            began = self._clock()
            if self._busy_since is None:
                self._busy_since = began
            try:
                yield
            finally:
                self._finished.append(self._clock())
                took = self._clock() - began
                self._samples += 1
                self._held += max(1 / self._samples, SMOOTHING) * (took - self._held)

    def waiting(self) -> int:
        """Requests waiting for room (not yet acknowledged)."""
        return len(self._room)
