"""Scheduled work claimed from the database with a lease, so several replicas can share it.

Every replica runs the whole scheduler; what keeps two of them from doing one job twice is the
database, in three kinds of claim, each taken in one short write transaction:

- a **reminder** row is claimed by the run that finds it due (``claim_token``, ``lease_until``);
- **named jobs** have a row in ``leases`` while in progress: ``sweep`` (the SLA sweep; the nudge
  DMs it produced are sent by it) and each due digest under its delivery key;
- a **channel** is taken for one message at a time (:class:`ChannelPacing`), so messages to
  it stay about a second apart whichever replica sends them.

A claim is the replica's id (:class:`Replica`), a fresh random token and a lease end. Work
nobody holds, or whose lease ended, may be claimed by anyone: a replica that dies or freezes
loses its work when its lease runs out. A new claim replaces the token, and the token is what
decides "still ours": right before the final ``chat.postMessage`` the sender calls its fence
(:data:`StillOurs`), which renews the claim only if the token is unchanged and the delivery key
is not recorded yet. A replica frozen after claiming that wakes up after another one took the
work over and sent it therefore sends nothing. A claim that ran out but that nobody took is still
ours, so a slow replica is never starved by its own lease. After the fence, a send has a whole
lease to finish (Slack's retries included); one frozen longer than that between the fence and the
post may be repeated elsewhere: at most the one in flight, as across a crash. The delivery
ledger's unique key stays the last guard.

Lease times are real time (:attr:`Replica.clock`), not the domain clock, which the console
moves by days. A replica restarted under the same id (``HIREBOT_REPLICA_ID``) frees what it held
in its earlier life at start (:meth:`Leases.drop_mine`); under the default id, a new one at each
start, that work waits for its leases to run out.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock, iso_us, utcnow
from .config import default_replica_id
from .ports import StillOurs
from .storage import Store

#: The lease key of the SLA sweep.
SWEEP = "sweep"


def new_token() -> str:
    return secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Replica:
    """This process among those sharing the database: the holder of its claims and their length."""

    id: str = field(default_factory=default_replica_id)
    lease: timedelta = timedelta(seconds=60)
    #: Real time: how long a claim lasts is about processes, not about the hiring calendar.
    clock: Clock = utcnow

    def now(self) -> str:
        return iso_us(self.clock())

    def until(self) -> str:
        """When a claim taken or renewed now runs out."""
        return iso_us(self.clock() + self.lease)


@dataclass(slots=True)
class Lease:
    """A named job this replica holds (see :meth:`Leases.take`)."""

    leases: Leases
    key: str
    token: str

    async def still_ours(self, delivery_key: str | None = None) -> bool:
        """Renew the lease if it is still ours, and say whether the job may go on: held, and
        ``delivery_key`` (if given) not recorded yet."""
        async with self.leases.store.transaction() as tx:
            if not await tx.renew_lease(self.key, self.token, self.leases.replica.until()):
                return False
            return delivery_key is None or not await tx.any_delivered([delivery_key])

    def fence(self, delivery_key: str) -> StillOurs:
        """The check a sender makes right before posting the message recorded under ``delivery_key``."""
        return lambda: self.still_ours(delivery_key)

    async def release(self) -> None:
        """Done (or given up): free the job at once rather than when the lease runs out."""
        async with self.leases.store.transaction() as tx:
            await tx.release_lease(self.key, self.token)


class Leases:
    """Named jobs, one replica at a time."""

    def __init__(self, store: Store, replica: Replica) -> None:
        self.store = store
        self.replica = replica

    async def take(self, key: str) -> Lease | None:
        """Hold ``key`` for one lease, or None while another replica holds it."""
        token = new_token()
        async with self.store.transaction() as tx:
            taken = await tx.take_lease(key, self.replica.id, token, self.replica.now(), self.replica.until())
        return Lease(self, key, token) if taken else None

    async def drop_mine(self) -> int:
        """Free every claim held under this replica's id: at start, what an earlier process of the
        same id held when it stopped (a crash, a deploy). Ids are unique among live replicas."""
        async with self.store.transaction() as tx:
            return await tx.drop_claims_of(self.replica.id)


class ChannelPacing:
    """Messages to one channel at least ``interval`` seconds apart, across replicas.

    One ``channel_pacing`` row per channel: when its next message may go, and who is posting
    now. A sender takes the channel (a lease), waits until that moment, posts, then moves it
    ``interval`` on and gives the channel back: two short transactions per message. A lock per
    channel in front of it keeps a process to one sender per channel, so replicas poll the
    database at most once per interval while another one holds the channel."""

    def __init__(self, store: Store, replica: Replica, clock: Clock = utcnow,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.store = store
        self.replica = replica
        self.clock = clock
        self.sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def turn(self, channel_id: str, interval: float) -> AsyncIterator[PacedTurn]:
        """The block posts one message to ``channel_id``; it starts when the channel may have one.
        Set ``posted = False`` on the turn when nothing went out (the channel's time stays)."""
        lock = self._locks.setdefault(channel_id, asyncio.Lock())
        async with lock:
            if interval <= 0:
                yield PacedTurn()
                return
            token = new_token()
            lease = self.replica.lease + timedelta(seconds=interval)
            while True:
                async with self.store.transaction() as tx:
                    next_at = await tx.take_channel(channel_id, self.replica.id, token, iso_us(self.clock()),
                                                    iso_us(self.clock() + lease))
                if next_at is not None:
                    break
                await self.sleep(interval)  # another replica is posting there: its message first
            turn = PacedTurn()
            try:
                if next_at:
                    start = datetime.fromisoformat(next_at)
                    while (wait := (start - self.clock()).total_seconds()) > 0:
                        await self.sleep(wait)
                yield turn
            finally:
                after = iso_us(self.clock() + timedelta(seconds=interval)) if turn.posted else None
                async with self.store.transaction() as tx:
                    await tx.leave_channel(channel_id, token, after)


@dataclass(slots=True)
class PacedTurn:
    posted: bool = True


__all__ = ["SWEEP", "ChannelPacing", "Lease", "Leases", "PacedTurn", "Replica", "StillOurs", "new_token"]
