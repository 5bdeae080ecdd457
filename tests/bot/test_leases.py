"""Several replicas on one database: each scheduled job is claimed with a lease, so it goes out
from exactly one of them, and a replica frozen mid-send loses its job when the lease runs out.

A "replica" here is a whole World (its own Store, so its own SQLite connection, services,
scheduler and outbox) on the same database file as the others, under its own replica id."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.config import Config, ConfigError
from bot.digests import Digest, DueDigest
from bot.followups import NudgeBatch, Reminder
from bot.leases import ChannelPacing, Replica
from bot.ports import StillOurs
from bot.storage import Store
from tests.clock import Clock

from .conftest import RecordingOutbox, World, make_world

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


class HeldOutbox(RecordingOutbox):
    """Records like RecordingOutbox, but a send of kind ``hold`` stops before its fence check until
    ``go`` is set: a replica frozen (SIGSTOP) between claiming a job and posting it."""

    def __init__(self, hold: str) -> None:
        super().__init__()
        self.hold = hold
        self.entered = asyncio.Event()
        self.go = asyncio.Event()
        self.claimed: list[Reminder] = []

    async def _freeze(self, kind: str) -> None:
        if kind == self.hold and not self.go.is_set():
            self.entered.set()
            await self.go.wait()

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: StillOurs) -> bool:
        self.claimed = reminders
        await self._freeze("reminders")
        return await super().send_reminders(user, reminders, still_ours)

    async def send_nudges(self, batch: NudgeBatch, still_ours: StillOurs) -> bool:
        await self._freeze("nudges")
        return await super().send_nudges(batch, still_ours)

    async def send_digest(self, due: DueDigest, digest: Digest, still_ours: StillOurs) -> bool:
        await self._freeze("digests")
        return await super().send_digest(due, digest, still_ours)


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[list[World]]:
    """Two replicas made by the test (``spawn``), closed at the end."""
    made: list[World] = []
    yield made
    for w in made:
        await w.scheduler.stop()
        await w.store.close()


async def spawn(made: list[World], path: Path, clock: Clock, name: str, outbox: RecordingOutbox | None = None,
                lease: timedelta = timedelta(seconds=60), lease_clock: Clock | None = None) -> World:
    replica = Replica(name, lease, lease_clock or utcnow)
    world = await make_world(path, clock, outbox, replica=replica)
    made.append(world)
    return world


async def due_work(world: World, *, reminders: int = 0, nudges: bool = False, digest: bool = False) -> None:
    """Work due now on the shared database: reminders to several people, waiting candidates past
    their limit (two managers), a digest due this minute."""
    if nudges:
        mine, other = await world.opening(), await world.opening(manager="UOTHER", title="Nurse")
        await world.candidate(mine, "A One")
        await world.candidate(mine, "B Two")
        await world.candidate(other, "C Three", manager="UOTHER")
        world.clock.advance(days=3, minutes=1)  # Thursday 10:01: past applied's limit of 2 working days
    now = world.clock()
    async with world.store.transaction() as tx:
        if reminders:
            op = await tx.insert_opening("Backend Engineer", {}, "UMGR", "CJOBS", False, now)
            for i in range(reminders):
                await tx.insert_reminder(f"U{i % 7}", op, None, None, f"thing {i}", now, now, now)
        if digest:
            await tx.subscribe_digest("CDIGEST", now.weekday(), now.strftime("%H:%M"), "UTC", "channel", False,
                                      "UMGR", now - timedelta(days=1))


async def deliveries(world: World, kind: str) -> int:
    async with world.store.reading() as tx:
        row = await tx._one("SELECT COUNT(*) AS n FROM deliveries WHERE key LIKE ?", (f"{kind}:%",))
    assert row is not None
    return int(row["n"])


async def test_two_replicas_deliver_each_reminder_nudge_and_digest_exactly_once(tmp_path: Path,
                                                                               replicas: list[World]) -> None:
    clock = Clock(MONDAY)
    a = await spawn(replicas, tmp_path / "h.db", clock, "replica-a")
    b = await spawn(replicas, tmp_path / "h.db", clock, "replica-b")
    await due_work(a, reminders=40, nudges=True, digest=True)
    for _ in range(3):  # three rounds of both at once; all due work goes out in the first
        await asyncio.gather(a.scheduler.tick(), b.scheduler.tick())

    outboxes = (a.outbox, b.outbox)
    sent = Counter(r.id for o in outboxes for _, rs in o.reminders for r in rs)
    assert len(sent) == 40 and set(sent.values()) == {1}, "every reminder once, across both"
    nudged = Counter((batch.user_id, i.application_id) for o in outboxes for batch in o.nudges for i in batch.items)
    assert len(nudged) == 3 and set(nudged.values()) == {1}, "each waiting candidate nudged once"
    assert Counter(batch.user_id for o in outboxes for batch in o.nudges) == {"UMGR": 1, "UOTHER": 1}
    assert sum(len(o.digests) for o in outboxes) == 1
    assert await deliveries(a, "reminder") == 40 and await deliveries(a, "nudge") == 2
    assert await deliveries(a, "digest") == 1
    async with a.store.reading() as tx:
        left = await tx._one("SELECT COUNT(*) AS n FROM reminders WHERE status = 'pending' OR claim_token IS NOT NULL")
        leases = await tx._one("SELECT COUNT(*) AS n FROM leases")
    assert left == {"n": 0} and leases == {"n": 0}, "nothing left claimed: every lease given back"


async def test_a_replica_frozen_mid_send_loses_the_reminder_when_its_lease_ends(tmp_path: Path,
                                                                             replicas: list[World]) -> None:
    clock, lease_clock = Clock(MONDAY), Clock(datetime.now(UTC))
    frozen = HeldOutbox("reminders")
    a = await spawn(replicas, tmp_path / "h.db", clock, "replica-a", frozen, timedelta(seconds=1), lease_clock)
    b = await spawn(replicas, tmp_path / "h.db", clock, "replica-b", None, timedelta(seconds=1), lease_clock)
    await due_work(a, reminders=1)

    run_a = asyncio.create_task(a.scheduler.tick())
    await asyncio.wait_for(frozen.entered.wait(), 10)  # A claimed it and is inside the send
    await b.scheduler.tick()  # a whole run of B while A's lease lasts
    assert b.outbox.reminders == [], "B leaves a reminder A holds alone"

    lease_clock.advance(seconds=1.5)  # A's lease has run out
    await b.scheduler.tick()
    assert [[r.id for r in rs] for _, rs in b.outbox.reminders] == [[frozen.claimed[0].id]]

    frozen.go.set()  # A wakes up and goes on where it stopped: right before its fence
    await asyncio.wait_for(run_a, 10)
    assert frozen.reminders == [] and frozen.fenced == 1, "A's fence stopped its post"
    assert not await a.followups.reminders.mark_reminder_sent(frozen.claimed[0])
    assert await a.followups.reminders.reminder_failed(frozen.claimed[0]) is None
    assert await deliveries(a, "reminder") == 1
    async with a.store.reading() as tx:
        row = await tx.reminder(frozen.claimed[0].id)
    assert row is not None and row["status"] == "sent" and row["attempts"] == 0


@pytest.mark.parametrize("kind", ["nudges", "digests"])
async def test_a_frozen_sweep_or_digest_is_taken_over_and_the_late_one_posts_nothing(
        tmp_path: Path, replicas: list[World], kind: str) -> None:
    clock, lease_clock = Clock(MONDAY), Clock(datetime.now(UTC))
    frozen = HeldOutbox(kind)
    a = await spawn(replicas, tmp_path / "h.db", clock, "replica-a", frozen, timedelta(seconds=1), lease_clock)
    b = await spawn(replicas, tmp_path / "h.db", clock, "replica-b", None, timedelta(seconds=1), lease_clock)
    await due_work(a, nudges=kind == "nudges", digest=kind == "digests")

    run_a = asyncio.create_task(a.scheduler.tick())
    await asyncio.wait_for(frozen.entered.wait(), 10)
    await b.scheduler.tick()
    assert b.outbox.nudges == [] and b.outbox.digests == [], "B waits while A's lease lasts"

    lease_clock.advance(seconds=1.5)
    await b.scheduler.tick()
    took_over = len(b.outbox.nudges) if kind == "nudges" else len(b.outbox.digests)
    assert took_over == (2 if kind == "nudges" else 1)

    frozen.go.set()
    await asyncio.wait_for(run_a, 10)
    assert frozen.nudges == [] and frozen.digests == [] and frozen.fenced == 1
    assert await deliveries(a, "nudge" if kind == "nudges" else "digest") == took_over


async def test_a_lease_that_ran_out_but_nobody_took_is_still_ours(tmp_path: Path, replicas: list[World]) -> None:
    """The token decides, not the time: a slow replica whose lease ended unnoticed still sends, once."""
    clock, lease_clock = Clock(MONDAY), Clock(datetime.now(UTC))
    slow = HeldOutbox("reminders")
    a = await spawn(replicas, tmp_path / "h.db", clock, "replica-a", slow, timedelta(seconds=1), lease_clock)
    await due_work(a, reminders=2)
    run_a = asyncio.create_task(a.scheduler.tick())
    await asyncio.wait_for(slow.entered.wait(), 10)
    lease_clock.advance(minutes=5)
    slow.go.set()
    await asyncio.wait_for(run_a, 10)
    assert sorted(r.id for _, rs in slow.reminders for r in rs) == [1, 2] and slow.fenced == 0
    assert await deliveries(a, "reminder") == 2


async def test_a_restarted_replica_takes_back_its_own_claims_at_once(tmp_path: Path, replicas: list[World]) -> None:
    clock = Clock(MONDAY)
    a = await spawn(replicas, tmp_path / "h.db", clock, "replica-a")
    await due_work(a, reminders=3)
    claimed = await a.followups.reminders.due_reminders()  # then the process dies, holding them
    assert len(claimed) == 3
    await a.followups.leases.take("sweep")
    replicas.remove(a)
    await a.store.close()
    other = await spawn(replicas, tmp_path / "h.db", clock, "replica-b")
    await other.scheduler.tick()
    assert other.outbox.reminders == [], "held for a minute by the dead process"
    again = await spawn(replicas, tmp_path / "h.db", clock, "replica-a")
    await again.scheduler.start()  # under the same id: what it held before is free
    assert sorted(r.id for _, rs in again.outbox.reminders for r in rs) == sorted(r.id for r in claimed)


async def test_two_replicas_posting_to_one_channel_keep_the_pace(tmp_path: Path) -> None:
    interval = 0.2
    stores = [await Store(tmp_path / "p.db").open() for _ in range(2)]
    try:
        pacers = [ChannelPacing(s, Replica(f"replica-{n}")) for n, s in enumerate(stores)]
        posted: list[tuple[datetime, int]] = []

        async def post(channel: str, pacer: int = 1) -> None:
            async with pacers[pacer].turn(channel, interval if channel == "CSHARED" else 60):
                posted.append((utcnow(), pacer))

        await asyncio.wait_for(asyncio.gather(*(post("CSHARED", n % 2) for n in range(6))), 30)
        times = sorted(t for t, _ in posted)  # when each replica got its turn: its post
        assert len(times) == 6 and {p for _, p in posted} == {0, 1}
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        assert min(gaps) >= interval, gaps
        # The pace is per channel: one that just had a message does not hold back another.
        async with pacers[0].turn("CONE", 60):
            pass
        await asyncio.wait_for(post("CTWO"), 5)
    finally:
        for s in stores:
            await s.close()


def test_replica_settings() -> None:
    config = Config.from_env({"HIREBOT_REPLICA_ID": "web-2", "HIREBOT_LEASE_SECONDS": "30"})
    assert (config.replica_id, config.lease_seconds) == ("web-2", 30)
    default = Config.from_env({})
    assert default.lease_seconds == 60 and default.replica_id.endswith(f":{os.getpid()}")
    with pytest.raises(ConfigError, match="HIREBOT_LEASE_SECONDS"):
        Config.from_env({"HIREBOT_LEASE_SECONDS": "0"})


class SlowOutbox(RecordingOutbox):
    """Each reminder DM waits for ``go`` (a Slack call taking its time); ``started`` counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.go = asyncio.Event()
        self.started = asyncio.Event()

    async def send_reminders(self, user: str, reminders: list[Reminder], still_ours: StillOurs) -> bool:
        self.started.set()
        await self.go.wait()
        return await super().send_reminders(user, reminders, still_ours)


