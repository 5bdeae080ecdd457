"""How much acknowledged work a process takes on: a bound measured in *seconds of work*, not items.

Every command and click is recorded and acknowledged, then processed when one of
:attr:`Admission.slots` is free. A closed loop of clients (Slack users clicking on) can be acked
faster than their work is done; unbounded, the queue of acknowledged work grows and every reply
waits behind all of it (issue 15 measured 16 s). A fixed count does not fit either: 256 queued
``post`` commands are two seconds of parsing, 256 ``help`` lookups are nothing, and a replica of
three on PostgreSQL finishes a third of what one process on SQLite does.

So a request is admitted (recorded and acked) at once while the work already queued would be done
within :attr:`Admission.budget` seconds at the pace this process is finishing work: the items it
finished over the last second of the current busy spell. Until a spell has shown its pace (its
first few items), the queue may hold :attr:`Admission.least`. Two shortcuts were measured
and dropped: a pace from the time an item holds a slot grows wrong as the queue grows (the
records of new requests take the database first), and one carried over from the last spell
belongs to other commands (quick ``pipeline`` reads let 400 slow ``post`` parses in). Beyond the
bound a request waits for room, so acks slow down to the pace of replies. It never waits longer
than :attr:`Admission.patience` (Slack gives an ack 3 s): after that it is admitted anyway, and
the queue is allowed to run a little long rather than turn a user away.

The bound follows the pace down without stopping the acks: when the pace falls (a busy spell's
first second, a slower machine for a moment), the queue admitted earlier is longer than the new
bound. Draining it to the bound before admitting anyone again cost every waiting request that
many items of waiting more: at 50 concurrent clients on PostgreSQL, acks stalled for up to
300 ms while the bound fell 10-15 % after a burst began. Instead, while the queue is within
:attr:`Admission.hold` over the bound, each item finished lets one waiting request take its
place: the queue stays as long as it is, and acks keep the pace of replies. Beyond that, it
drains as before, so a reply never waits more than ``(1 + hold) × budget`` seconds of work
(bench ack, ``move`` on PostgreSQL, 14 alternating pairs: ack p99 median 92 against 114 ms,
lower in ten pairs, within 100 ms in ten runs against four; request → reply p99 0.81-1.16 s
against 0.90-1.21 s). A bound that merely shrank more slowly, tried before, did not help: it
still stopped the acks while it shrank.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

#: The finishing rate is counted over the items finished in the last WINDOW seconds of the busy
#: spell, once at least MIN_FINISHED have, at least MIN_SPAN apart.
WINDOW = 1.0
MIN_SPAN = 0.05
MIN_FINISHED = 8
#: How far over the bound, as a share of it, the queue may stay when the pace falls (see above).
HOLD = 0.25


class Admission:
    """Admit requests while the queue is short enough in time; hand out processing slots."""

    def __init__(self, slots: int, *, budget: float = 1.0, patience: float = 1.0, least: int | None = None,
                 most: int | None = None, hold: float = HOLD, clock: Callable[[], float] = time.monotonic) -> None:
        """``slots``: items processed at once. ``budget``: seconds of queued work admitted without
        waiting. ``least``/``most``: the queue allowed whatever the pace says (``least`` also
        until a busy spell has shown its pace; ``most`` bounds memory). ``hold``: how far over
        the bound a finished item's place is still taken by a waiting request."""
        self.slots = slots
        self.budget = budget
        self.patience = patience
        self.least = least if least is not None else 16 * slots
        self.most = most if most is not None else 128 * slots
        self.hold = hold
        self._clock = clock
        self._free = asyncio.Semaphore(slots)
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
            # Between the first and the last item finished in the window, not from the spell's
            # start: the first items finish one service time after it begins, and counting that
            # wait as slowness would hold the first second of every burst back for nothing.
            span = recent[-1] - recent[0] if recent else 0.0
            if span >= MIN_SPAN and len(recent) >= MIN_FINISHED:
                return (len(recent) - 1) / span
        return 0.0

    def limit(self) -> int:
        """How many items may be pending before a new request waits for room."""
        pace = self.pace()
        if pace <= 0:
            return self.least
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
        """An admitted request is finished (processed, refused, or found a replay); a waiting
        request takes its place while the queue is within :attr:`hold` over the bound."""
        self.pending -= 1
        if self.pending <= 0:  # the busy spell is over: the next one measures its own pace
            self._busy_since = None
            self._finished.clear()
        elif self._room and self.pending < min(self.most, int(self.limit() * (1 + self.hold))):
            self._let_in()
        self._wake()

    def _wake(self) -> None:
        """Let waiting requests in, first come first served, while there is room (each counted as
        pending as it is let in, so two wakes never let in the same room twice)."""
        while self._room and self._has_room():
            self._let_in()

    def _let_in(self) -> None:
        """The first waiting request gets in, counted as pending."""
        self._room.popleft().set_result(None)
        self.pending += 1

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One of the :attr:`slots`: the admitted item is processed inside."""
        async with self._free:
            if self._busy_since is None:
                self._busy_since = self._clock()
            try:
                yield
            finally:
                self._finished.append(self._clock())

    def waiting(self) -> int:
        """Requests waiting for room (not yet acknowledged)."""
        return len(self._room)
