"""Acknowledged means kept: the durable inbox of commands and button clicks.

A listener records what it received *before* it acknowledges Slack (one INSERT; records arriving
together share one short transaction that goes before the commands' own, see :meth:`Inbox.record`),
then acknowledges, then processes. Three moments are durable:

- **received**: the row exists. An exact replay of the same signed request (same trigger id and
  response URL; Slack gives every invocation fresh ones) finds it and is acknowledged and ignored.
- **applied**: set by the storage layer in the *same* transaction as the command's own write
  (:meth:`bot.storage.Store.claiming`), so no crash can leave the effect without the mark, nor
  the mark without the effect: a restart never applies a command twice, and never skips one.
- **answered**: set once the reply went out. Read-only commands just get this one.

On start-up :meth:`Inbox.resume` finishes what a crash interrupted: a row not applied is processed
again; a row applied but not answered gets a reply saying it was done. Replies to rows older than
:data:`REPLY_WINDOW` (Slack's response URLs last 30 minutes) are sent another way by the caller
(a DM); rows older than :data:`KEEP` are marked expired with a log line instead. Answered rows are
pruned after :data:`KEEP`.

The reply after a crash is at-least-once: a crash after the reply left but before ``answered`` was
committed sends it again on restart. The effect is exactly-once.

**Replicas.** Several processes may share the database. A row is *held* by the replica that
recorded it (``holder``, its replica id) under a lease (``lease_until``) which that replica renews
while the row is in its hands (:meth:`Inbox.renew`, every :attr:`Inbox.every` seconds). At start
:meth:`Inbox.backlog` takes the rows held under this replica's own id at once (it was this process,
before a restart) and those of others only once their lease ran out; while running,
:meth:`Inbox.take_expired` takes over the rows of a replica that died. Every take is a conditional
UPDATE, so exactly one replica gets a row; "applied" stays the guard against applying twice
(:class:`~bot.storage.AlreadyApplied`: a replica that finds its row applied by another leaves the
reply to that one).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .clock import Clock, utcnow
from .storage import INBOX_ROWS, AlreadyApplied, InboxRecord, Store

log = logging.getLogger("hirebot.inbox")

#: How long a reply can still go to the command's response URL (Slack: 30 minutes).
REPLY_WINDOW = timedelta(minutes=30)
#: Answered rows are kept this long (replays are refused while their row exists); unanswered
#: rows older than this are not resumed any more.
KEEP = timedelta(days=1)
#: How long a replica holds a row it does not renew (HIREBOT_LEASE_SECONDS).
LEASE = timedelta(seconds=60)
#: Slack event ids and trigger ids are remembered this long (Slack retries an event for about an
#: hour; a replayed request is refused after 5 minutes anyway)...
SEEN_KEEP = timedelta(days=1)
#: ... and never less than this, whatever a caller asks for.
SEEN_AT_LEAST = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Received:
    """What a command or click carries, in plain values (no Slack types)."""

    kind: str  # "command" or "action"
    user_id: str
    channel_id: str | None
    text: str = ""
    response_url: str | None = None
    trigger_id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    payload: dict[str, Any] | None = None

    def key(self) -> str | None:
        """The request's identity for replay detection: Slack gives every invocation a fresh
        trigger id and response URL, and a replay repeats them with the same content. Without
        both (a modal, a test calling a listener directly) nothing is deduplicated."""
        if not self.trigger_id or not self.response_url:
            return None
        ident = [self.kind, self.trigger_id, self.response_url, self.user_id, self.channel_id, self.team_id,
                 self.enterprise_id, self.text, self.payload]
        return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: int
    received: Received
    received_at: datetime
    applied_at: datetime | None = None
    answered_at: datetime | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> InboxItem:
        def when(v: Any) -> datetime | None:
            return datetime.fromisoformat(str(v)) if v else None

        received = Received(kind=row["kind"], user_id=row["user_id"], channel_id=row["channel_id"],
                            text=row["text"] or "", response_url=row["response_url"], trigger_id=row["trigger_id"],
                            team_id=row["team_id"], enterprise_id=row["enterprise_id"],
                            payload=json.loads(row["payload"]) if row["payload"] else None)
        at = when(row["received_at"])
        assert at is not None
        return cls(row["id"], received, at, when(row["applied_at"]), when(row["answered_at"]))


#: Process an item again (``fresh``: its response URL still works).
Process = Callable[[InboxItem, bool], Awaitable[None]]
#: Tell the user an applied item was done (``fresh`` as above).
Confirm = Callable[[InboxItem, bool], Awaitable[None]]


@dataclass(slots=True)
class Resumed:
    """What a start-up resume did, for the log and the tests."""

    reprocessed: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    pruned: int = 0


class Inbox:
    def __init__(self, store: Store, clock: Clock = utcnow, *, holder: str = "", lease: timedelta = LEASE) -> None:
        self.store = store
        self.clock = clock
        #: This replica's id, written on the rows it holds; and how long it holds one unrenewed.
        self.holder = holder
        self.lease = lease
        #: Rows this process holds and has not answered: renewed by :meth:`renew`.
        self._held: set[int] = set()
        #: Records and "answered" marks waiting for the next group commit (see :meth:`record`,
        #: :meth:`answered`), and its writer.
        self._pending: list[tuple[Received, datetime, asyncio.Future[int | None]]] = []
        self._answers: list[tuple[int, str, datetime, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def record(self, received: Received) -> InboxItem | None:
        """Write the command down; None for an exact replay. Returns once the row is committed.

        Group commit: records arriving together share one urgent transaction (one BEGIN and
        COMMIT, ahead of the commands' own transactions), each waiter resolved after that COMMIT.
        Behind the lock queue, one transaction each, an ack waited for every queued command."""
        now = self.clock()
        done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._pending.append((received, now, done))
        self._write_soon()
        inbox_id = await asyncio.shield(done)  # a cancelled request leaves the batch alone
        if inbox_id is None:
            log.info("ignored an exact replay of %s (trigger %s)", received.kind, received.trigger_id)
            return None
        return InboxItem(inbox_id, received, now)

    def _write_soon(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())

    async def _write_pending(self) -> None:
        """Write what is pending, in batches, until nothing is. A batch is taken once its write
        has its turn, so everything that arrived while waiting joins it.

        Through :meth:`~bot.storage.Store.standalone`: on PostgreSQL the records (one multi-row
        INSERT) and the "answered" marks (one UPDATE) each commit by themselves, on a
        connection of their own, beside the write lock's queue instead of in it. A move held
        that lock for 5 round trips, and its record and mark had taken it for 2 more each: bench
        ack, ``move`` on PostgreSQL, 330-430 -> 470-520 replies/s. Each row is its own
        request's, so nothing the lock orders is at stake; the marks lock their rows in id order,
        as a renewal and a takeover do, so they cannot deadlock with those (and are run again
        when the server breaks a deadlock with a forget's scrub). On SQLite both are one
        transaction, as before (two cost 5-8 % of moves/s)."""
        while self._pending or self._answers:
            batch: list[tuple[Received, datetime, asyncio.Future[int | None]]] = []
            answers: list[tuple[int, str, datetime, asyncio.Future[None]]] = []
            written: list[int | None] = []
            try:
                async with self.store.standalone() as tx:
                    batch, self._pending = self._pending[:INBOX_ROWS], self._pending[INBOX_ROWS:]
                    answers, self._answers = self._answers, []
                    until = self.clock() + self.lease
                    written = await tx.record_inbox_batch([InboxRecord(
                        r.kind, r.key(), r.trigger_id, r.response_url, r.user_id, r.channel_id, r.team_id,
                        r.enterprise_id, r.text, r.payload, at, self.holder, until) for r, at, _ in batch])
                    if tx.autocommit:  # committed already: the acks need not wait for the marks
                        self._recorded(batch, written)
                    await tx.mark_inbox_answered_batch([(i, outcome, at) for i, outcome, at, _ in answers])
            except BaseException as exc:  # what was not kept: each waiter is told (the rest know)
                if not batch and not answers:  # failed before its turn (the store closed): so does all pending
                    batch, self._pending = self._pending, []
                    answers, self._answers = self._answers, []
                failure = exc if isinstance(exc, Exception) else RuntimeError("inbox closed")
                for waiter in [w for *_, w in batch] + [w for *_, w in answers]:
                    if not waiter.done():
                        waiter.set_exception(failure)
                if not isinstance(exc, Exception):
                    raise
                continue
            self._recorded(batch, written)
            for answered_id, _, _, answered in answers:
                self._held.discard(answered_id)
                if not answered.done():
                    answered.set_result(None)

    def _recorded(self, batch: list[tuple[Received, datetime, asyncio.Future[int | None]]],
                  written: list[int | None]) -> None:
        """The batch's rows are committed: hold them, and let each ack go (once)."""
        for (_, _, waiter), new_id in zip(batch, written, strict=True):
            if not waiter.done():
                if new_id is not None:
                    self._held.add(new_id)
                waiter.set_result(new_id)

    @contextmanager
    def applying(self, item: InboxItem) -> Iterator[None]:
        """The block's first write transaction marks ``item`` applied, atomically with it."""
        with self.store.claiming(item.id, self.clock):
            yield

    async def handle(self, item: InboxItem, work: Callable[[], Awaitable[None]], *, claim: bool = True) -> None:
        """Run ``work`` (the command and its reply), then mark the item answered. ``claim=False``
        for commands whose repetition is harmless (reads, scratch drafts): a restart re-runs them."""
        try:
            if claim:
                with self.applying(item):
                    await work()
            else:
                await work()
        except AlreadyApplied:
            # Another replica took the row over (this one looked dead: its lease ran out) and
            # applied it first: the reply is that replica's to send.
            log.warning("inbox %d was applied by another replica; leaving its reply to that one", item.id)
            self._held.discard(item.id)
            return
        try:
            await self.answered(item.id, "replied")
        except BaseException:
            # The reply went out, but the database did not take the mark (it restarted, or the
            # connection broke). Let the row go: renewed here it would wait for this process's
            # next start; let go, its lease runs out and it is confirmed (or done, if its work
            # was lost with the database) within a lease, by this replica or another.
            self._held.discard(item.id)
            log.warning("inbox %d was answered but not marked so; it will be confirmed or done again "
                        "once its lease runs out", item.id)
            raise

    async def answered(self, inbox_id: int, outcome: str) -> None:
        """Mark the item answered; returns once that is committed. Urgent (until it commits, a
        crash makes the restart reply a second time), and group-committed with the records and
        marks arriving meanwhile: under load one transaction ends many, where one each took a
        write turn per command."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._answers.append((inbox_id, outcome, self.clock(), done))
        self._write_soon()
        await asyncio.shield(done)

    async def item(self, inbox_id: int) -> InboxItem | None:
        async with self.store.transaction() as tx:
            row = await tx.inbox_item(inbox_id)
        return InboxItem.from_row(row) if row else None

    async def backlog(self, gone: Callable[[str], bool] = lambda holder: False) -> list[InboxItem]:
        """What this replica resumes at start: acknowledged, not answered, and held under its own
        id (this replica before a restart), by a holder ``gone`` says is known dead, or by another
        whose lease ran out. Taken (held by this replica from now on) *before* serving requests,
        so the resume never touches a command this process, or another live replica, is handling."""
        async with self.store.transaction() as tx:
            dead = [h for h in await tx.inbox_holders() if h != self.holder and gone(h)]
        return await self._take(mine=True, limit=10_000, dead=dead)

    async def take_expired(self, limit: int = 100) -> list[InboxItem]:
        """Take over rows whose holder stopped renewing them (a replica that died), oldest first."""
        return await self._take(mine=False, limit=limit)

    async def _take(self, *, mine: bool, limit: int, dead: list[str] | None = None) -> list[InboxItem]:
        now = self.clock()
        async with self.store.transaction(urgent=True) as tx:
            rows = await tx.take_inbox(self.holder, now, now + self.lease, mine=mine, limit=limit, dead=dead)
        self._held.update(r["id"] for r in rows)
        return [InboxItem.from_row(r) for r in rows]

    @property
    def every(self) -> float:
        """Seconds between two renewals (and looks for rows to take over): a quarter of the
        lease, so a renewal can be late twice and still be in time."""
        return max(self.lease.total_seconds() / 4, 0.05)

    async def renew(self) -> None:
        """Extend the lease on every row this process holds. A row no longer held (another
        replica took it over after this one stalled) is let go: applying it is guarded."""
        held = sorted(self._held)
        if not held:
            return
        async with self.store.transaction(urgent=True) as tx:
            kept = await tx.renew_inbox(self.holder, held, self.clock() + self.lease)
        lost = [i for i in held if i not in kept and i in self._held]
        if lost:
            log.info("inbox rows %s are no longer held here (answered, or taken over by another replica)", lost)
            self._held.difference_update(lost)

    def held(self) -> set[int]:
        return set(self._held)

    async def resume(self, backlog: list[InboxItem], process: Process, confirm: Confirm,
                     claims: Callable[[InboxItem], bool] = lambda item: True, *, prune: bool = True) -> Resumed:
        """Finish what a crash interrupted, oldest first; prune old answered rows (unless
        ``prune`` is False). ``claims`` says whether an item's work is claimed (see :meth:`handle`).
        An item that fails stays held by this process (renewed, not retried) until its next start,
        but for one whose work was done and whose "answered" mark failed: it is let go (see
        :meth:`handle`)."""
        done = Resumed()
        now = self.clock()
        for item in backlog:
            age = now - item.received_at
            fresh = age < REPLY_WINDOW
            try:
                if age >= KEEP:
                    log.warning("inbox %d (%s from %s) is %s old: marked expired, not resumed", item.id,
                                item.received.kind, item.received.user_id, age)
                    await self.answered(item.id, "expired")
                    done.expired.append(item.id)
                elif item.applied_at is not None:
                    await confirm(item, fresh)
                    await self.answered(item.id, "confirmed")
                    done.confirmed.append(item.id)
                else:
                    await self.handle(item, functools.partial(process, item, fresh), claim=claims(item))
                    done.reprocessed.append(item.id)
            except Exception:  # left unanswered: the next start tries again
                log.exception("could not resume inbox %d", item.id)
                done.failed.append(item.id)
        if prune:
            done.pruned = await self.prune()
        if backlog or done.pruned:
            log.info("inbox resumed: %d processed again, %d confirmed, %d expired, %d failed, %d pruned",
                     len(done.reprocessed), len(done.confirmed), len(done.expired), len(done.failed), done.pruned)
        return done

    async def prune(self) -> int:
        async with self.store.transaction() as tx:
            return await tx.prune_inbox(self.clock() - KEEP)

    async def forget_seen(self, keep: timedelta = SEEN_KEEP) -> int:
        """Prune de-duplication keys (``processed_events``) older than ``keep``, never younger than
        :data:`SEEN_AT_LEAST`: a retry within the hour must still find its key."""
        async with self.store.transaction() as tx:
            return await tx.prune_processed_events(self.clock() - max(keep, SEEN_AT_LEAST))

    async def keep_up(self, process: Process, confirm: Confirm, stopping: asyncio.Event,
                      claims: Callable[[InboxItem], bool] = lambda item: True,
                      prune_every: timedelta = timedelta(hours=1)) -> None:
        """While the replica runs, every :attr:`every` seconds: renew what it holds, and take over
        and finish (as a resume does) rows whose holder died; from the first round on, every ``prune_every``,
        prune answered rows and old de-duplication keys. Returns once ``stopping`` is set and
        what it took over is finished (renewing until then)."""
        loop = asyncio.get_running_loop()
        taking: asyncio.Task[Resumed] | None = None
        next_prune = loop.time()  # at the first round, then every ``prune_every``
        while True:
            if stopping.is_set() and (taking is None or taking.done()):
                break
            if stopping.is_set() and taking is not None:  # finishing what it took: renew meanwhile
                await asyncio.wait({taking}, timeout=self.every)
            else:
                try:
                    await asyncio.wait_for(stopping.wait(), self.every)
                except TimeoutError:
                    pass
            try:
                await self.renew()
                if not stopping.is_set() and (taking is None or taking.done()):
                    items = await self.take_expired()
                    if items:
                        log.info("taking over %d inbox rows whose replica stopped renewing them", len(items))
                        taking = asyncio.create_task(self.resume(items, process, confirm, claims, prune=False))
                if loop.time() >= next_prune:
                    next_prune = loop.time() + prune_every.total_seconds()
                    await self.prune()
                    await self.forget_seen()
            except Exception:  # the next round tries again; a lease lapses only after several
                log.exception("inbox lease upkeep failed")
        if taking is not None:
            await taking