async def test_a_stop_ends_a_long_reminder_run_after_the_dm_in_flight_and_gives_the_rest_back(
        tmp_path: Path) -> None:
    """Before: ``stop()`` (SIGTERM) waited until every due reminder had gone out, minutes with a
    large backlog, and a replica asked to stop kept sending. Now the run ends after the DM in
    flight, and the claims on the rest are released for any replica to send at once."""
    outbox = SlowOutbox()
    world = await make_world(tmp_path / "h.db", Clock(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)), outbox=outbox)
    try:
        op = await world.opening()
        now = world.hiring.clock()
        async with world.store.transaction() as tx:
            for i in range(30):
                await tx.insert_reminder(f"U{i}", op, None, None, f"r{i}", now, now, now)
        run = asyncio.create_task(world.scheduler.start())  # the catch-up sends what is due
        await outbox.started.wait()  # the first DM is in flight
        stopping = asyncio.create_task(world.scheduler.stop())
        await asyncio.sleep(0)  # stop() has said so before the DM completes
        outbox.go.set()
        await stopping
        await run
        assert len(outbox.reminders) == 1, "the DM in flight completes; no other starts"
        async with world.store.reading() as tx:
            rows = await tx._all("SELECT status, claimed_by FROM reminders ORDER BY id")
        assert [r["status"] for r in rows].count("sent") == 1
        assert all(r["claimed_by"] is None for r in rows), "nothing is left claimed by the stopped replica"
    finally:
        await world.store.close()
