"""How much acknowledged work a process takes on: a bound measured in *seconds of work*, not items.

Every command and click is recorded and acknowledged, then processed when one of
:attr:`Admission.slots` is free. A closed loop of clients (Slack users clicking on) can be acked
faster than their work is done; unbounded, the queue of acknowledged work grows and every reply
waits behind all of it (issue 15 measured 16 s). A fixed count does not fit either: 256 queued
``post`` commands are two seconds of parsing, 256 ``help`` lookups are nothing, and a replica of
three on PostgreSQL finishes a third of what one process on SQLite does.

So a request is admitted (recorded and acked) at once while the work already queued would be done
within :attr:`Admission.budget` seconds at the pace this process can finish work: its slots over
the time an item has lately held one (Little's law: the pace when every slot is busy, which is
exactly when the bound matters; when they are not, the estimate errs towards letting work in);
beyond that, it waits for room, so acks slow down to the pace of replies. It never waits longer
than :attr:`Admission.patience` (Slack gives an ack 3 s): after that it is admitted anyway, and
the queue is allowed to run a little long rather than turn a user away.
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
#: Items processed before the pace is trusted; until then the queue may hold :attr:`Admission.most`.
TRUSTED_AFTER = 16


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
        self._room: collections.deque[asyncio.Future[None]] = collections.deque()
        #: Admitted and not finished (queued for a slot, or being processed).
        self.pending = 0

    # ------------------------------------------------------------------ pace and room
    def pace(self) -> float:
        """Items this process can finish per second (0: not measured yet)."""
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
            try:
                yield
            finally:
                took = self._clock() - began
                self._samples += 1
                self._held += max(1 / self._samples, SMOOTHING) * (took - self._held)

    def waiting(self) -> int:
        """Requests waiting for room (not yet acknowledged)."""
        return len(self._room)
