"""When follow-ups go out: APScheduler 3 jobs, rebuilt from the database at every start.

The database is the single source of truth; the scheduler only holds wake-up times derived
from it, so it can be thrown away and rebuilt at any moment (start-up, a new reminder, the
console moving its clock). Jobs, all with explicit ids and ``replace_existing``:

- ``reminders``: one date job at the earliest pending reminder's due time. It sends every
  reminder due (batched per person) and re-arms itself for the next one. One job, not one per
  reminder, so 100,000 pending reminders cost one ``SELECT MIN(due_at)`` at start-up.
- ``digest:<channel>``: one date job per subscription, at its next due time.
- ``sweep``: every few minutes, the SLA sweep (nudges) plus a retry of anything that failed.

``misfire_grace_time=None`` on every job: APScheduler's default of 1 s silently drops a job
that runs late (a busy loop, a suspended laptop); lateness is decided here instead, from the
database (a reminder is always sent, a digest only if less than 24 h late).

Every run first does everything due "now" by the domain clock, so a start after downtime
catches up, and the console's ``:advance 3d`` works by calling :meth:`Scheduler.tick`.

Several replicas may run this on one database: each job is claimed there first (see
:mod:`bot.leases`), so each goes out from one of them. Due reminders are claimed by the run
that finds them; one replica at a time sweeps (the ``sweep`` lease); each due digest is held
under its delivery key while it is built and posted. Work another replica holds is skipped; the
reminder job also wakes when the first claim on a reminder runs out, so a replica that froze
mid-send loses it to the others within a lease. At start a replica frees the claims its id
still holds from before a crash or restart.

Catching up after downtime can take long (33 s with 100,000 applications and nudges due), so
``hirebot run`` starts the scheduler with ``catch_up=False``, listens, and then runs
:meth:`Scheduler.catch_up` in the background; :attr:`Scheduler.caught_up` says when a whole run
has been done (``/readyz`` waits for it).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .digests import Digests
from .followups import Followups, Reminder
from .leases import SWEEP, Lease
from .ports import Outbox
from .slices import collector_paused

log = logging.getLogger("hirebot.scheduler")


#: Rounds one run makes while reminders keep falling due during it (then the wake-up takes over).
MAX_ROUNDS = 5


class Scheduler:
    def __init__(self, followups: Followups, digests: Digests, outbox: Outbox,
                 clock: Callable[[], datetime] | None = None, sweep_every: timedelta = timedelta(minutes=10),
                 watch_every: timedelta | None = None) -> None:
        """``watch_every``: how often to re-read the schedule from the database, for replicas
        sharing it. Another replica's new reminder or digest subscription re-arms that replica
        only; without this poll, the others would learn of it at their next sweep, so a reminder
        set on a replica that then died could go out a whole sweep late. None (one process)
        relies on the change notices alone."""
        self.followups = followups
        self.watch_every = watch_every
        self.digests = digests
        self.outbox = outbox
        self.clock = clock or followups.clock
        self.sweep_every = sweep_every
        self.aps = AsyncIOScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self._lock = asyncio.Lock()
        self._stopped = False
        self._waiting = False  # a run is queued behind the one in progress
        self._runs: set[asyncio.Task[None]] = set()
        self.sent = {"reminders": 0, "nudges": 0, "digests": 0}
        #: The domain-clock moments the last :meth:`rearm` armed (the next reminder, each digest):
        #: what the console steps its clock to without asking the database again.
        self.armed: list[datetime] = []
        #: A whole run (everything due done, wake-ups armed) finished since :meth:`start`: until
        #: then, what fell due while hirebot was down may not have gone out yet.
        self.caught_up = False

    # ------------------------------------------------------------------ lifecycle
    async def start(self, *, catch_up: bool = True) -> None:
        """Start APScheduler and the sweep, then catch up on anything missed while down and arm the
        jobs. ``catch_up=False`` leaves that to :meth:`catch_up`, for a caller that must not wait
        for it (``hirebot run`` listens first)."""
        self._stopped = False
        self.caught_up = False
        if await self.followups.leases.drop_mine():
            log.info("freed the claims %s held before it started", self.followups.replica.id)
        if not self.aps.running:
            self.aps.start()
        self.aps.add_job(self._wake, IntervalTrigger(seconds=self.sweep_every.total_seconds()), id="sweep",
                         replace_existing=True)
        if self.watch_every is not None:
            self.aps.add_job(self.rearm, IntervalTrigger(seconds=self.watch_every.total_seconds()), id="watch",
                             replace_existing=True)
        if catch_up:
            await self.catch_up()

    async def catch_up(self) -> None:
        """Do everything that fell due while hirebot was down, then arm the jobs (one :meth:`tick`;
        :attr:`caught_up` once it is through)."""
        await self.tick()

    def halt(self) -> None:
        """Stop waking up: no new run, and a run in progress ends before its next part. What a
        stop says at once, before the server winds down its other parts (a run that went on
        meanwhile could start a long sweep); :meth:`stop` then waits for the run."""
        self._stopped = True
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def stop(self) -> None:
        """Stop waking up, and wait for a run in progress so the caller may close the database."""
        self.halt()
        async with self._lock:
            pass

    async def _wake(self) -> None:
        """What every APScheduler job runs: queue a run and return at once.

        A job still running when it is re-armed for "now" is skipped by APScheduler (one instance
        at a time) and its one-shot trigger is used up: a reminder set during a run would then
        wait for the next sweep. Returning at once means no job is ever running when the next
        one fires; the runs themselves are serialised by the lock, and one queued run is enough
        to pick up everything that falls due meanwhile."""
        if self._stopped or self._waiting:
            return
        self._waiting = True
        run = asyncio.create_task(self.tick())
        self._runs.add(run)
        run.add_done_callback(self._runs.discard)

    async def tick(self) -> None:
        """Do everything due now, then re-arm the jobs from the database."""
        if self._stopped:
            self._waiting = False
            return
        async with self._lock:
            self._waiting = False
            if self._stopped:  # stop() came while this run waited for the lock
                return
            due: datetime | None = None
            for _ in range(MAX_ROUNDS):
                for part in (self._send_reminders, self._sweep, self._send_digests):
                    if self._stopped:  # a long catch-up must not hold a stop for all of its parts
                        break
                    try:
                        await part()
                    except Exception:
                        log.exception("scheduled %s failed", part.__name__)
                due = await self.followups.reminders.next_reminder_due()
                if self._stopped or due is None or due > self.clock():
                    break  # else: more fell due while this run worked; go again rather than wait
            await self._arm(due)
            if not self._stopped:
                self.caught_up = True

    async def rearm(self) -> None:
        """(Re)build the date jobs from the database; call after reminders or subscriptions change."""
        if self._stopped or not self.aps.running:
            return
        await self._arm(await self.followups.reminders.next_reminder_due())

    async def _arm(self, due: datetime | None) -> None:
        """Arm the reminder job for ``due`` (just read from the database) and each digest's job."""
        if self._stopped or not self.aps.running:
            return
        wake = [self._real(due)] if due is not None else []
        lease_end = await self.followups.reminders.next_lease_end()
        if lease_end is not None:  # due reminders another replica holds: ours if its claim runs out
            wake.append(datetime.now(UTC) + max(timedelta(0), lease_end - self.followups.replica.clock())
                        + timedelta(milliseconds=10))
        if not wake:
            self._remove("reminders")
        else:
            self.aps.add_job(self._wake, DateTrigger(run_date=min(wake)), id="reminders", replace_existing=True)
        now = self.clock()
        subs = await self.digests.subscriptions()
        wanted = {f"digest:{s.channel_id}" for s in subs}
        for job in self.aps.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted:
                job.remove()
        armed = [due] if due is not None else []
        for s in subs:
            at = s.next_due(now)
            armed.append(at)
            self.aps.add_job(self._wake, DateTrigger(run_date=self._real(at)), id=f"digest:{s.channel_id}",
                             replace_existing=True)
        self.armed = armed

    def _real(self, due: datetime) -> datetime:
        """Wall-clock time for a domain-clock moment (the same thing, except in the console)."""
        return datetime.now(UTC) + max(timedelta(0), due - self.clock())

    def _remove(self, job_id: str) -> None:
        if self.aps.get_job(job_id) is not None:
            self.aps.remove_job(job_id)

    # ------------------------------------------------------------------ the work
    async def _send_reminders(self) -> None:
        """Every reminder due, a claimed batch at a time, one DM after the other: a replica killed
        mid-run repeats at most the one DM in flight. A stop ends the run between two DMs, and
        what it claimed and did not send is given back at once (not after the lease)."""
        reminders = self.followups.reminders
        while not self._stopped:
            due = await reminders.due_reminders()  # claimed for this replica
            if not due:
                return
            by_user: dict[str, list[Reminder]] = {}
            for r in due:
                by_user.setdefault(r.user_id, []).append(r)
            sent = [await self._dm_reminders(user, items) for user, items in by_user.items()]
            if not any(sent):
                return

    async def _dm_reminders(self, user: str, items: list[Reminder]) -> bool:
        """One person's due reminders in one DM; True when it went out."""
        reminders = self.followups.reminders
        if self._stopped:
            await reminders.release(items)
            return False
        try:
            posted = await self.outbox.send_reminders(user, items, partial(reminders.still_ours, items))
        except Exception:
            log.exception("could not DM %d reminder(s) to %s; will retry", len(items), user)
            for r in items:
                await reminders.reminder_failed(r)
            return False
        if not posted:
            log.warning("did not DM %d reminder(s) to %s: another replica took them over", len(items), user)
            await reminders.release(items)
            return False
        self.sent["reminders"] += await reminders.mark_sent(items)
        return True

    async def _sweep(self) -> None:
        lease = await self.followups.leases.take(SWEEP)
        if lease is None:
            log.debug("another replica is sweeping")
            return
        try:
            with collector_paused():  # the sweep's items stay alive until sent and recorded
                await self._nudge(lease)
        finally:
            await lease.release()

    async def _nudge(self, lease: Lease) -> None:
        await self.followups.people.refresh_team_timezones()
        batches = await self.followups.sla.sweep()
        batches.reverse()
        while batches:
            # Taken off the list, each batch is freed once recorded: freeing 100,000 items at
            # the end in one go held the event loop 20-30 ms.
            batch = batches.pop()
            try:
                posted = await self.outbox.send_nudges(batch, lease.fence(batch.key))
            except Exception:
                log.exception("could not DM %d waiting candidate(s) to %s; the next sweep retries",
                              len(batch.items), batch.user_id)
                continue
            if not posted:
                log.warning("stopped sweeping: another replica took the sweep over")
                return
            if await self.followups.sla.mark_nudged(batch):
                self.sent["nudges"] += 1

    async def _send_digests(self) -> None:
        for due in await self.digests.due():
            lease = await self.followups.leases.take(due.key)
            if lease is None:
                continue  # another replica is posting it
            try:
                if not await lease.still_ours(due.key):
                    continue  # posted since due() looked
                sub = due.subscription
                digest = await self.digests.build(sub.channel_id, sub.private_channel, sub.scope)
                try:
                    posted = await self.outbox.send_digest(due, digest, lease.fence(due.key))
                except Exception:
                    log.exception("could not post the digest to %s; the next sweep retries", sub.channel_id)
                    continue
                if not posted:
                    log.warning("did not post the digest to %s: another replica took it over", sub.channel_id)
                    continue
                if await self.digests.mark_sent(due):
                    self.sent["digests"] += 1
            finally:
                await lease.release()
